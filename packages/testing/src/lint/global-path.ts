import { type BindingElement, Node } from 'ts-morph';
import { importOrigin, resolvedSymbol } from './symbols.ts';

/**
 * Node modules whose exports are globals the rules know, by the global path each module stands for:
 * `randomUUID` from `node:crypto` is `crypto.randomUUID`, `performance` from `perf_hooks` is
 * `performance`, `setTimeout` from `timers/promises` is `setTimeout`.
 */
const MODULE_PATHS: ReadonlyMap<string, string> = new Map(
  (
    [
      ['crypto', 'crypto'],
      ['process', 'process'],
      ['perf_hooks', ''],
      ['timers', ''],
      ['timers/promises', ''],
    ] as const
  ).flatMap(([module, path]) => [
    [module, path],
    [`node:${module}`, path],
  ]),
);

/**
 * The global an expression stands for, as a dotted path (`Math.random`, `Date`, `crypto.randomUUID`),
 * or undefined when it stands for something else. Bindings are followed through their declarations as
 * the compiler resolves them, not by their names: `const { random } = Math`, `const r = Math.random`,
 * `const M = Math` (then `M.random`), an alias exported by another project file, `globalThis.Date`
 * and the imports of the modules above all lead to the global they hold. A name the project declares
 * otherwise (a parameter, a function, an object of its own) stands for no global.
 */
export function globalPath(node: Node, seen = new Set<Node>()): string | undefined {
  if (Node.isParenthesizedExpression(node) || Node.isNonNullExpression(node) || Node.isAsExpression(node))
    return globalPath(node.getExpression(), seen);
  if (Node.isPropertyAccessExpression(node))
    return member(globalPath(node.getExpression(), seen), node.getName());
  if (Node.isElementAccessExpression(node)) {
    const key = node.getArgumentExpression();
    if (!Node.isStringLiteral(key) && !Node.isNoSubstitutionTemplateLiteral(key)) return undefined;
    return member(globalPath(node.getExpression(), seen), key.getLiteralText());
  }
  if (!Node.isIdentifier(node)) return undefined;
  const origin = importOrigin(node);
  const root = origin && MODULE_PATHS.get(origin.module);
  if (origin && root !== undefined) {
    return origin.name === '*' || origin.name === 'default' ? root : member(root, origin.name);
  }
  // Types merged into a global (`declare global { interface Date … }`) leave it the global.
  const declarations = (resolvedSymbol(node)?.getDeclarations() ?? []).filter(
    (d) => !Node.isInterfaceDeclaration(d) && !Node.isTypeAliasDeclaration(d),
  );
  if (!origin && declarations.every((d) => d.getSourceFile().isDeclarationFile())) {
    return node.getText() === 'globalThis' ? '' : node.getText();
  }
  // A binding of the project: what it was initialised with, once (`const a = b, b = a` ends).
  const [declaration] = declarations;
  if (declarations.length !== 1 || !declaration || seen.has(declaration)) return undefined;
  const file = declaration.getSourceFile();
  if (file.isDeclarationFile() || file.isInNodeModules()) return undefined;
  seen.add(declaration);
  if (Node.isVariableDeclaration(declaration)) {
    const value = declaration.getInitializer();
    return value && globalPath(value, seen);
  }
  return Node.isBindingElement(declaration) ? destructuredPath(declaration, seen) : undefined;
}

/** The path of `{ key: name }` destructured from an object: its source's path, then `key`. */
function destructuredPath(element: BindingElement, seen: Set<Node>): string | undefined {
  const pattern = element.getParent();
  if (!Node.isObjectBindingPattern(pattern) || element.getDotDotDotToken()) return undefined;
  const keyNode = element.getPropertyNameNode() ?? element.getNameNode();
  const key = Node.isIdentifier(keyNode)
    ? keyNode.getText()
    : Node.isStringLiteral(keyNode)
      ? keyNode.getLiteralText()
      : undefined;
  const holder = pattern.getParent();
  let source: string | undefined;
  if (Node.isVariableDeclaration(holder)) {
    const value = holder.getInitializer();
    source = value && globalPath(value, seen);
  } else if (Node.isBindingElement(holder)) {
    source = destructuredPath(holder, seen); // `const { a: { b } } = x`
  }
  return key === undefined ? undefined : member(source, key);
}

function member(path: string | undefined, name: string): string | undefined {
  if (path === undefined) return undefined;
  return path === '' ? name : `${path}.${name}`;
}
