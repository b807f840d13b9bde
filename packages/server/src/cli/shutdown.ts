/**
 * A second signal this soon after the first is the same Ctrl-C delivered twice (`pnpm reel dev`:
 * pnpm forwards it, and the terminal sends it to the whole process group): not a request to force.
 */
const SAME_CTRL_C_MS = 500;

/**
 * Runs `stop` on the first SIGINT or SIGTERM and exits 0 when it is done; a second signal exits at once
 * (130), unless it comes within `sameSignalMs` of the first. `doing` says what stopping does, in the
 * words of the command that stops (`draining the worker`).
 */
export function onShutdown(
  doing: string,
  stop: () => Promise<void>,
  say: (line: string) => void,
  sameSignalMs = SAME_CTRL_C_MS,
): void {
  let stoppingSince: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (performance.now() - stoppingSince < sameSignalMs) return;
      say('Stopping now, without waiting.');
      process.exit(130);
    }
    stoppingSince = performance.now();
    say(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: ${doing} (again to force).`);
    stop().then(
      () => process.exit(0),
      (err) => {
        say(`Stopping failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, handler);
  }
}
