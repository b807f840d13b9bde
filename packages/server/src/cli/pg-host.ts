/**
 * The embedded Postgres of `reel dev`, in a child process of its own process group. A terminal's
 * Ctrl-C reaches the whole foreground group; kept out of it, Postgres keeps serving while the
 * parent drains its worker, and stops only when told to (or when the parent goes away).
 *
 * Protocol (IPC): the child sends `{ connectionString }` or `{ error }`; the parent sends `'stop'`.
 */
import { startEmbeddedPostgres } from '@reel/embedded-postgres';

const dir = process.argv[2] ?? '.reel/pg';

try {
  const server = await startEmbeddedPostgres({ dir, persistent: true });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= server.stop().finally(() => process.exit(0));
    return stopping;
  };
  process.on('message', (message) => message === 'stop' && void stop());
  process.on('disconnect', () => void stop());
  process.send?.({ connectionString: server.connectionString, dir: server.dir });
} catch (err) {
  // Exits once the parent has the reason, not before.
  process.send?.({ error: (err as Error).message }, () => process.exit(1));
}
