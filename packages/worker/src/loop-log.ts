import { errorFields, isConnectionError, type Logger } from '@reel/sdk';

/**
 * The log of a loop that tries a failed pass again at its next turn (claiming, renewing leases,
 * firing schedules): the first failure of a series at `warn` when Postgres is unreachable (a
 * connection error) or `error` otherwise, the repeats at `debug`, and the first pass that works again
 * at `info`. A database outage then costs a loop two lines, not one a second.
 */
export class LoopLog {
  /** `Date.now()` when the current series of failures began, while the loop fails. */
  private failingSince: number | undefined;

  constructor(
    private readonly logger: Logger,
    /** What the loop does, as a noun phrase: `claiming runs`. */
    private readonly what: string,
  ) {}

  failed(err: unknown): void {
    const fields = { err: errorFields(err) };
    if (this.failingSince !== undefined) {
      this.logger.debug(fields, `${this.what} failed again; retrying`);
      return;
    }
    this.failingSince = Date.now();
    const level = isConnectionError(err) ? 'warn' : 'error';
    this.logger[level](fields, `${this.what} failed; retrying at each turn: ${fields.err.message}`);
  }

  succeeded(): void {
    if (this.failingSince === undefined) return;
    const failedForMs = Date.now() - this.failingSince;
    this.failingSince = undefined;
    this.logger.info({ failedForMs }, `${this.what} works again`);
  }
}
