import type pg from 'pg';
import type { MemoryStore } from './memory-store.ts';

/** What the time-skipping test environment asks of a store to know when it may move the clock. */
export interface StoreProbe {
  /** A worker holds an open run, or a run is claimable at `now`. */
  busy(now: Date): Promise<boolean>;
  /** The earliest time a run no worker holds becomes claimable. */
  nextWake(): Promise<Date | undefined>;
  /** Wakes the workers after the clock moved. */
  kick(): Promise<void>;
}

export function memoryProbe(store: MemoryStore): StoreProbe {
  return {
    busy: async (now) => store.isBusy(now),
    nextWake: async () => store.nextWakeAt(),
    kick: async () => store.wakeAll(),
  };
}

/** A schedule the scheduler is about to fire at `$1`: a due tick, or a buffered one whose run closed. */
const SCHEDULE_HAS_WORK = `
  select 1 from reel.schedules s
   where not s.paused
     and (s.next_fire_at <= $1
          or (s.buffered_at is not null
              and not exists (select 1 from reel.workflows w
                               where w.workflow_id = any(s.last_workflow_ids) and w.status in ('running', 'parked'))))`;

/** A task of an open run that is claimed (running) or claimable at `$1`: its outcome is on the way. */
const TASK_HAS_WORK = `
  select 1 from reel.tasks t join reel.workflows w on w.run_id = t.run_id
   where w.status in ('running', 'parked') and (t.claimed_by is not null or t.ready_at <= $1)`;

/** The same questions in SQL, against the `now` of the virtual clock; due schedules and tasks count as work. */
export function postgresProbe(pool: pg.Pool): StoreProbe {
  return {
    async busy(now) {
      const { rows } = await pool.query(
        `select exists (select 1 from reel.workflows
                         where status in ('running', 'parked') and (lease_owner is not null or ready_at <= $1))
             or exists (${SCHEDULE_HAS_WORK})
             or exists (${TASK_HAS_WORK}) as busy`,
        [now],
      );
      return rows[0].busy;
    },
    async nextWake() {
      const { rows } = await pool.query(
        `select least((select min(ready_at) from reel.workflows where lease_owner is null),
                      (select min(next_fire_at) from reel.schedules where not paused),
                      (select min(t.ready_at) from reel.tasks t join reel.workflows w on w.run_id = t.run_id
                        where t.claimed_by is null and w.status in ('running', 'parked'))) as at`,
      );
      return rows[0].at ?? undefined;
    },
    async kick() {
      await pool.query(`select pg_notify('reel_wake', '')`);
    },
  };
}
