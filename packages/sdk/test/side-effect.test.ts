import { describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  type HistoryEvent,
  NonDeterminismError,
  type RecordedEvent,
  SideEffectFailure,
  type WorkflowContext,
  WorkflowExecution,
  type WorkflowFn,
} from '../src/index.ts';

const T0 = Date.parse('2026-03-01T09:00:00.000Z');

function recorded(...events: HistoryEvent[]): RecordedEvent[] {
  return events.map((e, seq) => Object.assign({}, e, { seq, at: new Date(T0 + seq).toISOString() }));
}

function execution(fn: WorkflowFn, history: RecordedEvent[]) {
  return new WorkflowExecution({
    workflowId: 'flags-1',
    runId: '6f1c1c0e-5f0a-4a43-9d6c-2f3f1f7f0a01',
    workflowType: 'flags',
    fn,
    history,
    clock: () => new Date(T0 + 60_000),
  });
}

async function notify(version: string) {
  return version;
}

/** A workflow that reads a setting once, through `ctx.sideEffect`, and acts on it. */
function readsSetting(read: () => unknown) {
  return async (ctx: WorkflowContext) => {
    const version = await ctx.sideEffect(read as () => string);
    return ctx.activity(notify, version);
  };
}

/** Runs `workflow` live from its start; returns the events it recorded after `workflow_started`. */
async function live(workflow: WorkflowFn): Promise<RecordedEvent[]> {
  const exec = execution(
    workflow,
    recorded({ type: 'workflow_started', workflowType: 'flags', input: null }),
  );
  await exec.advance();
  return exec.log.slice(1);
}

describe('ctx.sideEffect', () => {
  it('runs its function once, live, records the result, and hands it back on replay without running it', async () => {
    let calls = 0;
    const workflow = readsSetting(() => `v${++calls}`);
    const events = await live(workflow);
    expect(calls).toBe(1);
    expect(events.map(({ seq, at, ...e }) => e)).toEqual([
      { type: 'side_effect', cmd: 0, result: 'v1' },
      { type: 'activity_scheduled', cmd: 1, name: 'notify', args: ['v1'] },
    ]);

    const replay = execution(
      workflow,
      recorded({ type: 'workflow_started', workflowType: 'flags', input: null }, ...events, {
        type: 'activity_completed',
        cmd: 1,
        result: 'v1',
      }),
    );
    await replay.advance();
    expect(calls).toBe(1);
    expect(replay.outcome).toEqual({ type: 'workflow_completed', result: 'v1' });
  });

  it('runs its function outside the determinism guard: it reads the real clock', async () => {
    const [event] = await live(readsSetting(() => Date.now()));
    // The workflow's own clock is the history's (March 2026); the function's is the machine's.
    expect(event).toMatchObject({ type: 'side_effect', cmd: 0 });
    expect(Math.abs((event as { result: number }).result - Date.now())).toBeLessThan(60_000);
  });

  it('records what its function threw, and rejects with it on every replay', async () => {
    let calls = 0;
    const caught: unknown[] = [];
    const workflow = async (ctx: WorkflowContext) => {
      try {
        await ctx.sideEffect(() => {
          calls++;
          throw new Error('flag service unreachable');
        });
      } catch (err) {
        caught.push(err);
      }
    };
    const events = await live(workflow);
    expect(events[0]).toMatchObject({
      type: 'side_effect',
      cmd: 0,
      error: { name: 'Error', message: 'flag service unreachable' },
    });

    const replay = execution(
      workflow,
      recorded({ type: 'workflow_started', workflowType: 'flags', input: null }, ...events),
    );
    await replay.advance();
    expect(calls).toBe(1);
    expect(caught).toHaveLength(2);
    for (const err of caught) {
      expect(err).toBeInstanceOf(SideEffectFailure);
      expect(err).toMatchObject({
        code: ErrorCodes.SIDE_EFFECT_FAILED,
        failure: { message: 'flag service unreachable' },
      });
    }
  });

  it('records an asynchronous function or a result that is not JSON as an error that says what to do', async () => {
    const [asynchronous] = await live(readsSetting(async () => 'v1'));
    expect(asynchronous).toMatchObject({
      error: {
        code: ErrorCodes.INVALID_ARGUMENT,
        message: expect.stringMatching(/synchronous.*use an activity/),
      },
    });
    const [notJson] = await live(readsSetting(() => new Map()));
    expect(notJson).toMatchObject({ error: { code: ErrorCodes.NOT_SERIALIZABLE } });
  });

  it('rejects a call without a function, issuing nothing', async () => {
    const rejected: unknown[] = [];
    const events = await live(async (ctx) => {
      await (ctx.sideEffect as (fn: unknown) => Promise<unknown>)('v1').catch((err) => rejected.push(err));
    });
    expect(rejected[0]).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    expect(events).toEqual([]);
  });

  it('is a command: code that now issues something else in its place is not deterministic', async () => {
    const exec = execution(
      async (ctx) => ctx.activity(notify, 'v1'),
      recorded(
        { type: 'workflow_started', workflowType: 'flags', input: null },
        { type: 'side_effect', cmd: 0, result: 'v1' },
      ),
    );
    const err = await exec.advance().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect((err as Error).message).toMatch(/issues activity 'notify' but history recorded a side effect/);
  });
});
