import type { Readable } from 'node:stream';

/** Calls `found` when `text` appears in `stream`'s output, wherever the chunks happen to be cut. */
export function watchOutput(stream: Readable, text: string, found: () => void): void {
  let tail = '';
  stream.on('data', (chunk: Buffer) => {
    // Look before trimming: a chunk may carry the text followed by more lines than the tail keeps.
    const seen = tail + chunk.toString('utf8');
    if (seen.includes(text)) found();
    tail = seen.slice(1 - text.length);
  });
}
