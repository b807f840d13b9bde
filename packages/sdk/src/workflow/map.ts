import { ErrorCodes, ReelError } from '../errors.ts';

/** Options of `ctx.map`. */
export interface MapOptions {
  /** Items in flight at once. Default 10. */
  concurrency?: number;
  /** `failFast` (default): the first error stops new items and is thrown. `continue`: every item runs. */
  onError?: 'failFast' | 'continue';
}

/** One item's outcome under `onError: 'continue'`, shaped like `Promise.allSettled`'s. */
export type Settled<R> = { status: 'fulfilled'; value: R } | { status: 'rejected'; reason: unknown };

/**
 * A bounded-concurrency foreach over workflow code. Deterministic because items start in order and
 * continue in the order their ctx results are delivered, which replay reproduces.
 */
export async function mapDurably<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  options: MapOptions = {},
): Promise<R[] | Settled<R>[]> {
  const concurrency = options.concurrency ?? 10;
  const onError = options.onError ?? 'failFast';
  if (!Array.isArray(items) || typeof fn !== 'function') {
    throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'ctx.map expects an array and a function.');
  }
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      `ctx.map concurrency must be an integer >= 1, not ${concurrency}.`,
    );
  }
  if (onError !== 'failFast' && onError !== 'continue') {
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      `ctx.map onError must be 'failFast' or 'continue', not ${JSON.stringify(onError)}.`,
    );
  }
  const settled: Settled<R>[] = new Array(items.length);
  let next = 0;
  let failure: { reason: unknown } | undefined;
  const lane = async () => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        settled[index] = { status: 'fulfilled', value: await fn(items[index] as T, index) };
      } catch (reason) {
        settled[index] = { status: 'rejected', reason };
        if (onError === 'failFast') failure ??= { reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  if (failure) throw failure.reason;
  return onError === 'continue' ? settled : settled.map((s) => (s as { value: R }).value);
}
