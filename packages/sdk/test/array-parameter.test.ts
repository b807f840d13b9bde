import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { array } from '../src/store/postgres/statements.ts';

/** The store writes the hot statements' array parameters itself: Postgres must read back every element as given. */

const db = useTestDatabase();
let pool: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
});
afterAll(() => pool.end());

const same = <T>(x: T) => x;

it('reads back text with quotes, backslashes, separators, braces, spaces, NULL as a word, and null', async () => {
  const texts = ['', 'NULL', 'null', 'a,b', '{x}', ' padded ', 'say "hi"', 'C:\\dir\\', '\\"', 'é ☃ 🎞', null];
  const { rows } = await pool.query('select $1::text[] as v', [array(texts, same)]);
  expect(rows[0].v).toEqual(texts);
});

it('reads back JSON documents, a NUL escaped in one among them, as the values they were written from', async () => {
  const values = [{ a: 'say "hi"\\' }, 'with \u0000 inside', [1, null, '{}'], 42, null];
  const { rows } = await pool.query('select $1::json[] as v', [array(values, (v) => JSON.stringify(v))]);
  expect(rows[0].v).toEqual(values);
});

it('reads back numbers, booleans, uuids and timestamps, and a date beyond the year 9999 through pg', async () => {
  const { rows } = await pool.query(
    'select $1::bigint[] as n, $2::float8[] as f, $3::boolean[] as b, $4::uuid[] as u, $5::timestamptz[] as t',
    [
      array([1, 9_007_199_254_740_991, -3, null], same),
      array([0.1, -2.5e-8, null], same),
      array([true, false, null], same),
      array(['7c9e6679-7425-40de-944b-e07fc1f90ae7'], same),
      array([new Date('2026-12-01T10:00:00.123Z').toISOString(), new Date(Date.UTC(10_000, 0, 1))], same),
    ],
  );
  expect(rows[0]).toEqual({
    n: ['1', '9007199254740991', '-3', null],
    f: [0.1, -2.5e-8, null],
    b: [true, false, null],
    u: ['7c9e6679-7425-40de-944b-e07fc1f90ae7'],
    t: [new Date('2026-12-01T10:00:00.123Z'), new Date(Date.UTC(10_000, 0, 1))],
  });
});
