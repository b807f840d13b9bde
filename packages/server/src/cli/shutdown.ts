/**
 * Runs `stop` on the first SIGINT or SIGTERM and exits 0 when it is done; a second signal exits at once (130).
 * `doing` says what stopping does, in the words of the command that stops (`draining the worker`).
 */
export function onShutdown(doing: string, stop: () => Promise<void>, say: (line: string) => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      say('Stopping now, without waiting.');
      process.exit(130);
    }
    stopping = true;
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
