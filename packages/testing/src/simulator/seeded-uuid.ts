import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';

/**
 * Makes `randomUUID` from `node:crypto` (which the worker and the client use for run ids and worker
 * identities) return `next()` in this process, so those ids follow from the seed; returns the undo.
 * `syncBuiltinESMExports` carries the change to modules that imported the function by name.
 */
export function seedRandomUUID(next: () => string): () => void {
  const original = crypto.randomUUID;
  crypto.randomUUID = (() => next()) as typeof crypto.randomUUID;
  syncBuiltinESMExports();
  return () => {
    crypto.randomUUID = original;
    syncBuiltinESMExports();
  };
}
