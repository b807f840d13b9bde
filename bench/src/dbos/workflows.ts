/** The DBOS side of every scenario: the same workflows as `reel/workflows.ts`, in DBOS's API. */
import { DBOS } from '@dbos-inc/dbos-sdk';

async function noop(i: number): Promise<number> {
  return i;
}

const ticks = new Map<string, number>();
const tickWaiters = new Map<string, (at: number) => void>();

async function tick(key: string): Promise<string> {
  const at = performance.now();
  const waiter = tickWaiters.get(key);
  if (waiter) waiter(at);
  else ticks.set(key, at);
  return key;
}

/** When `tick(key)` ran in this process, waiting for it if it has not yet. */
export function tickedAt(key: string): Promise<number> {
  const at = ticks.get(key);
  if (at !== undefined) return Promise.resolve(at);
  return new Promise((resolve) => tickWaiters.set(key, resolve));
}

/** How long `DBOS.recv` waits: far longer than any run (its default is 60 s). */
const FOREVER_S = 24 * 3600;

export const threeSteps = DBOS.registerWorkflow(
  async (i: number) => {
    await DBOS.runStep(() => noop(i), { name: 'noop' });
    await DBOS.runStep(() => noop(i), { name: 'noop' });
    await DBOS.runStep(() => noop(i), { name: 'noop' });
    return i;
  },
  { name: 'threeSteps' },
);

export const stepsThenSignals = DBOS.registerWorkflow(
  async (steps: number) => {
    for (let i = 0; i < steps; i++) await DBOS.runStep(() => noop(i), { name: 'noop' });
    for (;;) {
      const key = (await DBOS.recv<string>('go', FOREVER_S)) as string;
      await DBOS.runStep(() => tick(key), { name: 'tick' });
    }
  },
  { name: 'stepsThenSignals' },
);

export const waitForever = DBOS.registerWorkflow(
  async () => {
    await DBOS.recv('go', FOREVER_S);
  },
  { name: 'waitForever' },
);

/** Configures and launches DBOS on `url` (its system database; DBOS creates its schema). */
export async function launch(url: string): Promise<void> {
  DBOS.setConfig({ name: 'reel-bench', systemDatabaseUrl: url, logLevel: 'error' });
  await DBOS.launch();
}
