import { ErrorCodes } from '@reel/sdk';
import { expect, it } from 'vitest';
import { validateOptions } from '../src/worker-options.ts';

async function noop() {}

it.each(['leaseMs', 'pollIntervalMs', 'stickyMs', 'shutdownGraceMs'])(
  '%s over 100 years is refused with REEL_INVALID_DURATION',
  (key) => {
    expect(() =>
      validateOptions({ connectionString: 'postgres://unused', workflows: { noop }, [key]: 1e20 }),
    ).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_DURATION, message: expect.stringContaining(key) }),
    );
  },
);
