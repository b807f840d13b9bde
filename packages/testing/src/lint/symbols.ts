import {
  type ArrowFunction,
  type FunctionDeclaration,
  type FunctionExpression,
  type Symbol as MorphSymbol,
  Node,
} from 'ts-morph';

/** A function whose body the lint can read: the forms workflows and their helpers are written in. */
export type LintedFunction = FunctionDeclaration | FunctionExpression | ArrowFunction;

/** Where an imported binding comes from: `import { readFile as r } from 'fs'` gives `{ module: 'fs', name: 'readFile' }`. */
export interface ImportOrigin {
  module: string;
  /** The exported name; `default` for a default import, `*` for a namespace import. */
  name: string;
}

/** The import an identifier refers to, or undefined when it is not an imported binding. */
export function importOrigin(id: Node): ImportOrigin | undefined {
  for (const decl of symbolOf(id)?.getDeclarations() ?? []) {
    const declaration = decl.getFirstAncestor(Node.isImportDeclaration);
    if (!declaration) continue;
    const module = declaration.getModuleSpecifierValue();
    if (Node.isImportSpecifier(decl)) return { module, name: decl.getName() };
    if (Node.isImportClause(decl)) return { module, name: 'default' };
    if (Node.isNamespaceImport(decl)) return { module, name: '*' };
  }
  return undefined;
}

/** The symbol an identifier refers to; for a shorthand property `{ fetch }`, the value's symbol. */
function symbolOf(id: Node): MorphSymbol | undefined {
  const parent = id.getParent();
  return Node.isShorthandPropertyAssignment(parent) ? parent.getValueSymbol() : id.getSymbol();
}

/** The symbol a node refers to, with imports followed to the exported declaration. */
export function resolvedSymbol(node: Node): MorphSymbol | undefined {
  const symbol = symbolOf(node);
  return symbol?.isAlias() ? (symbol.getAliasedSymbol() ?? symbol) : symbol;
}

/**
 * The project function a symbol declares — a function declaration with a body, or a variable initialised
 * with an arrow or function expression — or undefined for anything else, declaration files and node_modules.
 */
export function functionOf(symbol: MorphSymbol | undefined): LintedFunction | undefined {
  for (const decl of symbol?.getDeclarations() ?? []) {
    const file = decl.getSourceFile();
    if (file.isDeclarationFile() || file.isInNodeModules()) continue;
    if (Node.isFunctionDeclaration(decl) && decl.hasBody()) return decl;
    if (Node.isVariableDeclaration(decl)) {
      const init = decl.getInitializer();
      if (Node.isArrowFunction(init) || Node.isFunctionExpression(init)) return init;
    }
  }
  return undefined;
}

/** The function an identifier or property name refers to, if it is one the lint can read. */
export function referencedFunction(node: Node): LintedFunction | undefined {
  return functionOf(resolvedSymbol(node));
}

/**
 * True when an identifier is read as a value in an expression — not a property name, a declared name,
 * a type or an import clause — so it can be checked against globals and imports.
 */
export function isValueReference(id: Node): boolean {
  const parent = id.getParent();
  if (!parent) return false;
  if (Node.isPropertyAccessExpression(parent)) return parent.getExpression() === id;
  if (Node.isQualifiedName(parent) || Node.isTypeReference(parent) || Node.isTypeQuery(parent)) return false;
  if (Node.isImportSpecifier(parent) || Node.isImportClause(parent) || Node.isNamespaceImport(parent))
    return false;
  if (Node.isExportSpecifier(parent) || Node.isLabeledStatement(parent)) return false;
  if (Node.isBreakStatement(parent) || Node.isContinueStatement(parent)) return false;
  if (Node.isShorthandPropertyAssignment(parent)) return true;
  if (
    Node.isPropertyAssignment(parent) ||
    Node.isVariableDeclaration(parent) ||
    Node.isParameterDeclaration(parent) ||
    Node.isBindingElement(parent) ||
    Node.isFunctionDeclaration(parent) ||
    Node.isFunctionExpression(parent) ||
    Node.isClassDeclaration(parent) ||
    Node.isMethodDeclaration(parent) ||
    Node.isPropertyDeclaration(parent) ||
    Node.isPropertySignature(parent) ||
    Node.isMethodSignature(parent) ||
    Node.isGetAccessorDeclaration(parent) ||
    Node.isSetAccessorDeclaration(parent) ||
    Node.isEnumMember(parent) ||
    Node.isInterfaceDeclaration(parent) ||
    Node.isTypeAliasDeclaration(parent)
  ) {
    return (parent as Node & { getInitializer?: () => Node | undefined }).getInitializer?.() === id;
  }
  return true;
}
