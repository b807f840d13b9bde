import { Node, SyntaxKind, VariableDeclarationKind } from 'ts-morph';
import type { Hit } from './checks.ts';
import { resolvedSymbol } from './symbols.ts';

/** Methods that change the array, Map, Set or object they are called on. */
const MUTATORS = new Set([
  'push',
  'pop',
  'shift',
  'unshift',
  'splice',
  'sort',
  'reverse',
  'fill',
  'copyWithin',
  'set',
  'add',
  'delete',
  'clear',
]);

const ASSIGNMENTS = new Set([
  SyntaxKind.EqualsToken,
  SyntaxKind.PlusEqualsToken,
  SyntaxKind.MinusEqualsToken,
  SyntaxKind.AsteriskEqualsToken,
  SyntaxKind.AsteriskAsteriskEqualsToken,
  SyntaxKind.SlashEqualsToken,
  SyntaxKind.PercentEqualsToken,
  SyntaxKind.LessThanLessThanEqualsToken,
  SyntaxKind.GreaterThanGreaterThanEqualsToken,
  SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
  SyntaxKind.AmpersandEqualsToken,
  SyntaxKind.BarEqualsToken,
  SyntaxKind.CaretEqualsToken,
  SyntaxKind.BarBarEqualsToken,
  SyntaxKind.AmpersandAmpersandEqualsToken,
  SyntaxKind.QuestionQuestionEqualsToken,
]);

/**
 * A write to module-level state — assignment, compound assignment, `++`/`--`, `delete`, or a mutating
 * method call on a module-level variable or anything reached through it. Such state lives on in the worker
 * process between runs and is not rebuilt by replay, so two replays of one history can see different values.
 */
export function checkModuleStateWrite(node: Node): Hit | undefined {
  const write = writtenExpression(node);
  if (!write) return undefined;
  const name = moduleVariableName(write.target, write.reassigns);
  if (!name) return undefined;
  return {
    rule: 'no-module-state-write',
    node,
    message: `writes module-level '${name}', which is shared between runs and not replayed; keep workflow state in local variables.`,
  };
}

/**
 * The expression a node writes to, or undefined if it writes nothing. `reassigns` is true when the
 * write replaces the target itself (`x = …`, `x++`), false when it changes the object the target holds.
 */
function writtenExpression(node: Node): { target: Node; reassigns: boolean } | undefined {
  if (Node.isBinaryExpression(node)) {
    return ASSIGNMENTS.has(node.getOperatorToken().getKind())
      ? { target: node.getLeft(), reassigns: true }
      : undefined;
  }
  if (Node.isPrefixUnaryExpression(node) || Node.isPostfixUnaryExpression(node)) {
    const op = node.getOperatorToken();
    const counts = op === SyntaxKind.PlusPlusToken || op === SyntaxKind.MinusMinusToken;
    return counts ? { target: node.getOperand(), reassigns: true } : undefined;
  }
  if (Node.isDeleteExpression(node)) return { target: node.getExpression(), reassigns: true };
  if (Node.isCallExpression(node)) {
    const callee = node.getExpression();
    if (Node.isPropertyAccessExpression(callee) && MUTATORS.has(callee.getName())) {
      return { target: callee.getExpression(), reassigns: false };
    }
  }
  return undefined;
}

/** The name of the module-level variable at the root of `a.b[c].d`, if that is what the root is. */
function moduleVariableName(expression: Node, reassigns: boolean): string | undefined {
  let root = expression;
  while (
    Node.isPropertyAccessExpression(root) ||
    Node.isElementAccessExpression(root) ||
    Node.isParenthesizedExpression(root) ||
    Node.isNonNullExpression(root) ||
    Node.isAsExpression(root)
  ) {
    root = root.getExpression();
  }
  if (!Node.isIdentifier(root)) return undefined;
  for (const decl of resolvedSymbol(root)?.getDeclarations() ?? []) {
    if (!Node.isVariableDeclaration(decl)) continue;
    const statement = decl.getVariableStatement();
    if (!statement || !Node.isSourceFile(statement.getParent())) continue;
    // A module-level const can only be changed through what it holds, never reassigned.
    if (statement.getDeclarationKind() === VariableDeclarationKind.Const && reassigns && root === expression)
      continue;
    return root.getText();
  }
  return undefined;
}
