import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 now. Another process may take it before Postgres binds it; the start error then says so. */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('Could not read the port the OS assigned'));
      });
    });
  });
}
