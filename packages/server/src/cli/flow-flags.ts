import type { StartOptions } from '@reel/sdk';
import { duration, int, type Parsed, str, UsageError } from './args.ts';

/** The flow-control flags of `reel workflow start` (docs/flow-control.md). */
export const FLOW_OPTIONS = {
  'concurrency-key': { type: 'string' },
  'concurrency-limit': { type: 'string' },
  priority: { type: 'string' },
  'debounce-key': { type: 'string' },
  'debounce-period': { type: 'string' },
  'debounce-max-wait': { type: 'string' },
  'throttle-key': { type: 'string' },
  'throttle-period': { type: 'string' },
} as const;

type FlowOptions = Pick<StartOptions, 'concurrency' | 'priority' | 'debounce' | 'throttle'>;

/** The start options the flags give; each key flag goes with its limit or period. */
export function flowOf(parsed: Parsed): FlowOptions {
  const pair = <T>(option: string, second: string, value: (key: string) => T): T | undefined => {
    const key = str(parsed, `${option}-key`);
    const other = str(parsed, `${option}-${second}`);
    if (key === undefined && other === undefined) return undefined;
    if (key === undefined || other === undefined)
      throw new UsageError(`Give --${option}-key and --${option}-${second} together.`);
    return value(key);
  };
  const flow: FlowOptions = {};
  const concurrency = pair('concurrency', 'limit', (key) => ({
    key,
    limit: int(parsed, 'concurrency-limit') as number,
  }));
  if (concurrency) flow.concurrency = concurrency;
  const priority = int(parsed, 'priority');
  if (priority !== undefined) flow.priority = priority;
  for (const option of ['debounce', 'throttle'] as const) {
    const value = pair(option, 'period', (key) => ({
      key,
      period: duration(parsed, `${option}-period`) as number,
    }));
    if (value) flow[option] = value;
  }
  const maxWait = duration(parsed, 'debounce-max-wait');
  if (maxWait !== undefined) {
    if (!flow.debounce)
      throw new UsageError('Give --debounce-max-wait with --debounce-key and --debounce-period.');
    flow.debounce.maxWait = maxWait;
  }
  return flow;
}
