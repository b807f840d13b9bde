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
    void (async () => {
      try {
        do {
          this.again = false;
          const startedAt = performance.now();
          await this.step();
          this.stepped(performance.now() - startedAt);
        } while (this.again && !this.ended());
      } catch (err) {
        this.failed(err);
      } finally {
        this.stepping = false;
      }
    })();
  }
}
