/** Time arithmetic shared by the memory store's parts. */

/** `ms` after `at`. */
export function after(at: Date, ms: number): Date {
  return new Date(at.getTime() + ms);
}

/** Whole ms from `now` until `at` (0 if passed), rounded up as the Postgres store's NEXT_READY_IN does. */
export function msUntil(at: Date | undefined, now: Date): number | undefined {
  return at === undefined ? undefined : Math.max(0, Math.ceil(at.getTime() - now.getTime()));
}
