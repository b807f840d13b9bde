// A worker process for `pnpm demo` (demo.ts starts two and kills the first mid-order), as an app
// would run one, plus a report to the demo of what it does, from the worker's metrics hooks.
import { defaultLogger } from '@reel/sdk';
import { Worker } from '@reel/worker';
import { activities, workflows } from './workflows.ts';

/** What a demo worker tells demo.ts over the IPC channel. */
export type WorkerReport =
  | { type: 'ready'; pid: number }
  | { type: 'replayed' }
  | { type: 'activity'; name: string };

const report = (message: WorkerReport) => process.send?.(message);

const worker = await Worker.create({
  connectionString: process.env.DATABASE_URL as string,
  workflows,
  activities,
  metrics: {
    replayed: () => report({ type: 'replayed' }),
    activityStarted: (name) => report({ type: 'activity', name }),
  },
  logger: defaultLogger(process.env.REEL_LOG_LEVEL || 'warn'),
  // A run held by a worker that dies is taken over when its lease lapses: 3 s rather than 30 s.
  leaseMs: 3000,
});
report({ type: 'ready', pid: process.pid });
await worker.run(); // until SIGTERM, which drains
process.disconnect?.();
