import { type CallExpression, Node, type SourceFile } from 'ts-morph';
import { type LintedFunction, referencedFunction } from './symbols.ts';

/** A workflow function the lint checks, under the name reports give it. */
export interface WorkflowEntry {
  name: string;
  fn: LintedFunction;
}

/** Type names that mark a function as a workflow: `(ctx: WorkflowContext, …)` or `const w: WorkflowFn = …`. */
const CONTEXT_TYPE = 'WorkflowContext';
const WORKFLOW_FN_TYPE = 'WorkflowFn';

/**
 * Finds workflows in `files`: functions whose first parameter is declared as (or has the type)
 * `WorkflowContext`, variables typed `WorkflowFn`, and the functions registered in `workflows: { … }` of `Worker.create(…)` or
 * `createTestEnv(…)` calls, followed into whatever project file declares them.
 */
export function findWorkflows(files: readonly SourceFile[]): WorkflowEntry[] {
  const found = new Map<LintedFunction, string>();
  for (const file of files) {
    file.forEachDescendant((node) => {
      if (Node.isFunctionDeclaration(node) || Node.isFunctionExpression(node) || Node.isArrowFunction(node)) {
        if (isWorkflowShaped(node) && !found.has(node)) found.set(node, functionName(node));
      } else if (Node.isCallExpression(node)) {
        for (const [name, fn] of registeredWorkflows(node)) if (!found.has(fn)) found.set(fn, name);
      }
    });
  }
  return [...found].map(([fn, name]) => ({ name, fn }));
}

function isWorkflowShaped(fn: LintedFunction): boolean {
  const first = fn.getParameters()[0];
  if (!first) return false;
  if (namesType(first.getTypeNode(), CONTEXT_TYPE)) return true;
  const holder = fn.getParent();
  if (Node.isVariableDeclaration(holder) && namesType(holder.getTypeNode(), WORKFLOW_FN_TYPE)) return true;
  // The checker sees through local aliases and contextual types such as `(ctx) => …` passed as a WorkflowFn.
  const type = first.getType();
  return type.getSymbol()?.getName() === CONTEXT_TYPE || type.getAliasSymbol()?.getName() === CONTEXT_TYPE;
}

/** True when a type annotation is `Name`, `Name<…>`, `ns.Name`, or an import of `Name` under another name. */
function namesType(typeNode: Node | undefined, name: string): boolean {
  if (!Node.isTypeReference(typeNode)) return false;
  const ref = typeNode.getTypeName();
  const id = Node.isQualifiedName(ref) ? ref.getRight() : ref;
  if (id.getText() === name) return true;
  return (id.getSymbol()?.getDeclarations() ?? []).some(
    (d) => Node.isImportSpecifier(d) && d.getName() === name,
  );
}

function functionName(fn: LintedFunction): string {
  if (Node.isFunctionDeclaration(fn)) return fn.getName() ?? 'default';
  const holder = fn.getParent();
  if (Node.isVariableDeclaration(holder) || Node.isPropertyAssignment(holder)) return holder.getName();
  if (Node.isExportAssignment(holder)) return 'default';
  return `<anonymous at line ${fn.getStartLineNumber()}>`;
}

/** `[registered name, function]` pairs from a `Worker.create({ workflows })` or `createTestEnv({ workflows })` call. */
function registeredWorkflows(call: CallExpression): Array<[string, LintedFunction]> {
  if (!isRegistrationCall(call)) return [];
  const options = call.getArguments()[0];
  if (!Node.isObjectLiteralExpression(options)) return [];
  const property = options.getProperty('workflows');
  let workflows: Node | undefined;
  if (Node.isPropertyAssignment(property)) workflows = property.getInitializer();
  else if (Node.isShorthandPropertyAssignment(property)) workflows = property.getNameNode();
  if (Node.isIdentifier(workflows)) workflows = objectLiteralOf(workflows);
  if (!Node.isObjectLiteralExpression(workflows)) return [];
  const out: Array<[string, LintedFunction]> = [];
  for (const prop of workflows.getProperties()) {
    if (Node.isShorthandPropertyAssignment(prop)) {
      const fn = referencedFunction(prop.getNameNode());
      if (fn) out.push([prop.getName(), fn]);
    } else if (Node.isPropertyAssignment(prop)) {
      const fn = functionValue(prop.getInitializer());
      if (fn) out.push([prop.getName(), fn]);
    }
  }
  return out;
}

function functionValue(value: Node | undefined): LintedFunction | undefined {
  if (Node.isArrowFunction(value) || Node.isFunctionExpression(value)) return value;
  if (Node.isIdentifier(value)) return referencedFunction(value);
  if (Node.isPropertyAccessExpression(value)) return referencedFunction(value.getNameNode());
  return undefined;
}

function isRegistrationCall(call: CallExpression): boolean {
  const callee = call.getExpression();
  if (Node.isIdentifier(callee)) return callee.getText() === 'createTestEnv';
  return (
    Node.isPropertyAccessExpression(callee) &&
    callee.getName() === 'create' &&
    callee.getExpression().getText() === 'Worker'
  );
}

/** The object literal a `const workflows = { … }` variable is initialised with. */
function objectLiteralOf(id: Node): Node | undefined {
  for (const decl of id.getSymbol()?.getDeclarations() ?? []) {
    if (Node.isVariableDeclaration(decl)) return decl.getInitializer();
    if (Node.isShorthandPropertyAssignment(decl)) {
      const value = decl.getValueSymbol()?.getDeclarations()[0];
      if (Node.isVariableDeclaration(value)) return value.getInitializer();
    }
  }
  return undefined;
}
