import type { Prng } from './prng.ts';
import type { SimProcess } from './process.ts';

/** How often each fault strikes while faults are on (probabilities per store call or notification). */
export interface FaultRates {
  /** The calling process dies before its call runs. */
  crashBefore: number;
  /** It dies after its call ran (committed), before the answer arrives. */
  crashAfter: number;
  /** It freezes before its call runs (the call is held until it resumes). */
  freezeBefore: number;
  /** It freezes after its call ran, before the answer arrives. */
  freezeAfter: number;
  /** A worker freezes before starting a child workflow (a child start after a lost lease). */
  freezeChildStart: number;
  /** Heartbeats and lease renewals fail (the call errs; it may or may not have run). */
  renewFail: number;
  /** A notification is lost. */
  loseNotification: number;
  /** An answer is slow (tens to hundreds of milliseconds). */
  slowAnswer: number;
  /** The most processes that may crash in one scenario. */
  maxCrashes: number;
}

export type Fault = 'crash' | 'freeze' | 'fail' | undefined;

/** The scenario's fault injection; `active` goes false when the faults stop. */
export class Faults {
  active = true;
  crashes = 0;

  constructor(
    private readonly rates: FaultRates,
    private readonly rng: Prng,
  ) {}

  /** What befalls `proc`'s call to `method` before it runs. */
  before(proc: SimProcess, method: string): Fault {
    if (!this.active || method === 'listen' || method === 'unlisten') return undefined;
    if (this.failing(proc, method)) return 'fail';
    if (this.crash(proc, this.rates.crashBefore)) return 'crash';
    const freeze =
      proc.kind === 'worker' && method === 'start' ? this.rates.freezeChildStart : this.rates.freezeBefore;
    return proc.kind === 'worker' && this.rng.chance(freeze) ? 'freeze' : undefined;
  }

  /** What befalls it after the call ran, before its answer arrives. */
  after(proc: SimProcess, method: string): Fault {
    if (!this.active || method === 'listen' || method === 'unlisten') return undefined;
    if (this.failing(proc, method)) return 'fail';
    if (this.crash(proc, this.rates.crashAfter)) return 'crash';
    return proc.kind === 'worker' && this.rng.chance(this.rates.freezeAfter) ? 'freeze' : undefined;
  }

  /** Delay of a call or an answer on the way (simulated milliseconds). */
  latency(): number {
    if (this.active && this.rng.chance(this.rates.slowAnswer)) return this.rng.int(20, 250);
    return this.rng.int(0, 3);
  }

  loses(): boolean {
    return this.active && this.rng.chance(this.rates.loseNotification);
  }

  private failing(proc: SimProcess, method: string): boolean {
    // Only once the worker serves: a worker whose very first heartbeat fails does not start at all.
    return (
      proc.kind === 'worker' &&
      proc.called.has('claim') &&
      (method === 'renew' || method === 'heartbeat') &&
      this.rng.chance(this.rates.renewFail / 2)
    );
  }

  private crash(proc: SimProcess, rate: number): boolean {
    // Clients crash less: their calls are few, and a worker's death is the interesting one.
    const p = proc.kind === 'client' ? rate / 4 : rate;
    if (this.crashes >= this.rates.maxCrashes || !this.rng.chance(p)) return false;
    this.crashes++;
    return true;
  }
}
