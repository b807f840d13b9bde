import type { ClaimedRun, ClaimedTask, NewTask } from '@reel/sdk';
import { describe, expect, vi } from 'vitest';
import { at, type Harness, LEASE } from './harness.ts';

const MINUTE = 60_000;

/**
 * Activity limits on tasks: a concurrency key admits a claim while fewer claims of it are live than
 * its limit, a rate limit gives out tokens at its rate (GCRA), priorities order claims, and a task
 * passed over says why.
 */
export function activityLimitBehaviour(h: Harness): void {
  const { it } = h;

  /** A queue and activity name of the test's own, and a claimed run to enqueue on. */
  async function setup(): Promise<{ lease: ClaimedRun; base: NewTask }> {
    const lease = await h.startClaimed();
    const base = {
      runId: lease.runId,
      cmd: 1,
      attempt: 1,
      name: h.id('charge'),
      args: [],
      queue: h.id('api'),
      availableAt: at(0),
    };
    return { lease, base };
  }

  /** Enqueues `task` on a run of its own (a new claimed run), available and enqueued at `ms`. */
  async function enqueue(base: NewTask, ms: number, fields: Partial<NewTask> = {}) {
    const lease = await h.startClaimed();
    const task = { ...base, runId: lease.runId, availableAt: at(ms), ...fields };
    expect(await h.store.enqueueTask(lease, task, at(ms))).toBe(true);
    return { lease, task };
  }

  const claim = async (base: NewTask, ms: number, limit = 10, names = [base.name]) =>
    h.store.claimTasks('w', [base.queue], names, limit, at(ms), LEASE);
  const runsOf = (tasks: ClaimedTask[]) => tasks.map((t) => t.runId);

  describe('activity limits', () => {
    it('a concurrency key admits claims up to its limit; a waiter says why and is woken when a holder completes', async () => {
      const { base } = await setup();
      const key = h.id('account');
      const limited = { ...base, concurrency: { key, limit: 2 } };
      const tasks = [];
      for (const ms of [0, 1, 2]) tasks.push(await enqueue(limited, ms));
      const [a, b, c] = tasks.map((t) => t.lease.runId);
      const heard: string[] = [];
      const unlisten = await h.store.listen({ onTask: (queue) => heard.push(queue) });

      const first = await claim(base, 10);
      expect(runsOf(first)).toEqual([a, b]);
      expect(await h.store.taskWaits(c as string)).toEqual([{ cmd: 1, waitingFor: { concurrencyKey: key } }]);
      // Not claimable again before the earliest holder's claim could lapse.
      expect(await h.store.nextTaskIn([base.queue], [base.name], at(10))).toBe(LEASE);
      expect(await claim(base, 20)).toEqual([]);

      heard.length = 0;
      expect(await h.store.completeTask(first[0] as ClaimedTask, { ok: true, result: 1 }, at(30))).toBe(true);
      await vi.waitFor(() => expect(heard).toContain(base.queue));
      expect(await h.store.taskWaits(c as string)).toEqual([]);
      expect(runsOf(await claim(base, 30))).toEqual([c]);
      await unlisten();
    });

    it('a lapsed claim frees its slot for another activity of a shared key; the lapsed task then waits, its old claim fenced out', async () => {
      const { base } = await setup();
      const concurrency = { key: h.id('stripe'), limit: 1 };
      const other = { ...base, name: h.id('refund'), concurrency };
      const { lease } = await enqueue({ ...base, concurrency }, 0);
      const holder = (await claim(base, 0))[0] as ClaimedTask;
      const { lease: waiting } = await enqueue(other, 1);
      expect(await claim(other, 1)).toEqual([]);
      expect(await h.store.taskWaits(waiting.runId)).toEqual([
        { cmd: 1, waitingFor: { concurrencyKey: concurrency.key } },
      ]);

      expect(runsOf(await claim(other, LEASE))).toEqual([waiting.runId]);
      expect(await claim(base, LEASE + 1)).toEqual([]);
      expect(await h.store.taskWaits(lease.runId)).toEqual([
        { cmd: 1, waitingFor: { concurrencyKey: concurrency.key } },
      ]);
      expect(await h.store.renewTasks([holder], at(LEASE + 2), LEASE)).toEqual([holder.id]);
      expect(await h.store.completeTask(holder, { ok: true, result: 'late' }, at(LEASE + 3))).toBe(false);
    });

    it('a woken waiter comes back at its place in line: the first in claim order, priority included', async () => {
      const { base } = await setup();
      const limited = { ...base, concurrency: { key: h.id('k'), limit: 1 } };
      await enqueue(limited, 0);
      const holder = (await claim(base, 0))[0] as ClaimedTask;
      const low = await enqueue(limited, 1);
      const high = await enqueue(limited, 2, { priority: 10 });
      expect(await claim(base, 3)).toEqual([]);
      await h.store.completeTask(holder, { ok: true, result: 1 }, at(4));
      expect(runsOf(await claim(base, 4))).toEqual([high.lease.runId]);
      expect(await h.store.taskWaits(low.lease.runId)).toEqual([
        { cmd: 1, waitingFor: { concurrencyKey: limited.concurrency.key } },
      ]);
    });

    it('a holder replaced by a newer attempt frees its slot', async () => {
      const { base } = await setup();
      const limited = { ...base, concurrency: { key: h.id('k'), limit: 1 } };
      const { lease, task } = await enqueue(limited, 0);
      await claim(base, 0);
      const waiter = await enqueue(limited, 1);
      expect(await claim(base, 1)).toEqual([]);
      expect(await h.store.enqueueTask(lease, { ...task, attempt: 2, availableAt: at(5000) }, at(2))).toBe(
        true,
      );
      expect(await h.store.taskWaits(waiter.lease.runId)).toEqual([]);
      expect(runsOf(await claim(base, 2))).toEqual([waiter.lease.runId]);
    });

    it('a rate limit admits `limit` claims at once, then one per per/limit; each other task is claimable at its turn', async () => {
      const { base } = await setup();
      const key = h.id('api');
      const limited = { ...base, rateLimit: { key, limit: 2, perMs: 1000 } };
      const runs = [];
      for (const ms of [0, 1, 2, 3]) runs.push((await enqueue(limited, ms)).lease.runId);
      expect(runsOf(await claim(base, 10))).toEqual(runs.slice(0, 2));
      expect(await h.store.taskWaits(runs[2] as string)).toEqual([
        { cmd: 1, waitingFor: { rateLimitKey: key } },
      ]);
      expect(await h.store.nextTaskIn([base.queue], [base.name], at(10))).toBe(500);
      expect(await claim(base, 509)).toEqual([]);
      expect(runsOf(await claim(base, 510))).toEqual([runs[2]]);
      expect(await claim(base, 1009)).toEqual([]);
      expect(runsOf(await claim(base, 1010))).toEqual([runs[3]]);
      // The bucket refilled meanwhile: two more go at once, a third waits a token.
      const later = [];
      for (const ms of [5000, 5001, 5002]) later.push((await enqueue(limited, ms)).lease.runId);
      expect(runsOf(await claim(base, 5010))).toEqual(later.slice(0, 2));
      expect(await h.store.nextTaskIn([base.queue], [base.name], at(5010))).toBe(500);
    });

    it('a task takes its run priority unless its activity gives one; claims take higher priorities first', async () => {
      const { base } = await setup();
      const type = await h.type();
      const { runId } = await h.start(type, { priority: 5 });
      const lease = await h.claimOne(type);
      expect(lease.runId).toBe(runId);
      const enqueueCmd = async (cmd: number, ms: number, priority?: number) => {
        const task = {
          ...base,
          runId,
          cmd,
          availableAt: at(ms),
          ...(priority === undefined ? {} : { priority }),
        };
        await h.store.enqueueTask(lease, task, at(ms));
      };
      await enqueueCmd(1, 0); // the run's 5: ordered at -5 minutes
      await enqueueCmd(2, 1, 0);
      await enqueueCmd(3, 9 * MINUTE, 10); // ordered at -1 minute
      const order = [];
      for (let i = 0; i < 3; i++) order.push(...(await claim(base, 20 * MINUTE, 1)).map((t) => t.cmd));
      expect(order).toEqual([1, 3, 2]);
    });

    it('a claim on several queues takes their tasks in one claim order', async () => {
      const { lease, base } = await setup();
      const other = h.id('other-queue');
      const enqueueOn = (cmd: number, queue: string, ms: number, priority: number) =>
        h.store.enqueueTask(lease, { ...base, cmd, queue, availableAt: at(ms), priority }, at(ms));
      await enqueueOn(1, base.queue, 0, 0);
      await enqueueOn(2, other, 1, 5);
      await enqueueOn(3, base.queue, 2, 10);
      const order = [];
      for (let i = 0; i < 3; i++)
        order.push(
          ...(await h.store.claimTasks('w', [base.queue, other], [base.name], 1, at(MINUTE), LEASE)).map(
            (t) => t.cmd,
          ),
        );
      expect(order).toEqual([3, 2, 1]);
    });
  });
}
