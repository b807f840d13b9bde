// A worker process for this example, as an app would run one: `DATABASE_URL=… tsx worker.ts`.
import { Worker } from '@reel/worker';
import { activities, workflows } from './workflows.ts';

const worker = await Worker.create({
  connectionString: process.env.DATABASE_URL as string,
  workflows,
  activities,
  // A killed worker's runs are taken over when its lease lapses: 2 s here rather than the default
  // 30 s, so that the crash test is quick.
  leaseMs: 2000,
});
process.stdout.write('ready\n');
await worker.run();
