import type { ClaimedRun, ClaimedTask, NewTask } from '@reel/sdk';
import { describe, expect, vi } from 'vitest';
import { at, type Harness, LEASE } from './harness.ts';

const eventually = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 5 });

/** Task queues: fenced enqueue, claims that lapse, completion into the run's inbox, deletion. */
export function taskBehaviour(h: Harness): void {
  const { it } = h;

  /** A claimed run and a task for its command 1, on a queue and activity name no other test uses. */
  async function setup(fields: Partial<NewTask> = {}) {
    const lease = await h.startClaimed();
    const task: NewTask = {
      runId: lease.runId,
      cmd: 1,
      attempt: 1,
      name: h.id('render'),
      args: [{ frame: 7 }, 'hd'],
      queue: h.id('gpu'),
      availableAt: at(0),
      ...fields,
    };
    return { lease, task, names: [task.name], queues: [task.queue] };
  }

  /** Claims the one task on the queue at `now`. */
  async function claimOne(task: NewTask, now = at(0), owner = 'task-worker-1'): Promise<ClaimedTask> {
    const claimed = await h.store.claimTasks(owner, [task.queue], [task.name], 10, now, LEASE);
    expect(claimed).toHaveLength(1);
    return claimed[0] as ClaimedTask;
  }

  const claimAt = (task: NewTask, now: Date) =>
    h.store.claimTasks('probe', [task.queue], [task.name], 10, now, LEASE);

  /** Releases the run, as a driver that waits on its task does. */
  async function release(lease: ClaimedRun) {
    const { version } = await h.store.readInbox(lease.runId);
    const released = await h.store.commit({
      ...lease,
      now: at(1),
      events: [],
      consumedInbox: [],
      release: { readyAt: null, inboxVersion: version },
    });
    expect(released).toBe('ok');
  }

  describe('task queues', () => {
    it('enqueueTask needs the run lease: a stale fencing token enqueues nothing', async () => {
      const { lease, task } = await setup();
      expect(await h.store.enqueueTask({ ...lease, fencingToken: lease.fencingToken - 1 }, task, at(0))).toBe(
        false,
      );
      expect(await claimAt(task, at(10 * LEASE))).toEqual([]);
      expect(await h.store.enqueueTask(lease, task, at(0))).toBe(true);
      expect(await claimAt(task, at(0))).toHaveLength(1);
    });

    it('a task is claimable from availableAt, on its queue, for its activity name, with its fields', async () => {
      const trace = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'k=v' };
      const { lease, task } = await setup({
        availableAt: at(5000),
        attempt: 2,
        lastHeartbeat: { row: 3 },
        trace,
      });
      expect(await h.store.enqueueTask(lease, task, at(0))).toBe(true);
      expect(await h.store.nextTaskIn([task.queue], [task.name], at(0))).toBe(5000);
      expect(await claimAt(task, at(4999))).toEqual([]);
      expect(await h.store.claimTasks('w', [h.id('cpu')], [task.name], 10, at(5000), LEASE - 5000)).toEqual(
        [],
      );
      expect(
        await h.store.claimTasks('w', [task.queue], [h.id('other')], 10, at(5000), LEASE - 5000),
      ).toEqual([]);
      const claimed = await claimOne(task, at(5000));
      expect(claimed).toMatchObject({
        workflowId: expect.any(String),
        runId: lease.runId,
        cmd: 1,
        attempt: 2,
        name: task.name,
        args: [{ frame: 7 }, 'hd'],
        queue: task.queue,
        lastHeartbeat: { row: 3 },
        trace,
      });
      expect(claimed.availableAt).toEqual(at(5000));
      expect(typeof claimed.id).toBe('string');
      expect(typeof claimed.claim).toBe('number');
      expect((await h.store.describe(claimed.workflowId))?.runId).toBe(lease.runId);
    });

    it('a claim hides the task for lockMs; the next claim fences out the first', async () => {
      const { lease, task } = await setup();
      await h.store.enqueueTask(lease, task, at(0));
      const first = await claimOne(task, at(0));
      expect(await claimAt(task, at(LEASE - 1))).toEqual([]);
      expect(await h.store.nextTaskIn([task.queue], [task.name], at(1))).toBe(LEASE - 1);
      const second = await claimOne(task, at(LEASE), 'task-worker-2');
      expect(second.id).toBe(first.id);
      expect(second.claim).toBeGreaterThan(first.claim);

      expect(await h.store.renewTasks([first], at(LEASE + 1), 2 * LEASE - 1)).toEqual([first.id]);
      expect(await h.store.completeTask(first, { ok: true, result: 'late' }, at(LEASE + 2))).toBe(false);
      expect((await h.store.readInbox(lease.runId)).items).toEqual([]);
      expect(await h.store.completeTask(second, { ok: true, result: 'done' }, at(LEASE + 3))).toBe(true);
    });

    it('completeTask deletes the task and puts its outcome in the inbox, waking a released run', async () => {
      const { lease, task } = await setup();
      await h.store.enqueueTask(lease, task, at(0));
      await release(lease);
      const claimed = await claimOne(task, at(2));
      const before = await h.store.readInbox(lease.runId);
      expect(await h.claimable([lease.type], at(100 * LEASE))).toEqual([]);

      expect(await h.store.completeTask(claimed, { ok: true, result: { url: 's3://x' } }, at(50))).toBe(true);
      const inbox = await h.store.readInbox(lease.runId);
      expect(inbox.version).toBe(before.version + 1);
      expect(inbox.items.map(({ kind, name, payload }) => ({ kind, name, payload }))).toEqual([
        {
          kind: 'activity_result',
          name: null,
          payload: { cmd: 1, attempt: 1, ok: true, result: { url: 's3://x' } },
        },
      ]);
      expect(await claimAt(task, at(100 * LEASE))).toEqual([]);
      expect(await h.store.nextTaskIn([task.queue], [task.name], at(0))).toBeUndefined();
      expect(await h.store.completeTask(claimed, { ok: true, result: 1 }, at(51))).toBe(false);
      expect(await h.claimable([lease.type], at(50))).toEqual([lease.runId]);
    });

    it('a failed outcome carries its error; a result of undefined is left out', async () => {
      const { lease, task } = await setup();
      await h.store.enqueueTask(lease, task, at(0));
      const claimed = await claimOne(task);
      const error = { name: 'Error', message: 'GPU fell over', details: { lastHeartbeat: { row: 9 } } };
      await h.store.completeTask(claimed, { ok: false, error }, at(3));
      const other = await setup();
      await h.store.enqueueTask(other.lease, other.task, at(0));
      await h.store.completeTask(await claimOne(other.task), { ok: true, result: undefined }, at(3));
      expect((await h.store.readInbox(lease.runId)).items[0]?.payload).toEqual({
        cmd: 1,
        attempt: 1,
        ok: false,
        error,
      });
      expect((await h.store.readInbox(other.lease.runId)).items[0]?.payload).toEqual({
        cmd: 1,
        attempt: 1,
        ok: true,
      });
    });

    it('the same attempt is enqueued once; a later attempt replaces the task and fences out its claim', async () => {
      const { lease, task } = await setup();
      expect(await h.store.enqueueTask(lease, task, at(0))).toBe(true);
      expect(await h.store.enqueueTask(lease, { ...task, args: ['changed'] }, at(1))).toBe(false);
      const first = await claimOne(task);
      expect(first.args).toEqual(task.args);
      expect(await h.store.enqueueTask(lease, task, at(2))).toBe(false);

      const trace = { traceparent: `00-${'a'.repeat(32)}-${'c'.repeat(16)}-01` };
      const retry = { ...task, attempt: 2, availableAt: at(1000), lastHeartbeat: { row: 4 }, trace };
      expect(await h.store.enqueueTask(lease, retry, at(3))).toBe(true);
      expect(await h.store.renewTasks([first], at(4), LEASE - 4)).toEqual([first.id]);
      expect(await h.store.completeTask(first, { ok: true, result: 'stale' }, at(5))).toBe(false);
      expect(await claimAt(task, at(999))).toEqual([]);
      const second = await claimOne(task, at(1000));
      expect(second).toMatchObject({ attempt: 2, lastHeartbeat: { row: 4 }, trace });
      expect(await h.store.enqueueTask(lease, task, at(6))).toBe(false); // an older attempt never comes back
    });

    it("tasksDueNow makes the run's unclaimed tasks in backoff claimable now, fenced by its lease", async () => {
      const { lease, task } = await setup({ attempt: 2, availableAt: at(100 * LEASE) });
      expect(await h.store.enqueueTask(lease, task, at(0))).toBe(true);
      await h.store.tasksDueNow({ ...lease, fencingToken: lease.fencingToken - 1 }, at(1));
      expect(await claimAt(task, at(2))).toEqual([]);
      await h.store.tasksDueNow(lease, at(2));
      const claimed = await claimOne(task, at(2));
      expect(claimed).toMatchObject({ attempt: 2, availableAt: at(2) });
      await h.store.tasksDueNow(lease, at(3)); // a claimed task is left alone
      expect(await h.store.renewTasks([claimed], at(4), LEASE - 4)).toEqual([]);
      // completed, the task is gone: an update cannot queue it again
      expect(await h.store.completeTask(claimed, { ok: true, result: 1 }, at(5))).toBe(true);
      await h.store.tasksDueNow(lease, at(6));
      expect(await claimAt(task, at(100 * LEASE))).toEqual([]);
    });

    it('an attempt whose result waits in the inbox is not enqueued again', async () => {
      const { lease, task } = await setup();
      await h.store.enqueueTask(lease, task, at(0));
      await h.store.completeTask(await claimOne(task), { ok: true, result: 1 }, at(1));
      expect(await h.store.enqueueTask(lease, task, at(2))).toBe(false);
      expect(await claimAt(task, at(2))).toEqual([]);
      expect(await h.store.enqueueTask(lease, { ...task, attempt: 2 }, at(2))).toBe(true);
    });

    it('renewTasks extends a claim and keeps heartbeat details for the next claim', async () => {
      const { lease, task } = await setup();
      await h.store.enqueueTask(lease, task, at(0));
      const first = await claimOne(task);
      expect(
        await h.store.renewTasks([{ ...first, heartbeat: { row: 40 } }], at(10), 2 * LEASE - 10),
      ).toEqual([]);
      expect(await claimAt(task, at(2 * LEASE - 1))).toEqual([]);
      expect(await h.store.renewTasks([first], at(11), 2 * LEASE - 11)).toEqual([]); // no details: kept
      const second = await claimOne(task, at(2 * LEASE), 'task-worker-2');
      expect(second).toMatchObject({ attempt: 1, lastHeartbeat: { row: 40 } });
      expect(await h.store.renewTasks([], at(12), 3 * LEASE - 12)).toEqual([]);
    });

    it('deleteTasks removes the given commands or all of a run, and tells their workers', async () => {
      const { lease, task } = await setup();
      // Another run's task of the same command, on another queue: no delete of the first run reaches it.
      const other = await setup({ cmd: 2 });
      await h.store.enqueueTask(other.lease, other.task, at(0));
      const [otherClaimed] = await h.store.claimTasks('w', other.queues, other.names, 10, at(0), LEASE);
      const heard: string[] = [];
      const unlisten = await h.store.listen({ onTaskCancelled: (id) => heard.push(id) });
      for (const cmd of [1, 2, 3]) await h.store.enqueueTask(lease, { ...task, cmd }, at(0));
      const claimed = await h.store.claimTasks('w', [task.queue], [task.name], 10, at(0), LEASE);
      expect(claimed.map((t) => t.cmd).sort()).toEqual([1, 2, 3]);
      const byCmd = new Map(claimed.map((t) => [t.cmd, t]));

      await h.store.deleteTasks(lease.runId, [2]);
      expect(await h.store.renewTasks(claimed, at(1), LEASE - 1)).toEqual([byCmd.get(2)?.id]);
      await eventually(() => expect(heard).toEqual([byCmd.get(2)?.id]));
      await h.store.deleteTasks(lease.runId);
      expect((await h.store.renewTasks(claimed, at(2), LEASE - 2)).sort()).toEqual(
        claimed.map((t) => t.id).sort(),
      );
      await eventually(() => expect([...heard].sort()).toEqual(claimed.map((t) => t.id).sort()));
      expect(await h.store.completeTask(byCmd.get(1) as ClaimedTask, { ok: true, result: 1 }, at(3))).toBe(
        false,
      );
      expect((await h.store.readInbox(lease.runId)).items).toEqual([]);
      expect(await h.store.renewTasks([otherClaimed as ClaimedTask], at(4), LEASE - 4)).toEqual([]);
      await unlisten();
    });

    it('terminate deletes the tasks of the run and tells their workers', async () => {
      const { lease, task } = await setup();
      const heard: string[] = [];
      const unlisten = await h.store.listen({ onTaskCancelled: (id) => heard.push(id) });
      for (const cmd of [1, 2]) await h.store.enqueueTask(lease, { ...task, cmd }, at(0));
      const claimed = await h.store.claimTasks('w', [task.queue], [task.name], 10, at(0), LEASE);
      expect(claimed).toHaveLength(2);
      const ids = claimed.map((t) => t.id).sort();

      expect(await h.store.terminate(lease.workflowId, 'stop', at(1))).toBe(true);
      await eventually(() => expect([...heard].sort()).toEqual(ids));
      expect((await h.store.renewTasks(claimed, at(2), LEASE - 2)).sort()).toEqual(ids);
      expect(await h.store.completeTask(claimed[0] as ClaimedTask, { ok: true, result: 1 }, at(3))).toBe(
        false,
      );
      await unlisten();
    });

    it('tasks of a closed run are not claimed, and completing one delivers nothing', async () => {
      const { lease, task } = await setup();
      await h.store.enqueueTask(lease, task, at(0));
      await h.store.enqueueTask(lease, { ...task, cmd: 2 }, at(0));
      const claimed = await h.store.claimTasks('w', [task.queue], [task.name], 1, at(0), LEASE);
      await h.store.commit({
        ...lease,
        now: at(1),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed' },
      });
      expect(await claimAt(task, at(10 * LEASE))).toEqual([]);
      expect(await h.store.nextTaskIn([task.queue], [task.name], at(0))).toBeUndefined();
      expect(await h.store.completeTask(claimed[0] as ClaimedTask, { ok: true, result: 1 }, at(2))).toBe(
        true,
      );
      expect((await h.store.readInbox(lease.runId)).items).toEqual([]);
    });

    it('enqueueTask tells listeners the queue it enqueued on', async () => {
      const { lease, task } = await setup();
      const heard: string[] = [];
      const unlisten = await h.store.listen({ onTask: (queue) => heard.push(queue) });
      await h.store.enqueueTask(lease, task, at(0));
      await eventually(() => expect(heard).toContain(task.queue));
      await unlisten();
    });
  });
}
