import { expect, it } from 'vitest';
import { testPostgres } from '../src/index.ts';

const fail = (message: string) => async () => {
  throw new Error(message);
};

it('uses the embedded server first', async () => {
  const url = await testPostgres({
    embedded: async () => 'postgres://embedded',
    container: fail('not asked'),
  });
  expect(url).toBe('postgres://embedded');
});

it('falls back to a container when the embedded server cannot start', async () => {
  const url = await testPostgres({
    embedded: fail('no binaries for this platform'),
    container: async () => 'postgres://container',
  });
  expect(url).toBe('postgres://container');
});

it('says why when neither works, with REEL_NO_DATABASE', async () => {
  const err = await testPostgres({
    embedded: fail('no binaries'),
    container: fail('no Docker engine'),
  }).catch((e) => e);
  expect(err.code).toBe('REEL_NO_DATABASE');
  expect(err.message).toContain('no binaries');
  expect(err.message).toContain('no Docker engine');
  expect(err.message).toContain('DATABASE_URL');
});
