import {
  activityResultPayload,
  type ClaimedTask,
  claimOrder,
  type InboxItem,
  type Json,
  type Lease,
  type NewTask,
  type StoreListener,
  type TaskClaim,
  type TaskOutcome,
  type TaskWait,
} from '@reel/sdk';
import { type LimitedTask, MemoryTaskLimits } from './memory-task-limits.ts';
import { after, msUntil } from './memory-time.ts';

/** What the tasks need from the memory store's runs. */
export interface TaskHost {
  /** Whether the run is leased with this fencing token. */
  leased(lease: Lease): boolean;
  /** The workflow id of the run, if it is open. */
  openWorkflowId(runId: string): string | undefined;
  /** The run's priority, which its tasks take unless their activity gives one. */
  runPriority(runId: string): number;
  /** Whether the run's inbox holds an `activity_result` for this attempt. */
  resultWaiting(runId: string, cmd: number, attempt: number): boolean;
  /** Puts an item in an open run's inbox and wakes it, as `enqueue` does. */
  deliver(runId: string, item: Omit<InboxItem, 'id'>, now: Date): void;
  emit(send: (l: StoreListener) => void): void;
  /** The store's clock for a call made at engine time `now`. */
  storeNow(now: Date): Date;
}

interface Task extends Omit<NewTask, 'priority'>, LimitedTask {}

/**
 * `MemoryStore`'s task queues, with the Postgres store's rules: one task per activity, fenced
 * enqueue, claims that lapse `lockMs` after they are made, and completion that moves the outcome to the inbox.
 */
export class MemoryTasks {
  private readonly rows = new Map<string, Task>();
  private nextId = 1;
  private readonly limits = new MemoryTaskLimits(() => this.rows.values());

  constructor(private readonly host: TaskHost) {}

  async enqueue(lease: Lease, task: NewTask, now: Date): Promise<boolean> {
    if (lease.runId !== task.runId || !this.host.leased(lease)) return false;
    if (this.host.resultWaiting(task.runId, task.cmd, task.attempt)) return false;
    const existing = this.find(task.runId, task.cmd);
    if (existing && existing.attempt >= task.attempt) return false;
    const row: Task = {
      ...copy(task),
      availableAt: task.availableAt,
      id: existing?.id ?? String(this.nextId++),
      claim: existing ? existing.claim + 1 : 0,
      // available from no later than now: claimable at once, by the store's clock
      readyAt: task.availableAt <= now ? this.host.storeNow(now) : task.availableAt,
      claimedBy: null,
      priority: task.priority ?? this.host.runPriority(task.runId),
    };
    this.rows.set(row.id, row);
    this.host.emit((l) => l.onTask?.(task.queue));
    if (existing) this.released(existing);
    return true;
  }

  /**
   * Retry now: the run's queued tasks that wait out a backoff become claimable now (with `lease`:
   * fenced by it, as the run's own `tasksDueNow`).
   */
  dueNow(runId: string, now: Date, lease?: Lease): void {
    if (lease && !this.host.leased(lease)) return;
    for (const t of this.rows.values()) {
      if (t.runId !== runId || t.claimedBy !== null || t.availableAt <= now) continue;
      t.availableAt = now;
      t.readyAt = this.host.storeNow(now);
      this.host.emit((l) => l.onTask?.(t.queue));
    }
  }

  async claim(
    owner: string,
    queues: string[],
    names: string[],
    limit: number,
    now: Date,
    lockMs: number,
  ): Promise<ClaimedTask[]> {
    const at = this.host.storeNow(now);
    const order = (t: Task) => claimOrder(t.readyAt, t.claimedBy !== null, t.priority);
    const ready = [...this.rows.values()]
      .filter(
        (t) =>
          t.readyAt <= at &&
          queues.includes(t.queue) &&
          names.includes(t.name) &&
          this.host.openWorkflowId(t.runId) !== undefined,
      )
      .sort((a, b) => order(a) - order(b));
    const taken: Task[] = [];
    for (const t of ready) {
      if (taken.length >= limit) break;
      if (!this.limits.admit(t, at)) continue;
      // claimed at once: the next task of its key counts it
      t.claim++;
      t.claimedBy = owner;
      t.readyAt = after(at, lockMs);
      taken.push(t);
    }
    return taken.map((t) => {
      const { readyAt, claimedBy, priority, rateTurn, waitingFor, concurrency, rateLimit, ...task } = t;
      return {
        ...copy(task),
        availableAt: t.availableAt,
        workflowId: this.host.openWorkflowId(t.runId) as string,
      };
    });
  }

  async nextIn(queues: string[], names: string[], now: Date): Promise<number | undefined> {
    let min: Date | undefined;
    for (const t of this.rows.values())
      if (
        queues.includes(t.queue) &&
        names.includes(t.name) &&
        this.host.openWorkflowId(t.runId) !== undefined &&
        (!min || t.readyAt < min)
      )
        min = t.readyAt;
    return msUntil(min, this.host.storeNow(now));
  }

  async renew(claims: (TaskClaim & { heartbeat?: Json })[], now: Date, lockMs: number): Promise<string[]> {
    const lost: string[] = [];
    const until = after(this.host.storeNow(now), lockMs);
    for (const c of claims) {
      const t = this.rows.get(c.id);
      if (!t || t.claim !== c.claim) {
        lost.push(c.id);
        continue;
      }
      t.readyAt = until;
      if (c.heartbeat !== undefined) t.lastHeartbeat = copy(c.heartbeat);
    }
    return lost;
  }

  async complete(
    task: TaskClaim & Pick<NewTask, 'cmd' | 'attempt'>,
    outcome: TaskOutcome,
    now: Date,
  ): Promise<boolean> {
    const t = this.rows.get(task.id);
    if (!t || t.claim !== task.claim) return false;
    this.rows.delete(t.id);
    this.released(t);
    if (this.host.openWorkflowId(t.runId) !== undefined) {
      const payload = activityResultPayload(t.cmd, t.attempt, copy(outcome));
      this.host.deliver(t.runId, { kind: 'activity_result', name: null, payload }, now);
    }
    return true;
  }

  delete(runId: string, cmds?: number[]): void {
    for (const t of [...this.rows.values()]) {
      if (t.runId !== runId || (cmds && !cmds.includes(t.cmd))) continue;
      this.rows.delete(t.id);
      this.host.emit((l) => l.onTaskCancelled?.(t.id));
      this.released(t);
    }
  }

  /** Drops the tasks of a deleted run (retention), as `on delete cascade` does. */
  forget(runId: string): void {
    for (const t of [...this.rows.values()])
      if (t.runId === runId) {
        this.rows.delete(t.id);
        this.released(t);
      }
  }

  async waits(runId: string): Promise<{ cmd: number; waitingFor: TaskWait }[]> {
    return [...this.rows.values()]
      .filter((t) => t.runId === runId && t.waitingFor !== undefined)
      .sort((a, b) => a.cmd - b.cmd)
      .map((t) => ({
        cmd: t.cmd,
        waitingFor:
          t.waitingFor === 'concurrency'
            ? { concurrencyKey: t.concurrency?.key as string }
            : { rateLimitKey: t.rateLimit?.key as string },
      }));
  }

  /** A task that held a slot let go of it: the key's next waiter is claimable now. */
  private released(t: Task): void {
    const woken = this.limits.released(t);
    if (woken) this.host.emit((l) => l.onTask?.(woken.queue));
  }

  /** A task is claimable at `now`, or claimed: its outcome is on the way (the virtual clock must wait). */
  hasWork(now: Date): boolean {
    for (const t of this.rows.values())
      if (this.host.openWorkflowId(t.runId) !== undefined && (t.readyAt <= now || t.claimedBy !== null))
        return true;
    return false;
  }

  /** The earliest time a task no worker holds becomes claimable. */
  nextWakeAt(): Date | undefined {
    let min: Date | undefined;
    for (const t of this.rows.values())
      if (
        t.claimedBy === null &&
        this.host.openWorkflowId(t.runId) !== undefined &&
        (!min || t.readyAt < min)
      )
        min = t.readyAt;
    return min;
  }

  private find(runId: string, cmd: number): Task | undefined {
    for (const t of this.rows.values()) if (t.runId === runId && t.cmd === cmd) return t;
    return undefined;
  }
}

function copy<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
