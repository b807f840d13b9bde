/**
 * Runs a run driver's step now, or once more after the one under way: steps never overlap, and a
 * poke during a step is not lost. A step that must go again at once sets `again`.
 */
export class Stepper {
  /** Step once more when this step ends. */
  again = false;
  private stepping = false;

  constructor(
    private readonly step: () => Promise<void>,
    /** True once the driver has ended: no more steps. */
    private readonly ended: () => boolean,
    private readonly failed: (err: unknown) => void,
    /** Told how long each step took. */
    private readonly stepped: (ms: number) => void,
  ) {}

  poke(): void {
    if (this.stepping) {
      this.again = true;
      return;
    }
    this.stepping = true;
    this.next();
  }

  /** One step, then the next while `again` asks: chained, one promise a step (an async loop makes two). */
  private next(): void {
    this.again = false;
    const startedAt = performance.now();
    this.step().then(
      () => {
        try {
          this.stepped(performance.now() - startedAt);
        } catch (err) {
          return this.stop(err);
        }
        if (this.again && !this.ended()) this.next();
        else this.stepping = false;
      },
      (err) => this.stop(err),
    );
  }

  private stop(err: unknown): void {
    try {
      this.failed(err);
    } finally {
      this.stepping = false;
    }
  }
}
