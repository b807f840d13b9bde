import { claimOrder, type NewTask } from '@reel/sdk';

// Activity limits of the memory store's tasks, as `reel.claim_tasks` and `hand_over_task_slot`
// (0016_activity_limits.sql) keep them in Postgres.

/** A task row, as far as its limits go. */
export interface LimitedTask extends Pick<NewTask, 'concurrency' | 'rateLimit' | 'queue' | 'availableAt'> {
  id: string;
  claim: number;
  claimedBy: string | null;
  readyAt: Date;
  priority: number;
  /** The time of the token set aside for the task while it waited its turn. */
  rateTurn?: Date;
  /** Why the last claim that saw it passed it over. */
  waitingFor?: 'concurrency' | 'rate';
}

/**
 * Decides whether a claim may take a task: its concurrency key must have a free slot (fewer live
 * claims than its limit) and its rate bucket a token (GCRA: a theoretical arrival time per key).
 */
export class MemoryTaskLimits {
  /** The theoretical arrival time of each rate key's bucket, in ms. */
  private readonly buckets = new Map<string, number>();

  constructor(private readonly rows: () => Iterable<LimitedTask>) {}

  /** True if a claim at `at` may take `t`; otherwise parks it until it may next be claimed. */
  admit(t: LimitedTask, at: Date): boolean {
    const now = at.getTime();
    if (t.concurrency) {
      const live = this.holders(t.concurrency.key, now).filter((h) => h.id !== t.id);
      if (live.length >= t.concurrency.limit) {
        const lapse = Math.min(...live.map((h) => h.readyAt.getTime()));
        this.park(t, new Date(lapse), 'concurrency');
        return false;
      }
    }
    const rate = t.rateLimit;
    if (rate && !(t.rateTurn && t.rateTurn.getTime() > now - rate.perMs)) {
      const gap = rate.perMs / rate.limit;
      const tat = this.buckets.get(rate.key) ?? now;
      t.rateTurn = new Date(Math.max(now, tat - (rate.perMs - gap)));
      this.buckets.set(rate.key, Math.max(tat, now) + gap);
    }
    if (t.rateTurn && t.rateTurn > at) {
      this.park(t, t.rateTurn, 'rate');
      return false;
    }
    t.waitingFor = undefined;
    t.rateTurn = undefined;
    return true;
  }

  /**
   * `t` held a slot and lets go of it (completed, deleted, replaced): the key's first waiter in claim
   * order becomes claimable now, at its place in line. Returns it, so its queue can be told.
   */
  released(t: LimitedTask): LimitedTask | undefined {
    if (!t.concurrency || t.claimedBy === null) return undefined;
    const key = t.concurrency.key;
    let next: LimitedTask | undefined;
    for (const w of this.rows()) {
      if (w.waitingFor !== 'concurrency' || w.concurrency?.key !== key) continue;
      if (!next || waiterOrder(w) < waiterOrder(next)) next = w;
    }
    if (next) {
      next.readyAt = next.availableAt;
      next.waitingFor = undefined;
    }
    return next;
  }

  private holders(key: string, now: number): LimitedTask[] {
    return [...this.rows()].filter(
      (h) => h.concurrency?.key === key && h.claimedBy !== null && h.readyAt.getTime() > now,
    );
  }

  /** A lapsed claim it had is fenced out: the old holder can no longer report. */
  private park(t: LimitedTask, until: Date, why: 'concurrency' | 'rate'): void {
    t.readyAt = until;
    t.waitingFor = why;
    if (t.claimedBy !== null) {
      t.claim++;
      t.claimedBy = null;
    }
  }
}

const waiterOrder = (w: LimitedTask) => claimOrder(w.availableAt, false, w.priority);
