import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/** The fixture process, its stdout lines, and a wait for the n-th line matching. */
function start(sameSignalMs: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/shutdown-main.ts', import.meta.url))],
    { env: { ...process.env, SAME_SIGNAL_MS: String(sameSignalMs) }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  const seen = async (line: string, times = 1) => {
    while (lines.filter((l) => l === line).length < times) await new Promise<void>((r) => waiters.push(r));
  };
  return { child, lines, seen };
}

it('a Ctrl-C delivered twice at once (pnpm and the terminal) drains, and exits 0 when done', async () => {
  const p = start(60_000);
  await p.seen('ready');
  p.child.kill('SIGINT');
  await p.seen('Ctrl-C: draining (again to force).');
  p.child.kill('SIGINT'); // the same Ctrl-C, forwarded a moment later
  await p.seen('got SIGINT', 2);
  p.child.stdin?.end();
  const [code] = await once(p.child, 'exit');
  expect(code).toBe(0);
  expect(p.lines).not.toContain('Stopping now, without waiting.');
});

it('a second Ctrl-C after the first stops at once, exit code 130', async () => {
  const p = start(0);
  await p.seen('ready');
  p.child.kill('SIGINT');
  await p.seen('Ctrl-C: draining (again to force).');
  p.child.kill('SIGINT');
  const [code] = await once(p.child, 'exit');
  expect(code).toBe(130);
  expect(p.lines).toContain('Stopping now, without waiting.');
});
