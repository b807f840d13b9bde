import { createHash } from 'node:crypto';

/**
 * Every store call, execution and answer of a scenario, in order, with the simulated time: hashed
 * into a digest (two runs of a seed on the memory store must give the same one) and kept in part
 * to explain a failure. Worker identities (which embed the host name and pid) are replaced by the
 * simulated process's name, and error stacks are left out, so the digest depends on the seed alone.
 */
export class Trace {
  private readonly hash = createHash('sha256');
  private readonly aliases: [string, string][] = [];
  private readonly kept: string[] = [];
  lines = 0;
  /** Store calls so far: each call's number ties its execution and answer to it. */
  calls = 0;

  constructor(private readonly keep = 400) {}

  /** From now on, writes `name` wherever `identity` appears. */
  alias(identity: string, name: string): void {
    this.aliases.push([identity, name]);
  }

  record(text: string): void {
    let line = `${Date.now()} ${text}`;
    for (const [from, to] of this.aliases) if (line.includes(from)) line = line.split(from).join(to);
    this.hash.update(line);
    this.hash.update('\n');
    this.lines++;
    this.kept.push(line);
    if (this.kept.length > this.keep * 2) this.kept.splice(0, this.kept.length - this.keep);
  }

  /** Every line kept (all of them if `keep` is Infinity). */
  all(): string[] {
    return [...this.kept];
  }

  /** The last lines recorded (at most `keep`). */
  tail(): string[] {
    return this.kept.slice(-this.keep);
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

/** JSON for the trace: no stacks, functions and undefined named. */
export function traceJson(value: unknown): string {
  return (
    JSON.stringify(value, (key, v) => {
      if (key === 'stack') return undefined;
      if (typeof v === 'function') return '[fn]';
      return v;
    }) ?? 'undefined'
  );
}
