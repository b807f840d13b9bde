/** Every knob of `pnpm bench`, read from the environment once. Defaults keep a run to a few minutes. */

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, not ${raw}`);
  return value;
}

function list(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  return raw ? raw.split(',').map((s) => int(`${name} item`, Number(s.trim()))) : fallback;
}

export const config = {
  /** Workflows per throughput measurement (scenario 1, and each fleet size in scenario 6). */
  n: int('BENCH_N', 500),
  /** Measurements per system in scenario 1, alternating Reel and DBOS; medians are reported. */
  rounds: int('BENCH_ROUNDS', 3),
  /** Signal round trips measured per variant (scenario 2). */
  signals: int('BENCH_SIGNALS', 100),
  /** History lengths, in events, for the resume scenario (3). */
  histories: list('BENCH_HISTORIES', [100, 1000, 10_000]),
  /** Resumes measured per history length, each in a fresh worker process. */
  resumes: int('BENCH_RESUMES', 3),
  /** Suspended workflows held for the memory scenario (4). */
  suspended: int('BENCH_SUSPENDED', 10_000),
  /** Runs of the time-skipping test (scenario 5). */
  testRuns: int('BENCH_TEST_RUNS', 20),
  /** Worker process counts for the fleet scenario (6). */
  fleet: list('BENCH_FLEET', [1, 2, 4]),
  /** Comma-separated scenario names to run; default all. */
  only: process.env.BENCH_ONLY?.split(',').map((s) => s.trim()),
  /** Skip DBOS (Reel figures only). */
  skipDbos: process.env.BENCH_SKIP_DBOS === '1',
  /** Where the report goes; `-` for none. */
  out: process.env.BENCH_OUT ?? new URL('../../docs/benchmarks.md', import.meta.url).pathname,
};

export type BenchConfig = typeof config;
