import { PostgresStore } from '@reel/sdk';
import { until } from './helpers.ts';

/**
 * A PostgresStore whose claims a test can hold, so it lines up input for a run (a signal, a cancel)
 * before any worker first claims it: that input is then certain to reach the code before it runs.
 */
export class GatedStore extends PostgresStore {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private claiming = 0;

  /** Holds every claim from now on; resolves once none is under way. */
  async holdClaims(): Promise<void> {
    this.gate ??= new Promise((resolve) => (this.open = resolve));
    await until(() => this.claiming === 0, 'the claims under way to end');
  }

  releaseClaims(): void {
    this.gate = undefined;
    this.open?.();
  }

  override async claim(...args: Parameters<PostgresStore['claim']>) {
    while (this.gate) await this.gate;
    this.claiming++;
    try {
      return await super.claim(...args);
    } finally {
      this.claiming--;
    }
  }
}
