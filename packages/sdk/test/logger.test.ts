import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { defaultLogger, loggerOptions } from '../src/index.ts';

/** A pino logger with Reel's default options, writing its lines to an array. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: pino(loggerOptions(level), stream), lines };
}

it("the default logger's options censor credentials, however deep a line carries them", () => {
  const { logger, lines } = capture();
  logger.child({ worker: 'w1' }).warn(
    {
      connectionString: 'postgres://reel:s3cret@db:5432/reel',
      password: 's3cret',
      store: { connectionString: 'postgres://reel:s3cret@db:5432/reel' },
      headers: { authorization: 'Bearer s3cret', cookie: 'session=s3cret' },
      apiKey: 's3cret',
    },
    'connecting',
  );
  expect(JSON.stringify(lines)).not.toContain('s3cret');
  expect(lines[0]).toMatchObject({
    level: 40,
    msg: 'connecting',
    worker: 'w1',
    connectionString: '[redacted]',
    store: { connectionString: '[redacted]' },
    headers: { authorization: '[redacted]', cookie: '[redacted]' },
  });
});

it('takes its level from REEL_LOG_LEVEL, and refuses one pino does not know', () => {
  expect(defaultLogger('warn').level).toBe('warn');
  const saved = process.env.REEL_LOG_LEVEL;
  try {
    process.env.REEL_LOG_LEVEL = 'debug';
    expect(defaultLogger().level).toBe('debug');
    process.env.REEL_LOG_LEVEL = '';
    expect(defaultLogger().level).toBe('info');
    process.env.REEL_LOG_LEVEL = 'loud';
    expect(() => defaultLogger()).toThrow(
      expect.objectContaining({ code: 'REEL_INVALID_ARGUMENT', message: expect.stringContaining('"loud"') }),
    );
  } finally {
    process.env.REEL_LOG_LEVEL = saved;
  }
});
