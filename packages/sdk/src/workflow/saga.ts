import { ErrorCodes, type ErrorInfo, ReelError, toErrorInfo } from '../errors.ts';
import type { WorkflowContext } from './context.ts';

/** Some compensations failed; `failures` lists them, `cause` is what made the saga compensate. */
export class CompensationError extends ReelError {
  constructor(
    readonly failures: ErrorInfo[],
    cause: unknown,
  ) {
    super(
      ErrorCodes.COMPENSATION_FAILED,
      `${failures.length} compensation(s) failed: ${failures.map((f) => f.message).join('; ')}. The steps they undo may need manual repair.`,
      { cause },
    );
  }
}

/**
 * Undo steps for a multi-step workflow: register a compensation after each step succeeds; on failure
 * or cancellation they run in reverse order, in an uncancellable scope, and every one runs even if an
 * earlier one fails.
 * @example
 * const saga = new Saga(ctx);
 * await saga.run(async () => {
 *   const hold = await ctx.activity(reserveSeat, flight);
 *   saga.add(() => ctx.activity(releaseSeat, hold.id));
 *   await ctx.activity(chargeCard, card, price);
 * });
 */
export class Saga {
  private readonly compensations: (() => Promise<unknown>)[] = [];

  constructor(private readonly ctx: WorkflowContext) {}

  /** Registers the compensation of a step that has just succeeded. */
  add(compensation: () => Promise<unknown>): void {
    this.compensations.push(compensation);
  }

  /**
   * Runs `body`; if it throws (cancellation included), compensates and rethrows its error — or a
   * `CompensationError` (with the body's error as `cause`) when a compensation failed too.
   */
  async run<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      await this.compensate(err);
      throw err;
    }
  }

  /** Runs the registered compensations, newest first; throws `CompensationError` if any failed. */
  async compensate(cause?: unknown): Promise<void> {
    const failures: ErrorInfo[] = [];
    await this.ctx.uncancellable(async () => {
      for (const compensation of this.compensations.splice(0).reverse()) {
        try {
          await compensation();
        } catch (err) {
          failures.push(toErrorInfo(err));
        }
      }
    });
    if (failures.length > 0) throw new CompensationError(failures, cause);
  }
}
