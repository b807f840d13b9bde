/** What a scenario hands back to `main.ts`: rows of the summary table, targets, and notes for the report. */
import type { TestDatabase } from '@reel/testing';
import pg from 'pg';
import type { System } from './child.ts';
import type { BenchConfig } from './config.ts';

/** One line of the summary table; values are already formatted. */
export interface Row {
  scenario: string;
  metric: string;
  reel: string;
  dbos: string;
  ratio: string;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface Section {
  title: string;
  rows: Row[];
  targets?: Target[];
  /** Markdown paragraphs for docs/benchmarks.md: what was measured and how to read it. */
  notes: string[];
  /** Set when the section was kept from an earlier run than the rest: its commit and day. */
  measured?: string;
}

export interface BenchContext {
  config: BenchConfig;
  /** Reel always; DBOS unless skipped. */
  systems: System[];
  /** Admin connection string of the one Postgres server every database is made on. */
  adminUrl: string;
  /** A fresh, empty database on that server; drop it when done. */
  database(): Promise<TestDatabase>;
  log(message: string): void;
}

/**
 * Runs `fn` on a fresh database and drops it after. A `CHECKPOINT` first writes out what the last
 * measurement (and the database's creation) left dirty, so that flush does not land in this one.
 */
export async function withDatabase<T>(ctx: BenchContext, fn: (url: string) => Promise<T>): Promise<T> {
  const db = await ctx.database();
  const admin = new pg.Client({ connectionString: ctx.adminUrl });
  await admin.connect();
  await admin.query('checkpoint').finally(() => admin.end());
  try {
    return await fn(db.connectionString);
  } finally {
    await db.drop();
  }
}
