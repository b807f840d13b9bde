/** The machine and server a run measured, for the report. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  platform: string;
  loadBefore: number[];
  /** The Reel commit measured (BENCH_REEL_COMMIT, else git), marked when the work tree had changes. */
  commit: string;
}

export async function describeMachine(adminUrl: string): Promise<Machine> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query<{ version: string }>('select version()');
  await client.end();
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    postgres: rows[0]?.version ?? 'unknown',
    platform: `${process.platform} ${process.arch}`,
    loadBefore: loadavg(),
    commit: process.env.BENCH_REEL_COMMIT ?? gitCommit(),
  };
}

function gitCommit(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', '../packages') ? ' with uncommitted changes in packages/' : ''}`;
  } catch {
    return 'unknown';
  }
}
