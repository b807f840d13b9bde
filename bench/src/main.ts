// pnpm bench: every scenario, Reel and DBOS against one Postgres server (DATABASE_URL, else one
// embedded server), a summary table on stdout, that server's figures of record in bench/results/,
// and docs/benchmarks.md with both servers'. Knobs: see config.ts.
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { createTestDatabase, startEmbeddedPostgres } from '@reel/testing';
import type { System } from './child.ts';
import { config } from './config.ts';
import { describeMachine } from './machine.ts';
import { readAnalysis, summaryTable, targetsTable, writeReport } from './report.ts';
import { loadRuns, saveRun } from './results.ts';
import { fleetScenario } from './scenarios/fleet.ts';
import { guardScenario } from './scenarios/guard.ts';
import { memoryScenario } from './scenarios/memory.ts';
import { profileScenario } from './scenarios/profile.ts';
import { resumeScenario } from './scenarios/resume.ts';
import { signalScenario } from './scenarios/signal.ts';
import { testEnvScenario } from './scenarios/test-env.ts';
import { throughputScenario } from './scenarios/throughput.ts';
import type { BenchContext, Section } from './section.ts';

const scenarios = {
  throughput: throughputScenario,
  signal: signalScenario,
  resume: resumeScenario,
  memory: memoryScenario,
  'test-env': testEnvScenario,
  fleet: fleetScenario,
  guard: guardScenario,
  profile: profileScenario,
};

const started = Date.now();
const server = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres();
const adminUrl = process.env.DATABASE_URL ?? (server?.connectionString as string);
try {
  const machine = await describeMachine(adminUrl);
  const systems: System[] = config.skipDbos ? ['reel'] : ['reel', 'dbos'];
  const ctx: BenchContext = {
    config,
    systems,
    adminUrl,
    database: () => createTestDatabase(adminUrl),
    log: (message) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`),
  };
  ctx.log(`${machine.cpu} ×${machine.cores}, ${machine.postgres.split(' on ')[0]}, Node ${machine.node}`);
  const sections: Section[] = [];
  for (const [name, run] of Object.entries(scenarios)) {
    if (config.only && !config.only.includes(name)) continue;
    try {
      const section = await run(ctx);
      sections.push(section);
      // With no report to write, the section's notes go to stdout with its table.
      const notes = config.out === '-' ? `\n${section.notes.join('\n\n')}\n` : '';
      console.log(`\n${summaryTable(section.rows)}\n${notes}`);
    } catch (err) {
      // One broken scenario should not cost the others' figures; the report says it failed.
      process.exitCode = 1;
      ctx.log(`${name} failed: ${(err as Error).stack}`);
      sections.push({
        title: `${name}: failed`,
        rows: [],
        notes: [`This scenario failed: ${(err as Error).message.split('\n')[0]}`],
      });
    }
  }
  console.log(`\n${summaryTable(sections.flatMap((s) => s.rows))}\n\n${targetsTable(sections)}\n`);

  if (config.out !== '-') {
    const dbosPackage = new URL('../node_modules/@dbos-inc/dbos-sdk/package.json', import.meta.url);
    const dbosVersion = JSON.parse(await readFile(dbosPackage, 'utf8')).version as string;
    const knobs = Object.entries(process.env)
      .filter(
        ([k]) =>
          (k.startsWith('BENCH_') && k !== 'BENCH_OUT' && k !== 'BENCH_REEL_COMMIT') || k === 'DATABASE_URL',
      )
      .map(([k, v]) => (k === 'DATABASE_URL' ? 'DATABASE_URL set' : `${k}=${v}`))
      .join(' ');
    await saveRun({
      server: process.env.DATABASE_URL ? 'stock' : 'embedded',
      machine,
      loadAfter: loadavg(),
      command: 'pnpm bench',
      env: knobs || `defaults: BENCH_N=${config.n}`,
      date: new Date(started),
      durationS: (Date.now() - started) / 1000,
      dbosVersion,
      sections,
    });
    await writeReport(config.out, await loadRuns(), await readAnalysis());
    ctx.log(`wrote ${config.out}`);
  }
} finally {
  await server?.stop();
}
