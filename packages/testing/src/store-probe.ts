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

/** The same questions in SQL, against the `now` of the virtual clock. */
export function postgresProbe(pool: pg.Pool): StoreProbe {
  return {
    async busy(now) {
      const { rows } = await pool.query(
        `select exists (select 1 from reel.workflows
                         where status in ('running', 'parked') and (lease_owner is not null or ready_at <= $1)) as busy`,
        [now],
      );
      return rows[0].busy;
    },
    async nextWake() {
      const { rows } = await pool.query(
        'select min(ready_at) as at from reel.workflows where lease_owner is null',
      );
      return rows[0].at ?? undefined;
    },
    async kick() {
      await pool.query(`select pg_notify('reel_wake', '')`);
    },
  };
}
