import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  type ActivityFn,
  CLOSING_EVENTS,
  type Client,
  describeCommand,
  ErrorCodes,
  ISSUING_EVENTS,
  NonDeterminismError,
  type RecordedEvent,
  ReelError,
  WorkflowExecution,
  type WorkflowFn,
  type WorkflowHistory,
} from '@reel/sdk';

export interface ReplayOptions {
  /** The activities registry, when names differ from the functions' own names. */
  activities?: Record<string, ActivityFn>;
  /** Shown in failure messages (e.g. the fixture's file name). */
  source?: string;
}

/** A recorded history does not replay against the current code; `message` holds a readable diff. */
export class ReplayMismatchError extends ReelError {
  constructor(
    message: string,
    readonly history: WorkflowHistory,
    options?: { cause?: unknown },
  ) {
    super(ErrorCodes.NONDETERMINISM, message, options);
  }
}

/**
 * Replays a recorded history (as exported by `client.history()`) against the current workflow code,
 * without running any activity. Throws `ReplayMismatchError` at the first divergence: a different
 * command, a missing one, or a different ending.
 * @example
 * await replayHistory(orderWorkflow, JSON.parse(await readFile('histories/order-approved.json', 'utf8')));
 */
export async function replayHistory(
  workflow: WorkflowFn,
  history: WorkflowHistory,
  options: ReplayOptions = {},
): Promise<void> {
  const names = new Map(Object.entries(options.activities ?? {}).map(([name, fn]) => [fn, name]));
  const exec = new WorkflowExecution({
    workflowId: history.workflowId,
    runId: history.runId,
    workflowType: history.workflowType,
    fn: workflow,
    history: history.events,
    clock: () => new Date(history.events.at(-1)?.at ?? 0),
    activityName: (fn) => names.get(fn) ?? fn.name,
  });
  const where = `${history.workflowId} (${history.workflowType}${options.source ? `, ${options.source}` : ''})`;
  try {
    await exec.advance();
  } catch (err) {
    if (err instanceof NonDeterminismError) {
      const at = history.events.findIndex(
        (e) => ISSUING_EVENTS.has(e.type) && 'cmd' in e && e.cmd === err.seq,
      );
      throw new ReplayMismatchError(
        `Replay of ${where} diverged at command ${err.seq}:\n` +
          `  history recorded: ${describeCommand(err.recorded)}\n` +
          `  the code now issues: ${describeCommand(err.expected)}\n` +
          `History around it:\n${excerpt(history.events, at === -1 ? history.events.length - 1 : at)}`,
        history,
        { cause: err },
      );
    }
    throw new ReplayMismatchError(`Replay of ${where} failed: ${(err as Error).message}`, history, {
      cause: err,
    });
  }
  const recorded = history.events.find((e) => CLOSING_EVENTS.has(e.type) && e.type !== 'workflow_terminated');
  const replayed = exec.outcome;
  if (!recorded) return; // an open (or terminated) run: the code may go on past its history
  if (!replayed || replayed.type !== recorded.type || !sameEnding(recorded, replayed)) {
    throw new ReplayMismatchError(
      `Replay of ${where} ended differently:\n` +
        `  - recorded: ${JSON.stringify(ending(recorded))}\n` +
        `  + replayed: ${replayed ? JSON.stringify(ending(replayed)) : 'still running (the code waits for something history never delivered)'}`,
      history,
    );
  }
}

/**
 * Replays every `*.json` history in `dir` against `workflows[history.workflowType]`; throws one error
 * listing every file that does not replay. Returns the files checked.
 */
export async function replayHistories(
  dir: string,
  workflows: Record<string, WorkflowFn>,
  options: Omit<ReplayOptions, 'source'> = {},
): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const failures: string[] = [];
  for (const file of files) {
    const history = JSON.parse(await readFile(join(dir, file), 'utf8')) as WorkflowHistory;
    const workflow = workflows[history.workflowType];
    try {
      if (!workflow) throw new Error(`no workflow registered as '${history.workflowType}'`);
      await replayHistory(workflow, history, { ...options, source: file });
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) {
    throw new ReelError(
      ErrorCodes.NONDETERMINISM,
      `${failures.length} of ${files.length} histories in ${dir} do not replay:\n\n${failures.join('\n\n')}`,
    );
  }
  return files;
}

function excerpt(events: RecordedEvent[], at: number): string {
  return events
    .slice(Math.max(0, at - 3), at + 3)
    .map((e) => {
      const { seq, at: _time, type, ...rest } = e;
      return `  ${seq === at ? '>' : ' '} #${seq} ${type} ${JSON.stringify(rest)}`;
    })
    .join('\n');
}

type Ending = { type: string; result?: unknown; error?: { message: string } };

/** The comparable part of an ending, normalised as stored (JSON drops `undefined`). */
function ending(e: Ending): unknown {
  const value =
    e.type === 'workflow_completed'
      ? { type: e.type, result: e.result }
      : { type: e.type, message: e.error?.message };
  return JSON.parse(JSON.stringify(value));
}

function sameEnding(a: Ending, b: Ending): boolean {
  return isDeepStrictEqual(ending(a), ending(b));
}

/**
 * Writes the history of `workflowId`'s latest run to `file`, as `replayHistories` reads it: a golden
 * history for CI to replay against later code. Returns the number of events written.
 * @example await recordHistory(env.client, handle.id, new URL('./histories/approved.json', import.meta.url));
 */
export async function recordHistory(client: Client, workflowId: string, file: URL): Promise<number> {
  const history = await client.history(workflowId);
  await writeFile(file, `${JSON.stringify(history, null, 2)}\n`);
  return history.events.length;
}
