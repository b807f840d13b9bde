/**
 * The live workload of `at-size.ts`: workflows driven through the store's calls as a worker makes
 * them for a run another process started (`START`, `CLAIM`, which brings a history this short, then
 * `COMMIT`s), each call timed. A run calls four activities, so its history has 10 events, as the
 * filled runs do: the first commit records the first result with the second activity's scheduling,
 * the last one closes.
 */
import { randomUUID } from 'node:crypto';
import type { PostgresStore, RecordedEvent } from '../../../packages/sdk/src/index.ts';

/** Latencies in ms, by store call. */
export interface Samples {
  start: number[];
  /** The claim and, if it did not bring the history, the history's load, as a worker sees it. */
  claim: number[];
  commit: number[];
  close: number[];
}

export const emptySamples = (): Samples => ({ start: [], claim: [], commit: [], close: [] });

const LEASE_MS = 30_000;

async function timed<T>(into: number[], call: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const value = await call();
  into.push(performance.now() - t);
  return value;
}

/** One workflow of `type`, from start to close; `type` must have no other ready run. */
export async function runOne(store: PostgresStore, type: string, samples: Samples): Promise<void> {
  const runId = randomUUID();
  const input = {
    orderId: `live-${runId}`,
    customer: 'c-1',
    items: [{ sku: 'sku-1', qty: 1 }],
    amount: 12.5,
  };
  await timed(samples.start, () =>
    store.start({ workflowId: `live-${runId}`, runId, type, input, now: new Date() }),
  );
  const claimed = await timed(samples.claim, async () => {
    const [run] = await store.claim('bench', [type], 1, new Date(), LEASE_MS);
    if (run && !run.loaded) await store.loadHistory(run.runId);
    return run;
  });
  if (claimed?.runId !== runId) throw new Error(`claimed ${claimed?.runId}, not the run started: ${runId}`);
  const lease = { runId, fencingToken: claimed.fencingToken };
  let seq = 1;
  const event = (e: Record<string, unknown>) =>
    ({ ...e, seq: seq++, at: new Date().toISOString() }) as RecordedEvent;
  const scheduled = (cmd: number) =>
    event({ type: 'activity_scheduled', cmd, name: `step${cmd}`, args: [input.orderId, input.amount] });
  const completed = (cmd: number) =>
    event({ type: 'activity_completed', cmd, result: { ok: true, ref: `${runId}-${cmd}` } });
  const commit = async (into: number[], events: RecordedEvent[], close?: boolean) => {
    const outcome = await timed(into, () =>
      store.commit({
        ...lease,
        now: new Date(),
        events,
        consumedInbox: [],
        ...(close
          ? { close: { status: 'completed', result: { receipt: runId }, inboxVersion: 0 } }
          : { leaseMs: LEASE_MS }),
      }),
    );
    if (outcome !== 'ok') throw new Error(`commit of ${runId}: ${outcome}`);
  };
  await commit(samples.commit, [scheduled(0), completed(0), scheduled(1)]);
  await commit(samples.commit, [completed(1), scheduled(2)]);
  await commit(samples.commit, [completed(2), scheduled(3)]);
  await commit(
    samples.close,
    [completed(3), event({ type: 'workflow_completed', result: { receipt: runId } })],
    true,
  );
}

/** `loops` concurrent loops (each its own type), each running workflows one after another until `done()`. */
export async function runLoops(
  store: PostgresStore,
  types: string[],
  samples: Samples,
  done: () => boolean,
): Promise<number> {
  let workflows = 0;
  await Promise.all(
    types.map(async (type) => {
      while (!done()) {
        await runOne(store, type, samples);
        workflows++;
      }
    }),
  );
  return workflows;
}
