import type { Prng } from './prng.ts';

/** A process's clock, relative to the database's: an offset that may jump, and a coarse resolution. */
export interface ClockSpec {
  offsetMs: number;
  /** Readings are rounded down to this many milliseconds (equal timestamps). */
  quantumMs: number;
  /** From `atMs` after the start, the offset becomes `offsetMs`. */
  jumps: { atMs: number; offsetMs: number }[];
}

/** The clock a process reads: the database's time (`Date.now()`, fake or real) seen through `spec`. */
export function skewedClock(spec: ClockSpec, startMs: number): () => Date {
  return () => {
    const now = Date.now();
    let offset = spec.offsetMs;
    for (const jump of spec.jumps) if (now - startMs >= jump.atMs) offset = jump.offsetMs;
    const t = now + offset;
    return new Date(spec.quantumMs > 1 ? Math.floor(t / spec.quantumMs) * spec.quantumMs : t);
  };
}

/** A worker's clock: mostly right, sometimes off by about a lease or more, ahead or behind. */
export function workerClock(rng: Prng, leaseMs: number, faultMs: number): ClockSpec {
  const sign = () => (rng.chance(0.5) ? 1 : -1);
  const offset = () =>
    rng.weighted<() => number>([
      [() => 0, 45],
      [() => sign() * rng.int(5, 300), 15],
      [() => sign() * rng.int(300, leaseMs), 15],
      [() => sign() * rng.int(leaseMs, 3 * leaseMs), 25],
    ])();
  const jumps = rng.chance(0.25)
    ? Array.from({ length: rng.int(1, 2) }, () => ({ atMs: rng.int(0, faultMs), offsetMs: offset() })).sort(
        (a, b) => a.atMs - b.atMs,
      )
    : [];
  return {
    offsetMs: offset(),
    quantumMs: rng.weighted([
      [1, 70],
      [10, 15],
      [250, 15],
    ]),
    jumps,
  };
}

/** A client's clock: a little off at most. */
export function clientClock(rng: Prng): ClockSpec {
  return { offsetMs: rng.int(-100, 100), quantumMs: rng.pick([1, 1, 10]), jumps: [] };
}
