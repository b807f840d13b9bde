import type { CommandSummary } from '../errors.ts';
import type { EventType, RecordedEvent } from './events.ts';
import { shielded } from './uncancellable.ts';

/** A command the code issued; `settled` once its result (or a cancellation) has been delivered. */
export interface Command {
  cmd: number;
  /** `transaction`: an activity command issued by `ctx.transaction`, whose results are an activity's. */
  kind: 'activity' | 'transaction' | 'timer' | 'child' | 'sideEffect';
  name?: string;
  settled: boolean;
  /** Issued inside `ctx.uncancellable`: cancellation does not reject it. */
  shielded: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /**
   * What `issue` returned to the code. It is marked handled just before it is rejected (`rejectCommand`),
   * rather than by a handler attached to every command up front: a replay issues thousands.
   */
  promise: Promise<unknown>;
}

/**
 * What is kept of a command once settled: what later events naming it are checked against. Its
 * promise and resolvers go, so that a long replay does not keep thousands of them alive.
 */
export type SettledCommand = Pick<Command, 'cmd' | 'kind' | 'name'> & { settled: true };

/** Command `cmd`, issued now, with the promise the code awaits. */
export function newCommand(cmd: number, kind: Command['kind'], name: string | undefined): Command {
  let resolve!: (value: unknown) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { cmd, kind, name, settled: false, shielded: shielded(), resolve, reject, promise };
}

/**
 * Rejects the code's promise of `command`, handled first: code that never awaited it (a call it
 * fired and forgot, then a cancellation) must not crash the worker with an unhandled rejection.
 */
export function rejectCommand(command: Command, err: unknown): void {
  command.promise.catch(ignore);
  command.reject(err);
}

function ignore(): void {}

/** The command a recorded `*_scheduled`/`*_started`/`side_effect` event stands for. */
export function commandOf(e: RecordedEvent): CommandSummary {
  if (e.type === 'activity_scheduled')
    return { kind: e.transaction ? 'transaction' : 'activity', name: e.name };
  if (e.type === 'child_scheduled') return { kind: 'child', name: e.workflowType };
  if (e.type === 'side_effect') return { kind: 'sideEffect' };
  return { kind: 'timer' };
}

/** True if recorded command event `e` stands for the command `kind` `name` (`commandOf`, unallocated). */
export function isCommand(e: RecordedEvent, kind: Command['kind'], name: string | undefined): boolean {
  if (e.type === 'activity_scheduled')
    return kind === (e.transaction ? 'transaction' : 'activity') && name === e.name;
  if (e.type === 'child_scheduled') return kind === 'child' && name === e.workflowType;
  if (e.type === 'side_effect') return kind === 'sideEffect';
  return kind === 'timer' && name === undefined;
}

/** How an issued command is named in a non-determinism report. */
export function summary(c: Pick<Command, 'kind' | 'name'>): CommandSummary {
  return c.kind === 'timer' || c.kind === 'sideEffect' ? { kind: c.kind } : { kind: c.kind, name: c.name };
}

/** Events whose delivery settles nothing: it only checks them against the commands the code issued. */
export const COMMAND_EVENTS = new Set<EventType>([
  'activity_scheduled',
  'timer_started',
  'child_scheduled',
  'patch_marker',
  'update_completed',
]);
