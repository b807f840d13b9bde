import type { Json, WorkflowContext } from '@reel/sdk';
import { httpRequest, sendMessage } from './activities.ts';
import { type Action, registry, render } from './registry.ts';

/** A flow defined as data: a list of steps, each naming an action of the registry. */
export interface FlowDefinition {
  name: string;
  steps: { id: string; action: string; params: Record<string, Json> }[];
}

/** The workflow input: the definition itself, and the flow's own input. */
export interface FlowRun {
  definition: FlowDefinition;
  input: Json;
}

/**
 * Runs any flow: each step in order, its parameters rendered from the flow's input and the
 * outputs of the steps before it. Returns every step's output, by step id.
 *
 * The definition is part of the input, so history holds it: a run replays against the definition
 * it started with, whatever happens to the stored one meanwhile. A flow edited while runs are in
 * flight changes the runs started after the edit, and breaks none.
 */
export async function runFlow(ctx: WorkflowContext, run: FlowRun): Promise<Record<string, Json>> {
  checkDefinition(run.definition);
  const outputs: Record<string, Json> = {};
  for (const step of run.definition.steps) {
    const params = render(step.params, { input: run.input, steps: outputs }) as Record<string, Json>;
    outputs[step.id] = await (registry[step.action] as Action)(ctx, params);
  }
  return outputs;
}

/** Fails the run before its first step when the definition names an action the registry lacks. */
function checkDefinition(definition: FlowDefinition): void {
  const ids = new Set<string>();
  for (const step of definition.steps) {
    if (!(step.action in registry)) {
      const known = Object.keys(registry).join(', ');
      throw new Error(
        `Flow ${definition.name}: step ${step.id} names the action '${step.action}'; known: ${known}.`,
      );
    }
    if (ids.has(step.id)) throw new Error(`Flow ${definition.name}: two steps have the id '${step.id}'.`);
    ids.add(step.id);
  }
}

/** What `reel dev --workflows examples/action-registry/workflows.ts` and `reel worker` run. */
export const workflows = { runFlow };
export const activities = { httpRequest, sendMessage };
