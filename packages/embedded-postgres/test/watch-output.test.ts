import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { watchOutput } from '../src/watch-output.ts';

const READY = 'database system is ready to accept connections';

/** Writes `chunks` one by one and says whether `READY` was seen. */
async function seen(chunks: string[]): Promise<boolean> {
  const stream = new PassThrough();
  let found = false;
  watchOutput(stream, READY, () => {
    found = true;
  });
  for (const chunk of chunks) {
    stream.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return found;
}

describe('watchOutput', () => {
  it('sees the text when a chunk also carries the lines after it', async () => {
    // A busy process reads the pipe late and gets several log lines at once, such as a client's
    // dropped connection logged just after the server became ready.
    const after = 'LOG:  could not receive data from client: Connection reset by peer\n'.repeat(3);
    expect(await seen([`LOG:  starting PostgreSQL\nLOG:  ${READY}\n${after}`])).toBe(true);
  });

  it('sees the text when it is cut across chunks', async () => {
    expect(await seen(['LOG:  database system is rea', 'dy to accept connections\n'])).toBe(true);
  });

  it('does not see text that is not there', async () => {
    expect(await seen(['LOG:  database system is shut down\n', 'LOG:  database system is ready'])).toBe(
      false,
    );
  });
});
