// Writes docs/benchmarks.md again from the last run's figures (bench/last-run.json) and
// bench/analysis.md, without measuring anything: pnpm --filter @reel/bench render
import { readFile } from 'node:fs/promises';
import { config } from './config.ts';
import { readAnalysis, writeReport } from './report.ts';

const run = JSON.parse(await readFile(new URL('../last-run.json', import.meta.url), 'utf8'));
run.date = new Date(run.date);
await writeReport(config.out, { ...run, analysis: await readAnalysis() });
console.log(`wrote ${config.out}`);
