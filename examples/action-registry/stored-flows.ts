import { readFileSync } from 'node:fs';
import type { FlowDefinition } from './workflows.ts';

/** The flows the app stores, by name: here the JSON files in flows/; in an app, rows its users edit. */
export const storedFlows: Record<string, FlowDefinition> = {
  welcome: JSON.parse(readFileSync(new URL('./flows/welcome.json', import.meta.url), 'utf8')),
};

/** A copy of a stored flow, to start a run with: the run keeps it, whatever the store does next. */
export function readFlow(name: string): FlowDefinition {
  const flow = storedFlows[name];
  if (!flow) throw new Error(`No flow named ${name}.`);
  return structuredClone(flow);
}
