/**
 * What the Postgres server spent: WAL bytes written (any server), and CPU time of the postmaster and
 * all its children when the server runs on this machine (read from /proc; undefined otherwise).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

let ticksPerSecond: number | undefined;

function stat(pid: string): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the command: state, ppid, ... utime is field 14, stime 15 (1-based over the whole line).
    // utime + stime, plus cutime + cstime: the CPU of children that have exited (backends that closed).
    const [u, s, cu, cs] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return { ppid: Number(fields[1]), ticks: (u ?? 0) + (s ?? 0) + (cu ?? 0) + (cs ?? 0) };
  } catch {
    return undefined;
  }
}

/** Finds the postmaster behind `url`; returns a function that reads its total CPU in ms. */
async function serverCpu(url: string): Promise<(() => number) | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const backend = stat(String(rows[0]?.pid));
    const postmaster = backend?.ppid;
    if (!postmaster || !readFileSync(`/proc/${postmaster}/cmdline`, 'utf8').includes('postgres')) return;
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const tick = 1000 / ticksPerSecond;
    return () => {
      let ticks = stat(String(postmaster))?.ticks ?? 0;
      for (const pid of readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        const s = stat(pid);
        if (s?.ppid === postmaster) ticks += s.ticks;
      }
      return ticks * tick;
    };
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

export interface ServerCost {
  cpuMs: number | undefined;
  walBytes: number;
}

/** A function that reads the server's CPU and WAL counters; subtract two readings. */
export async function serverCost(url: string): Promise<() => Promise<ServerCost>> {
  const cpu = await serverCpu(url);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  return async () => {
    const { rows } = await pool.query<{ wal: string }>(
      "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as wal",
    );
    return { cpuMs: cpu?.(), walBytes: Number(rows[0]?.wal) };
  };
}

/** Per-unit difference of two readings. */
export function perUnit(a: ServerCost, b: ServerCost, units: number) {
  return {
    serverCpuMs: a.cpuMs === undefined || b.cpuMs === undefined ? undefined : (b.cpuMs - a.cpuMs) / units,
    walBytes: (b.walBytes - a.walBytes) / units,
  };
}
