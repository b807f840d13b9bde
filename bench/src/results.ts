/**
 * The figures of record: the last run on each kind of server, kept in the repository as
 * bench/results/<server>.json so that docs/benchmarks.md always shows both, whichever ran last.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Machine } from './machine.ts';
import type { Section } from './section.ts';

/** `stock`: the server `DATABASE_URL` names (figures of record: Debian's PostgreSQL 15); else `embedded`. */
export type ServerKind = 'stock' | 'embedded';

export interface Run {
  server: ServerKind;
  machine: Machine;
  loadAfter: number[];
  command: string;
  env: string;
  date: Date;
  durationS: number;
  dbosVersion: string;
  sections: Section[];
}

const file = (server: ServerKind) => new URL(`../results/${server}.json`, import.meta.url);

/** The figures of record of each server that has them, stock first. */
export async function loadRuns(): Promise<Run[]> {
  const runs = await Promise.all((['stock', 'embedded'] as const).map(loadRun));
  return runs.filter((run): run is Run => run !== undefined);
}

async function loadRun(server: ServerKind): Promise<Run | undefined> {
  try {
    const run = JSON.parse(await readFile(file(server), 'utf8')) as Run;
    return { ...run, date: new Date(run.date) };
  } catch {
    return undefined;
  }
}

/**
 * Saves `run` as its server's figures of record. A run of some scenarios (`BENCH_ONLY`) replaces
 * theirs and keeps the others of the last run, each marked with the commit and day it was measured.
 */
export async function saveRun(run: Run): Promise<Run> {
  const previous = await loadRun(run.server);
  const stamp = `commit ${previous?.machine.commit}, ${previous?.date.toISOString().slice(0, 10)}`;
  const kept = (previous?.sections ?? [])
    .filter((old) => !run.sections.some((s) => s.title === old.title))
    .map((old) => ({ ...old, measured: old.measured ?? stamp }));
  const order = (s: Section) => Number.parseInt(s.title, 10) || Number.POSITIVE_INFINITY;
  const merged = { ...run, sections: [...run.sections, ...kept].sort((a, b) => order(a) - order(b)) };
  await writeFile(file(run.server), `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}
