/** The child side of the parent's `startChild`: tell the parent something, or wait for its word. */

export function tell(type: string, fields: Record<string, unknown> = {}): void {
  process.send?.({ type, ...fields });
}

/** Resolves with the next message of `type` from the parent. */
export function hear(type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (m: { type: string }) => {
      if (m.type !== type) return;
      process.off('message', listener);
      resolve(m as Record<string, unknown>);
    };
    process.on('message', listener);
  });
}

/** Heap and RSS after a full collection (children run with --expose-gc). */
export async function memory(): Promise<{ rss: number; heapUsed: number }> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}
