import { AsyncLocalStorage } from 'node:async_hooks';

/** Marks the ctx calls made inside `ctx.uncancellable` (it follows their awaits). */
const shieldStorage = new AsyncLocalStorage<boolean>();

/** Runs `fn` so that the ctx calls it makes are not rejected when the workflow is cancelled. */
export function uncancellable<T>(fn: () => Promise<T>): Promise<T> {
  return shieldStorage.run(true, fn);
}

/** True inside `ctx.uncancellable`: what the code issues here survives a cancellation. */
export function shielded(): boolean {
  return shieldStorage.getStore() === true;
}
