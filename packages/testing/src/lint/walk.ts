import { type CallExpression, Node } from 'ts-morph';
import { checkExpression, type Hit } from './checks.ts';
import type { WorkflowEntry } from './find-workflows.ts';
import { checkModuleStateWrite } from './module-state.ts';
import { type LintedFunction, referencedFunction } from './symbols.ts';

/** What one workflow's code breaks, and every function it was found to reach (itself included). */
export interface WorkflowWalk {
  entry: WorkflowEntry;
  hits: Hit[];
  reached: Set<LintedFunction>;
}

/** `ctx.activity(fn, …)`, `ctx.transaction(fn, …)` and `ctx.sideEffect(fn)` run `fn` outside the replay, where I/O is allowed. */
const RECORDED_CALLS = new Set(['activity', 'transaction', 'sideEffect']);

/**
 * Checks a workflow's code and, transitively, every project function it calls or passes on (each once),
 * except the functions handed to `ctx.activity`/`ctx.transaction`/`ctx.sideEffect`, whose results history records.
 */
export function walkWorkflow(entry: WorkflowEntry): WorkflowWalk {
  const reached = new Set<LintedFunction>([entry.fn]);
  const queue: LintedFunction[] = [entry.fn];
  const hits: Hit[] = [];

  const visit = (node: Node, inRecordedArgs: boolean): void => {
    // Inside ctx.activity's arguments a value is workflow code, but a function body is not.
    if (inRecordedArgs && isFunctionBody(node)) return;
    const hit = checkExpression(node) ?? checkModuleStateWrite(node);
    if (hit) hits.push(hit);
    if (Node.isIdentifier(node)) {
      const fn = referencedFunction(node);
      if (fn && !reached.has(fn)) {
        reached.add(fn);
        queue.push(fn);
      }
    }
    if (Node.isCallExpression(node) && isRecordedCall(node)) {
      visit(node.getExpression(), inRecordedArgs);
      // The first argument is the activity itself: neither checked nor followed.
      for (const arg of node.getArguments().slice(1)) visit(arg, true);
      return;
    }
    node.forEachChild((child) => visit(child, inRecordedArgs));
  };

  for (let fn = queue.shift(); fn; fn = queue.shift()) visit(fn, false);
  return { entry, hits, reached };
}

function isRecordedCall(call: CallExpression): boolean {
  const callee = call.getExpression();
  return Node.isPropertyAccessExpression(callee) && RECORDED_CALLS.has(callee.getName());
}

function isFunctionBody(node: Node): boolean {
  return (
    Node.isArrowFunction(node) ||
    Node.isFunctionExpression(node) ||
    Node.isMethodDeclaration(node) ||
    Node.isGetAccessorDeclaration(node) ||
    Node.isSetAccessorDeclaration(node)
  );
}
