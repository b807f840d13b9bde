// Writes docs/benchmarks.md again from the figures of record (bench/results/*.json) and
// bench/analysis.md, without measuring anything: pnpm --filter @reel/bench render
import { config } from './config.ts';
import { readAnalysis, writeReport } from './report.ts';
import { loadRuns } from './results.ts';

await writeReport(config.out, await loadRuns(), await readAnalysis());
console.log(`wrote ${config.out}`);
