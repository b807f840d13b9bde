#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { INVARIANTS } from './invariants.ts';
import type { ScenarioResult } from './scenario.ts';
import { simulate } from './simulate.ts';

const USAGE = `pnpm simulate [--seeds N] [--seed S] [--from S] [--store memory|postgres] [--jobs J] [--verbose] [--trace FILE] [--json FILE]

Runs N seeded scenarios (seeds S.. S+N-1, default 1..100) of real workers and clients under a
scheduler that decides every delivery, clock, crash and pause from the seed, then checks the
invariants. --seed S replays one scenario (bit for bit on the memory store) and prints its trace
on failure. --store postgres runs the same scenarios on a real Postgres (DATABASE_URL, else an
embedded one, which each scenario also restarts for real), in real time, --jobs at once
(default 4). --trace FILE writes the whole trace of the last scenario run to FILE; --json FILE
writes every seed's findings to FILE.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string' },
      seed: { type: 'string' },
      from: { type: 'string' },
      store: { type: 'string', default: 'memory' },
      jobs: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      trace: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const store = values.store;
  if (store !== 'memory' && store !== 'postgres')
    throw new Error(`--store must be memory or postgres\n\n${USAGE}`);
  const single = values.seed !== undefined;
  const first = Number(values.seed ?? values.from ?? 1);
  const count = single ? 1 : Number(values.seeds ?? (store === 'memory' ? 100 : 10));
  if (!Number.isInteger(first) || !Number.isInteger(count) || count < 1) throw new Error(USAGE);
  const seeds = Array.from({ length: count }, (_, i) => first + i);
  const verbose = values.verbose || single;
  const started = Date.now();
  let done = 0;
  const results = await simulate({
    store,
    seeds,
    ...(values.jobs ? { jobs: Number(values.jobs) } : {}),
    fullTrace: values.trace !== undefined,
    onResult: (r) => {
      if (values.trace) writeFileSync(values.trace, `${r.trace.join('\n')}\n`);
      done++;
      if (r.violations.length > 0) printFailure(r, verbose);
      else if (verbose) console.log(`seed ${r.seed}: ok (${describe(r)})`);
      if (!verbose && done % 50 === 0) console.log(`… ${done}/${count} seeds`);
    },
  });
  printSummary(results, store, Date.now() - started);
  if (values.json) {
    const findings = results.map(({ seed, digest, stopReason, violations }) => ({
      seed,
      store,
      digest,
      stopReason,
      violations,
    }));
    writeFileSync(values.json, JSON.stringify(findings, null, 1));
  }
  return results.some((r) => r.violations.length > 0) ? 1 : 0;
}

function replayCommand(r: ScenarioResult): string {
  return `pnpm simulate --seed ${r.seed}${r.store === 'postgres' ? ' --store postgres' : ''}`;
}

function describe(r: ScenarioResult): string {
  const s = r.stats;
  return `${s.events} events, ${Math.round(s.simulatedMs / 1000)} s simulated, ${s.clientOps} client ops, ${s.crashes} crashes, ${s.freezes} freezes, ${s.restarts} database restarts, digest ${r.digest.slice(0, 12)}`;
}

function printFailure(r: ScenarioResult, verbose: boolean): void {
  console.log(`\nseed ${r.seed} (${r.store}) FAILED — replay: ${replayCommand(r)}`);
  const byInvariant = groupBy(r.violations, (v) => v.invariant);
  for (const [invariant, list] of byInvariant) {
    console.log(`  invariant ${invariant} (${INVARIANTS[invariant]}): ${list.length} violation(s)`);
    for (const v of list.slice(0, verbose ? 20 : 3)) console.log(`    [${v.kind}] ${v.message}`);
  }
  if (verbose) {
    console.log(`  ${describe(r)}; stopped: ${r.stopReason}`);
    for (const note of r.notes) console.log(`  note: ${note}`);
    console.log('  trace (last lines):');
    for (const line of r.trace.slice(-400)) console.log(`    ${line}`);
  }
}

function printSummary(results: ScenarioResult[], store: string, ms: number): void {
  const failing = results.filter((r) => r.violations.length > 0);
  console.log(`\n${results.length} ${store} seeds in ${(ms / 1000).toFixed(1)} s: ${failing.length} failed`);
  for (const [invariant, label] of Object.entries(INVARIANTS)) {
    const seeds = failing.filter((r) => r.violations.some((v) => v.invariant === Number(invariant)));
    if (seeds.length === 0) continue;
    const kinds = groupBy(
      seeds.flatMap((r) =>
        [...new Set(r.violations.filter((v) => v.invariant === Number(invariant)).map((v) => v.kind))].map(
          (kind) => ({ kind, seed: r.seed }),
        ),
      ),
      (x) => x.kind,
    );
    console.log(`  invariant ${invariant} (${label}): ${seeds.length} seed(s)`);
    for (const [kind, hits] of kinds)
      console.log(
        `    ${kind}: ${hits.length} seed(s): ${hits
          .slice(0, 15)
          .map((h) => h.seed)
          .join(', ')}${hits.length > 15 ? ', …' : ''}`,
      );
  }
  const violations = results.reduce((n, r) => n + r.violations.length, 0);
  console.log(`${results.length} seeds, ${violations} violations`);
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
