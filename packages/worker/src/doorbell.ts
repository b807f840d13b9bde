import { timerDelay } from './driver-timers.ts';

/** Lets a loop sleep until it is rung or a time passes; a ring that comes while it is awake is kept. */
export class Doorbell {
  private rung = false;
  private wake: (() => void) | undefined;
  /** The ring `ringAfter` asked for, until it rings or the loop wakes first. */
  private later: NodeJS.Timeout | undefined;

  ring(): void {
    this.rung = true;
    this.wake?.();
  }

  /**
   * Rings in `ms` unless the loop wakes before (what it does on waking covers what this ring was
   * for); rings asked for meanwhile join this one.
   */
  ringAfter(ms: number): void {
    this.later ??= setTimeout(() => {
      this.later = undefined;
      this.ring();
    }, ms);
  }

  async wait(ms: number): Promise<void> {
    if (!this.rung) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timerDelay(ms));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    clearTimeout(this.later);
    this.later = undefined;
    this.rung = false;
  }
}
