import { assertJson, type Json } from '../codec.ts';
import { toMs } from '../duration.ts';
import { ErrorCodes, type ErrorInfo, ReelError, toErrorInfo } from '../errors.ts';
import { checkConcurrency, checkPriority } from '../flow-options.ts';
import { type ActivityFn, activityOptions } from './activity.ts';
import { attemptQueue } from './activity-limits.ts';
import type { Command } from './command.ts';
import type { OpenChild } from './commands.ts';
import type { ChildHandle, ChildOptions, SignalOptions, WorkflowContext, WorkflowInfo } from './context.ts';
import { outsideWorkflowScope } from './determinism-guard.ts';
import type { HistoryEvent } from './events.ts';
import { mapDurably } from './map.ts';
import type { Queries } from './queries.ts';
import { uuidFrom } from './random.ts';
import { shielded, uncancellable } from './uncancellable.ts';
import type { Updates } from './updates.ts';
import type { Waits } from './waits.ts';

/** Thrown by `ctx.continueAsNew` to end the run; the engine starts its successor. Do not catch it. */
export class ContinueAsNew extends Error {
  constructor(readonly input: Json | undefined) {
    super('The workflow continues as new (this error ends the run; rethrow it if you catch it).');
    this.name = 'ContinueAsNew';
  }
}

/** What the ctx object needs from the replayer that runs the code. */
export interface ContextHost {
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
  /** When `workflow_started` was recorded. */
  readonly startedAt: string;
  /** True while the code re-walks recorded history. */
  isReplaying(): boolean;
  /** The time of the event the code last received. */
  now(): Date;
  random(): number;
  /** The name the worker registered `fn` under, if it did. */
  activityName(fn: ActivityFn): string | undefined;
  /** The number the next command takes. */
  nextCmd(): number;
  /** Issues the next command: matched against history, or recorded as new with `record`. */
  issue(
    kind: Command['kind'],
    name: string | undefined,
    record: (cmd: number) => HistoryEvent,
  ): Promise<unknown>;
  /** Issues a timer command; its `resolve` and `reject` are the caller's to set. */
  startTimer(ms: number): Command;
  /** Records a new event (a patch marker). */
  append(event: HistoryEvent): void;
  /** The patches the history has markers for. */
  readonly recordedPatches: ReadonlySet<string>;
  readonly children: Map<number, OpenChild>;
  readonly queries: Queries;
  readonly waits: Waits;
  readonly updates: Updates;
}

/**
 * The `ctx` a workflow function receives: it checks each call's arguments and turns it into a command
 * (activity, timer, child), a wait (signal, condition), or a value replay reproduces (time, randomness,
 * patches).
 */
export function createContext(host: ContextHost): WorkflowContext {
  const { workflowId, runId, workflowType } = host;
  const info: WorkflowInfo = {
    workflowId,
    runId,
    workflowType,
    startTime: new Date(host.startedAt),
    get isReplaying() {
      return host.isReplaying();
    },
  };
  const patches = new Map<string, boolean>();
  const sleepFor = async (ms: number) => {
    const timer = host.startTimer(ms);
    await new Promise((resolve, reject) => Object.assign(timer, { resolve, reject }));
  };
  const ctx: WorkflowContext = {
    info,
    // Not through `guard`: a command's promise is marked handled by `Commands` when it rejects it.
    activity: (fn, ...args) => {
      try {
        return scheduleActivity(host, 'ctx.activity', fn, args) as never;
      } catch (err) {
        return rejected(err);
      }
    },
    transaction: (fn, ...args) => {
      try {
        if (typeof fn === 'function' && attemptQueue(activityOptions(fn as ActivityFn)) !== undefined)
          throw invalid(
            "ctx.transaction runs on the workflow's worker, in a transaction on its database: define its function without taskQueue, concurrency or rateLimit.",
          );
        return scheduleActivity(host, 'ctx.transaction', fn as ActivityFn, args, true) as never;
      } catch (err) {
        return rejected(err);
      }
    },
    sleep: (duration) => guard(() => sleepFor(toMs(duration, 'ctx.sleep duration'))),
    sleepUntil: (time) =>
      guard(async () => {
        const at = time instanceof Date ? time.getTime() : typeof time === 'string' ? Date.parse(time) : time;
        if (typeof at !== 'number' || !Number.isFinite(at))
          throw invalid(
            `ctx.sleepUntil expects a Date, an ISO 8601 string or epoch milliseconds, not ${JSON.stringify(time)}.`,
          );
        const ms = at - host.now().getTime();
        if (ms > 0) await sleepFor(ms);
      }),
    signal: <T>(name: string, options?: SignalOptions) =>
      guard(() => {
        if (typeof name !== 'string' || name === '')
          throw invalid('ctx.signal expects a non-empty signal name.');
        const timeout =
          options?.timeout === undefined ? undefined : toMs(options.timeout, 'ctx.signal timeout');
        return host.waits.signal<T>(name, timeout);
      }),
    onSignal: (name, handler) => {
      if (typeof name !== 'string' || name === '' || typeof handler !== 'function') {
        throw invalid('ctx.onSignal expects a signal name and a handler function.');
      }
      host.waits.onSignal(name, handler as (payload: unknown) => void);
    },
    waitFor: (predicate, options) =>
      guard(() => {
        if (typeof predicate !== 'function') throw invalid('ctx.waitFor expects a predicate function.');
        const timeout =
          options?.timeout === undefined ? undefined : toMs(options.timeout, 'ctx.waitFor timeout');
        return host.waits.waitFor(predicate, timeout);
      }),
    startChild: (workflow, input, options = {}) =>
      guard(() => {
        const type = typeof workflow === 'function' ? workflow.name : workflow;
        if (typeof type !== 'string' || type === '')
          throw invalid('ctx.startChild expects a named workflow function or a type name.');
        const json = assertJson(input, `The input of child workflow '${type}'`);
        const policy = options.parentClosePolicy ?? 'terminate';
        if (!['terminate', 'requestCancel', 'abandon'].includes(policy)) {
          throw invalid(
            `parentClosePolicy must be 'terminate', 'requestCancel' or 'abandon', not ${JSON.stringify(policy)}.`,
          );
        }
        const flow = childFlow(options);
        const cmd = host.nextCmd();
        const childId = options.id ?? `${workflowId}-child-${cmd}`;
        if (typeof childId !== 'string' || childId === '')
          throw invalid('A child workflow id must be a non-empty string.');
        const child: OpenChild = {
          cmd,
          workflowType: type,
          workflowId: childId,
          input: json,
          parentClosePolicy: policy,
          ...flow,
          done: false,
          shielded: shielded(),
        };
        host.children.set(cmd, child);
        const completion = host.issue('child', type, (c) => ({
          type: 'child_scheduled',
          cmd: c,
          workflowType: type,
          workflowId: childId,
          input: json,
          parentClosePolicy: policy,
          ...flow,
        }));
        completion.catch(() => undefined);
        child.completion = completion;
        // Starting fails with the child's failure if it ends before it started (e.g. cancelled).
        return new Promise((resolve, reject) => {
          child.started = resolve as (handle: ChildHandle<unknown>) => void;
          completion.catch(reject);
        }) as never;
      }),
    child: (workflow, input, options) =>
      guard(async () => {
        const handle = await ctx.startChild(workflow, input, options);
        return handle.result() as never;
      }),
    continueAsNew: (input) =>
      guard(() => {
        throw new ContinueAsNew(assertJson(input, 'The input of continueAsNew'));
      }),
    uncancellable: (fn) => guard(() => uncancellable(fn)),
    map: (items, fn, options) => guard(() => mapDurably(items, fn, options) as never),
    patched: (patchId) => {
      if (typeof patchId !== 'string' || patchId === '') throw invalid('ctx.patched expects a patch id.');
      let applies = patches.get(patchId);
      if (applies === undefined) {
        // Recorded: the run reached here with the new code. Replaying without a marker: the old code
        // path was taken. Live: take the new path and record that it did.
        applies = host.recordedPatches.has(patchId) || !host.isReplaying();
        if (applies && !host.recordedPatches.has(patchId)) host.append({ type: 'patch_marker', patchId });
        patches.set(patchId, applies);
      }
      return applies;
    },
    deprecatePatch: (patchId) => {
      if (typeof patchId !== 'string' || patchId === '')
        throw invalid('ctx.deprecatePatch expects a patch id.');
      patches.set(patchId, true);
    },
    onQuery: (name, handler) => {
      if (typeof name !== 'string' || name === '' || typeof handler !== 'function') {
        throw invalid('ctx.onQuery expects a query name and a handler function.');
      }
      host.queries.register(name, handler);
    },
    onUpdate: (name, handler, options) => {
      if (typeof name !== 'string' || name === '' || typeof handler !== 'function')
        throw invalid('ctx.onUpdate expects an update name and a handler function.');
      const validate = options?.validate;
      if (validate !== undefined && typeof validate !== 'function')
        throw invalid('The validate option of ctx.onUpdate must be a function.');
      host.updates.register(name, {
        run: handler as (arg: unknown) => unknown,
        ...(validate ? { validate: validate as (arg: unknown) => void } : {}),
      });
    },
    sideEffect: (fn) => {
      if (typeof fn !== 'function') return rejected(invalid('ctx.sideEffect expects a function.'));
      // `fn` runs only when the command is new: a replay reads what it did from history.
      return host.issue('sideEffect', undefined, (cmd) => ({
        type: 'side_effect',
        cmd,
        ...sideEffectOutcome(fn),
      })) as never;
    },
    now: () => host.now(),
    random: () => host.random(),
    uuid: () => uuidFrom(host.random),
  };
  return ctx;
}

/** A ctx promise the code never awaits must not crash the worker when it rejects (e.g. on cancel). */
function guard<T>(body: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = body();
  } catch (err) {
    return rejected(err);
  }
  promise.catch(ignore);
  return promise;
}

/**
 * Runs a side effect's function, outside the workflow's scope (the real clock, real randomness, I/O
 * not reported), and says how it went as history records it: the JSON it returned, or what it threw.
 */
function sideEffectOutcome(fn: () => unknown): { result: Json | undefined } | { error: ErrorInfo } {
  try {
    const value = outsideWorkflowScope(fn);
    if (value instanceof Promise) {
      value.catch(ignore);
      throw invalid('ctx.sideEffect takes a synchronous function: to wait for I/O, use an activity.');
    }
    return { result: assertJson(value, 'The result of ctx.sideEffect') };
  } catch (err) {
    return { error: toErrorInfo(err) };
  }
}

/** A ctx call's synchronous failure (invalid arguments), as the rejected promise the code awaits. */
function rejected(err: unknown): Promise<never> {
  const promise = Promise.reject(err);
  promise.catch(ignore);
  return promise;
}

function ignore(): void {}

/**
 * A child's flow-control options, checked. Debounce and throttle would return a run that is not this
 * parent's child (or another parent's), so they are refused by name.
 */
function childFlow(options: ChildOptions): Pick<OpenChild, 'concurrency' | 'priority'> {
  for (const name of ['debounce', 'throttle'])
    if (name in options)
      throw invalid(
        `A child workflow takes no ${name}: each ctx.startChild starts its own child. Leave ${name} out, or start the workflow from a client or an activity.`,
      );
  const concurrency = checkConcurrency(options.concurrency, false);
  const priority = checkPriority(options.priority);
  return { ...(concurrency ? { concurrency } : {}), ...(priority === undefined ? {} : { priority }) };
}

function invalid(message: string): ReelError {
  return new ReelError(ErrorCodes.INVALID_ARGUMENT, message);
}

/** Issues an activity command (`transaction`: from `ctx.transaction`) once its arguments are checked. */
function scheduleActivity(
  host: ContextHost,
  call: string,
  fn: ActivityFn,
  args: unknown[],
  transaction = false,
): Promise<unknown> {
  if (typeof fn !== 'function') throw invalid(`${call} expects the activity function as its first argument.`);
  const name = host.activityName(fn) || activityOptions(fn).name || fn.name;
  if (!name) {
    throw invalid(
      "This activity has no name: register it in the worker's activities ({ chargeCard }) or give it one with defineActivity(fn, { name }).",
    );
  }
  const json = assertJson(args, `The arguments of activity '${name}'`) as Json[];
  const { taskQueue } = activityOptions(fn);
  return host.issue(transaction ? 'transaction' : 'activity', name, (cmd) => ({
    type: 'activity_scheduled',
    cmd,
    name,
    args: json,
    // for describe(): where the activity waits, readable without the worker's registry
    ...(taskQueue === undefined ? {} : { taskQueue }),
    ...(transaction ? { transaction: true as const } : {}),
  }));
}
