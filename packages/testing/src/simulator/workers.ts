import { Worker } from '@reel/worker';
import { recordingLogger } from '../recording-logger.ts';
import { activityRegistry } from './activities.ts';
import { skewedClock } from './clocks.ts';
import { faultStore } from './fault-store.ts';
import { runAs, SimProcess } from './process.ts';
import { simWorkflows } from './workflows.ts';
import type { World } from './world.ts';

/**
 * The scenario's worker processes: real `Worker`s, each on its own fault-injecting store and skewed
 * clock, with a short lease. A crashed worker is replaced by a fresh one (a new identity) after a
 * restart delay, as a supervisor would.
 */
export class WorkerPool {
  readonly processes: SimProcess[] = [];
  private generation = 0;

  constructor(private readonly world: World) {}

  startAll(): void {
    for (let slot = 0; slot < this.world.plan.workers.length; slot++) this.spawn(slot);
  }

  /** The live worker processes. */
  running(): SimProcess[] {
    return this.processes.filter((p) => p.alive);
  }

  /** A worker died: start its replacement after a while, unless the simulation is over by then. */
  replace(dead: SimProcess): void {
    const slot = Number(dead.name.slice(1, dead.name.indexOf('.')));
    const [lo, hi] = this.world.plan.restartMs;
    this.world.timers.after(undefined, this.world.rng.int(lo, hi), () => {
      if (!this.world.finished) this.spawn(slot);
    });
  }

  private spawn(slot: number): void {
    const { world } = this;
    const spec = world.plan.workers[slot];
    if (!spec) return;
    const proc = new SimProcess(`w${slot}.${this.generation++}`, 'worker', world.timers);
    this.processes.push(proc);
    world.trace.record(`${proc.name} starts`);
    proc.clock = skewedClock(spec.clock, world.startMs);
    void runAs(proc, async () => {
      const worker = await Worker.create({
        store: faultStore(proc, world),
        workflows: simWorkflows,
        activities: activityRegistry(world),
        clock: proc.clock,
        leaseMs: world.plan.leaseMs,
        pollIntervalMs: spec.pollMs,
        stickyMs: spec.stickyMs,
        concurrency: spec.concurrency,
        determinismGuard: 'off',
        handleSignals: false,
        retention: false,
        migrate: false,
        // The trace keeps what an operator would see: `info` and above, without the fields.
        logger: recordingLogger({
          level: 'info',
          onRecord: (r) => world.trace.record(`${proc.name} log ${r.level} ${r.msg}`),
        }),
      });
      world.trace.alias(worker.identity, proc.name);
      world.ledger.identities.set(proc.name, worker.identity);
      await worker.run();
    }).catch((err) => world.note(`${proc.name} stopped: ${(err as Error).message}`));
  }
}
