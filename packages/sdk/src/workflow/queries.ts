import { assertJson, type Json } from '../codec.ts';
import { ErrorCodes, ReelError } from '../errors.ts';

/**
 * The handlers of `ctx.onQuery`. A query reads the code's current state and records nothing, so it
 * is answered outside delivery, between two `advance()` calls.
 */
export class Queries {
  private readonly handlers = new Map<string, (...args: unknown[]) => unknown>();

  constructor(private readonly workflowId: string) {}

  /** `ctx.onQuery`: later queries of `name` go to `handler`. */
  register(name: string, handler: (...args: unknown[]) => unknown): void {
    this.handlers.set(name, handler);
  }

  /** Runs query `name`'s handler; throws `REEL_UNKNOWN_QUERY`, or the handler's error. */
  answer(name: string, args: Json[]): Json | undefined {
    const handler = this.handlers.get(name);
    if (!handler) {
      const known = [...this.handlers.keys()].join(', ') || 'none';
      throw new ReelError(
        ErrorCodes.UNKNOWN_QUERY,
        `Workflow ${this.workflowId} has no query '${name}' (it answers: ${known}).`,
      );
    }
    return assertJson(handler(...args), `The answer to query '${name}'`);
  }
}
