import { runScenario, type ScenarioOptions, type ScenarioResult } from './scenario.ts';

export interface SimulateOptions extends Omit<ScenarioOptions, 'adminUrl'> {
  /** The seeds to run. */
  seeds: number[];
  /** For `postgres`: the server (default DATABASE_URL, else an embedded Postgres). */
  connectionString?: string;
  /** Postgres scenarios run at once (each on its own database, in real time). Default 4. */
  jobs?: number;
  /** Told of each scenario as it ends. */
  onResult?: (result: ScenarioResult) => void;
}

/**
 * Runs the scenarios of `seeds` and checks each: `pnpm simulate`'s engine, also used by its test.
 * Memory scenarios run one after the other (they share the fake clock); Postgres ones `jobs` at once.
 */
export async function simulate(options: SimulateOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const record = (result: ScenarioResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  if (options.store === 'memory') {
    for (const seed of options.seeds) record(await runScenario(seed, options));
    return results;
  }
  const { adminUrl, stop } = await postgresServer(options.connectionString);
  try {
    const queue = [...options.seeds];
    const lane = async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift())
        record(await runScenario(seed, { ...options, adminUrl }));
    };
    await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 4) }, lane));
  } finally {
    await stop();
  }
  return results.sort((a, b) => a.seed - b.seed);
}

async function postgresServer(
  connectionString?: string,
): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  const url = connectionString ?? process.env.DATABASE_URL;
  if (url) return { adminUrl: url, stop: async () => {} };
  const { startEmbeddedPostgres } = await import('../postgres.ts');
  const server = await startEmbeddedPostgres();
  return { adminUrl: server.connectionString, stop: () => server.stop() };
}
