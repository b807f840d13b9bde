import { randomUUID } from 'node:crypto';
import { assertJson, type Json } from '../codec.ts';
import { toMs } from '../duration.ts';
import { ErrorCodes, ReelError } from '../errors.ts';
import { checkCoalescing, checkConcurrency, checkPriority } from '../flow-options.ts';
import type { CallerTransaction, StartRequest } from '../store/store.ts';
import type { StartOptions } from './client-types.ts';
import { checkId, checkTransaction } from './validate.ts';

/** A start's input and options, checked: the run to write, and how to write it. */
export interface CheckedStart {
  workflowId: string;
  policy: NonNullable<StartOptions['onConflict']>;
  tx: CallerTransaction | undefined;
  /** The run may have to wait (for a concurrency slot, or for more starts to join it). */
  mayWait: boolean;
  /** The run to write, but for the start span's trace. */
  request: StartRequest;
}

/** Checks a start of workflow `type` (throwing `REEL_INVALID_*` errors), and makes its request. */
export function startRequest(
  type: string,
  input: unknown,
  options: StartOptions,
  now: Date,
  newRun: boolean,
): CheckedStart {
  const workflowId = options.id === undefined ? randomUUID() : checkId(options.id);
  const policy = options.onConflict ?? 'useExisting';
  if (!['useExisting', 'fail', 'terminateExisting'].includes(policy)) {
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      `onConflict must be 'useExisting', 'fail' or 'terminateExisting', not ${JSON.stringify(policy)}.`,
    );
  }
  const json = assertJson(input, 'The workflow input');
  const attributes = assertJson(options.attributes, 'The attributes') as Record<string, Json> | undefined;
  if (
    attributes !== undefined &&
    (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
  ) {
    throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'attributes must be an object of JSON values.');
  }
  const delayMs = options.startDelay === undefined ? 0 : toMs(options.startDelay, 'startDelay');
  const concurrency = checkConcurrency(options.concurrency, delayMs > 0);
  const priority = checkPriority(options.priority);
  const debounce = checkCoalescing('debounce', options.debounce, {
    id: options.id !== undefined,
    startDelay: delayMs > 0,
    concurrency: !!concurrency,
  });
  // A throttled run's id is the first start's, generated; it starts at once (its period is no delay).
  const throttle = checkCoalescing('throttle', options.throttle, {
    id: options.id !== undefined,
    startDelay: delayMs > 0,
    debounce: !!debounce,
  });
  const executionTimeoutMs =
    options.executionTimeout === undefined ? undefined : toMs(options.executionTimeout, 'executionTimeout');
  const tx = options.transaction === undefined ? undefined : checkTransaction(options.transaction);
  const request: StartRequest = {
    workflowId,
    runId: randomUUID(),
    type,
    input: json,
    now,
    newRun: newRun || policy === 'terminateExisting',
    ...(delayMs > 0 ? { readyAt: new Date(now.getTime() + delayMs) } : {}),
    ...(debounce
      ? {
          debounce: { key: debounce.key, ...(debounce.maxWaitMs ? { maxWaitMs: debounce.maxWaitMs } : {}) },
          readyAt: new Date(now.getTime() + debounce.periodMs),
        }
      : {}),
    ...(attributes ? { attributes } : {}),
    ...(executionTimeoutMs === undefined ? {} : { executionTimeoutMs }),
    ...(throttle ? { throttle } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(priority ? { priority } : {}),
  };
  return { workflowId, policy, tx, mayWait: !!concurrency || !!debounce, request };
}
