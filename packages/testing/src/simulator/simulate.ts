import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '../postgres.ts';
import { runScenario, type ScenarioOptions, type ScenarioResult } from './scenario.ts';

export interface SimulateOptions extends Omit<ScenarioOptions, 'adminUrl' | 'restartDatabase'> {
  /** The seeds to run. */
  seeds: number[];
  /**
   * For `postgres`: the server (default DATABASE_URL). Without one, each lane runs an embedded
   * Postgres of its own, and its scenarios restart it for real while their faults last.
   */
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
  const url = options.connectionString ?? process.env.DATABASE_URL;
  const queue = [...options.seeds];
  const lane = async () => {
    // Without a server given, each lane owns an embedded Postgres, which its scenarios restart.
    const server = url ? undefined : await OwnedPostgres.start();
    try {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const adminUrl = url ?? (server as OwnedPostgres).url;
        const restartDatabase = server && (() => server.restart());
        record(
          await runScenario(seed, { ...options, adminUrl, ...(restartDatabase ? { restartDatabase } : {}) }),
        );
      }
    } finally {
      await server?.stop();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 4) }, lane));
  return results.sort((a, b) => a.seed - b.seed);
}

/** An embedded Postgres the simulation owns, which it can restart on the same data and port. */
class OwnedPostgres {
  private constructor(
    private server: EmbeddedPostgresServer,
    private readonly parent: string,
  ) {}

  static async start(): Promise<OwnedPostgres> {
    const parent = await mkdtemp(join(tmpdir(), 'reel-simulate-'));
    await chmod(parent, 0o755); // under root, Postgres runs as another user that must reach it
    return new OwnedPostgres(await startEmbeddedPostgres({ dir: join(parent, 'pg') }), parent);
  }

  get url(): string {
    return this.server.connectionString;
  }

  /** Fast shutdown (every session ends), then a start on the same data and port. */
  async restart(): Promise<void> {
    const port = Number(new URL(this.server.connectionString).port);
    await this.server.stop();
    this.server = await startEmbeddedPostgres({ dir: join(this.parent, 'pg'), port });
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await rm(this.parent, { recursive: true, force: true });
  }
}
