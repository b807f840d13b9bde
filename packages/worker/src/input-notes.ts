/**
 * When input came for runs a worker holds but runs no driver for yet (`''`: for any run, after its
 * listener was down): a claim or local start under way may be giving it such a run, with an inbox
 * read before that input came (`Worker.hold`).
 */
export class InputNotes {
  /** When input came, by run (`performance.now()`), oldest first. */
  private readonly heard = new Map<string, number>();

  /** `keepMs`: how long a note lasts; a claim or start answered later than a lease holds nothing. */
  constructor(private readonly keepMs: number) {}

  /** Input came for `runId` (`''`: for any run) now. */
  note(runId: string): void {
    const now = performance.now();
    for (const [id, at] of this.heard) {
      if (at > now - this.keepMs) break;
      this.heard.delete(id);
    }
    this.heard.delete(runId);
    this.heard.set(runId, now);
  }

  /** Whether input for `runId`, or for any run, came at or after `performance.now()` time `since`. */
  since(runId: string, since: number): boolean {
    return Math.max(this.heard.get(runId) ?? -Infinity, this.heard.get('') ?? -Infinity) >= since;
  }
}
