import { ErrorCodes, ReelError } from '../errors.ts';

/** Where a page of `list` ended: the last run's creation time and id (runs are listed newest first). */
export interface ListPosition {
  createdAt: Date;
  runId: string;
}

/** The `nextCursor` after `last`; every store writes the same, so a cursor means the same anywhere. */
export function encodeListCursor(last: ListPosition): string {
  return Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.runId])).toString('base64url');
}

/** The position a cursor from `encodeListCursor` names; `REEL_INVALID_ARGUMENT` for anything else. */
export function decodeListCursor(cursor: string): ListPosition {
  try {
    const [at, runId] = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (!Number.isNaN(Date.parse(at)) && /^[0-9a-f-]{36}$/.test(runId))
      return { createdAt: new Date(at), runId };
  } catch {}
  throw new ReelError(
    ErrorCodes.INVALID_ARGUMENT,
    'This list cursor is not one Reel returned: pass nextCursor from the previous page unchanged.',
  );
}
