import { defineActivity, type ErrorInfo, type RetryPolicy } from '@reel/sdk';
import { describe, expect, it } from 'vitest';
import { retryDelay } from '../src/retry.ts';

const error: ErrorInfo = { name: 'Error', message: 'boom' };
/** The delays before attempts 2, 3, … under `policy`, until it says stop. */
const delays = (policy: RetryPolicy) => {
  const out: number[] = [];
  for (let attempt = 1; ; attempt++) {
    const delay = retryDelay(policy, attempt, error);
    if (delay === undefined) return out;
    out.push(delay);
  }
};

describe('retry backoff', () => {
  it('is exponential by default: initialInterval × coefficient^(n−1)', () => {
    expect(delays({})).toEqual([1000, 2000, 4000, 8000]);
    expect(delays({ maxAttempts: 6, initialInterval: '100ms', backoffCoefficient: 3 })).toEqual([
      100, 300, 900, 2700, 8100,
    ]);
    expect(delays({ backoff: 'exponential', maxAttempts: 4, initialInterval: 10 })).toEqual([10, 20, 40]);
  });

  it('linear grows by initialInterval each attempt', () => {
    expect(delays({ backoff: 'linear', maxAttempts: 5, initialInterval: '1s' })).toEqual([
      1000, 2000, 3000, 4000,
    ]);
    // the coefficient belongs to exponential backoff only
    expect(
      delays({ backoff: 'linear', maxAttempts: 4, initialInterval: 50, backoffCoefficient: 10 }),
    ).toEqual([50, 100, 150]);
  });

  it('constant waits initialInterval every time', () => {
    expect(delays({ backoff: 'constant', maxAttempts: 5, initialInterval: '250ms' })).toEqual([
      250, 250, 250, 250,
    ]);
  });

  it('every strategy is capped by maxInterval (default 100 × initialInterval)', () => {
    expect(delays({ backoff: 'linear', maxAttempts: 6, initialInterval: 100, maxInterval: 250 })).toEqual([
      100, 200, 250, 250, 250,
    ]);
    expect(delays({ maxAttempts: 10, initialInterval: 1, backoffCoefficient: 10 })).toEqual([
      1, 10, 100, 100, 100, 100, 100, 100, 100,
    ]);
    expect(delays({ backoff: 'constant', maxAttempts: 3, initialInterval: 500, maxInterval: 200 })).toEqual([
      200, 200,
    ]);
    expect(retryDelay({ backoff: 'linear', maxAttempts: Infinity, initialInterval: 1 }, 1000, error)).toBe(
      100,
    );
  });

  it('stops on non-retryable errors whatever the strategy', () => {
    const policy: RetryPolicy = { backoff: 'constant', nonRetryableErrors: ['CardDeclined'] };
    expect(retryDelay(policy, 1, { name: 'CardDeclined', message: 'no' })).toBeUndefined();
    expect(retryDelay(policy, 1, { ...error, nonRetryable: true })).toBeUndefined();
    expect(retryDelay(policy, 1, error)).toBe(1000);
  });

  it('defineActivity rejects an unknown strategy, a bad heartbeatTimeout and an empty taskQueue', () => {
    const fn = async () => 1;
    expect(() => defineActivity(fn, { retry: { backoff: 'fibonacci' as never } })).toThrow(
      expect.objectContaining({
        code: 'REEL_INVALID_ARGUMENT',
        message: expect.stringContaining('retry.backoff'),
      }),
    );
    expect(() => defineActivity(fn, { heartbeatTimeout: 'soon' })).toThrow(
      expect.objectContaining({
        code: 'REEL_INVALID_DURATION',
        message: expect.stringContaining('heartbeatTimeout'),
      }),
    );
    expect(() => defineActivity(fn, { taskQueue: '' })).toThrow(
      expect.objectContaining({
        code: 'REEL_INVALID_ARGUMENT',
        message: expect.stringContaining('taskQueue'),
      }),
    );
    expect(() =>
      defineActivity(fn, { retry: { backoff: 'linear' }, heartbeatTimeout: '30s', taskQueue: 'gpu' }),
    ).not.toThrow();
  });

  it.each([
    ['retry.maxAttempts', { retry: { maxAttempts: -1 } }],
    ['retry.maxAttempts', { retry: { maxAttempts: 0 } }],
    ['retry.maxAttempts', { retry: { maxAttempts: 2.5 } }],
    ['retry.backoffCoefficient', { retry: { backoffCoefficient: 0.5 } }],
    ['retry.backoffCoefficient', { retry: { backoffCoefficient: Number.NaN } }],
    ['retry.nonRetryableErrors', { retry: { nonRetryableErrors: 'CardDeclined' } }],
    ['retry must be an object', { retry: 5 }],
    ['name', { name: '' }],
    ['options are an object', 'fast'],
  ])('defineActivity rejects a bad %s with REEL_INVALID_ARGUMENT naming it', (field, options) => {
    expect(() => defineActivity(async () => 1, options as never)).toThrow(
      expect.objectContaining({ code: 'REEL_INVALID_ARGUMENT', message: expect.stringContaining(field) }),
    );
  });

  it('defineActivity takes no options at all, and Infinity attempts', () => {
    const fn = async () => 1;
    expect(defineActivity(fn)).toBe(fn);
    expect(() => defineActivity(fn, { retry: { maxAttempts: Infinity } })).not.toThrow();
  });
});
