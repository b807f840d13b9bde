import { describe, expect, it } from 'vitest';
import { ErrorCodes, MAX_DURATION_MS, ReelError, toMs } from '../src/index.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Runs `toMs` and returns what it threw, failing the test if it did not throw. */
function thrown(input: unknown, what?: string): ReelError {
  try {
    toMs(input as never, what);
  } catch (err) {
    expect(err).toBeInstanceOf(ReelError);
    return err as ReelError;
  }
  throw new Error(`toMs(${String(input)}) did not throw`);
}

describe('toMs', () => {
  it.each([
    ['90s', 90 * SECOND],
    ['3 days', 3 * DAY],
    ['1h 30m', HOUR + 30 * MINUTE],
    ['15 minutes', 15 * MINUTE],
    ['250ms', 250],
    [0, 0],
    [1500, 1500],
  ] as const)('reads %j as %d ms', (input, ms) => {
    expect(toMs(input)).toBe(ms);
  });

  it.each([
    ['1 day', DAY],
    ['2 weeks', 14 * DAY],
    ['1w 2d', 9 * DAY],
    ['1h30m', HOUR + 30 * MINUTE],
    ['1 h 30 m', HOUR + 30 * MINUTE],
    ['1h  30m', HOUR + 30 * MINUTE],
    ['1.5h', 1.5 * HOUR],
    ['10 sec', 10 * SECOND],
    ['10 seconds', 10 * SECOND],
    ['5 mins', 5 * MINUTE],
    ['2 hrs', 2 * HOUR],
    ['1 millisecond', 1],
    ['  90S  ', 90 * SECOND],
    ['3 Days', 3 * DAY],
  ] as const)('also reads %j as %d ms', (input, ms) => {
    expect(toMs(input)).toBe(ms);
  });

  it('rounds fractional milliseconds in strings to whole milliseconds', () => {
    expect(toMs('0.4ms')).toBe(0);
    expect(toMs('1.6ms')).toBe(2);
  });

  it.each([
    ['three days'],
    [''],
    ['   '],
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['5 parsecs'],
    ['10'],
    [{}],
    [null],
    [undefined],
    [[1000]],
    ['1h 30'],
    ['1h, 30m'],
    ['-5s'],
    ['5s later'],
    ['s'],
  ])('rejects %j with REEL_INVALID_DURATION and the accepted forms', (input) => {
    const err = thrown(input);
    expect(err.code).toBe(ErrorCodes.INVALID_DURATION);
    expect(err.code).toBe('REEL_INVALID_DURATION');
    expect(err.message).toContain('milliseconds (a number >= 0)');
    for (const form of ["'90s'", "'15 minutes'", "'3 days'", "'1h 30m'"]) expect(err.message).toContain(form);
  });

  it('quotes the rejected value and names what was being parsed', () => {
    const err = thrown('three days', 'ctx.sleep duration');
    expect(err.message).toMatch(/^Invalid ctx\.sleep duration: "three days"\./);
    expect(thrown(-1).message).toMatch(/^Invalid duration: -1\./);
  });

  it('gives the same answer when called again after a failure (no state leaks between calls)', () => {
    thrown('1h oops');
    expect(toMs('1h')).toBe(HOUR);
    thrown('90 lightyears');
    expect(toMs('90s')).toBe(90 * SECOND);
  });
});

describe('the maximum duration', () => {
  it('accepts 100 years', () => {
    expect(toMs(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(toMs('36525 days')).toBe(MAX_DURATION_MS);
  });

  it.each([1e20, MAX_DURATION_MS + 1, '1000000000 days', '36526 days', `${'9'.repeat(400)} ms`])(
    'rejects %j with REEL_INVALID_DURATION',
    (input) => {
      const err = thrown(input, 'ctx.sleep duration');
      expect(err.code).toBe(ErrorCodes.INVALID_DURATION);
      expect(err.message).toMatch(/^Invalid ctx.sleep duration: .* longer than the maximum of 100 years/);
    },
  );
});
