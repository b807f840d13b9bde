import { describe, expect, it } from 'vitest';
import { assertJson, ErrorCodes, MAX_JSON_DEPTH, ReelError } from '../src/index.ts';

/** Runs `assertJson` and returns what it threw, failing the test if it did not throw. */
function rejection(value: unknown, what = 'input'): ReelError {
  try {
    assertJson(value, what);
  } catch (err) {
    expect(err).toBeInstanceOf(ReelError);
    return err as ReelError;
  }
  throw new Error('assertJson did not throw');
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('assertJson accepts', () => {
  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an empty string', ''],
    ['a finite number', 42.5],
    ['zero', 0],
    ['a negative number', -7],
    ['true', true],
    ['false', false],
    ['an empty object', {}],
    ['an empty array', []],
    [
      'nested plain data',
      {
        order: {
          id: 'o-1',
          items: [
            { sku: 'a', qty: 2 },
            { sku: 'b', qty: 1 },
          ],
          paid: false,
          note: null,
        },
      },
    ],
    ['an array of mixed JSON', [1, 'two', null, true, { three: [3] }]],
    ['an object without a prototype', Object.assign(Object.create(null), { a: 1 })],
  ])('%s, returning the same value', (_, value) => {
    expect(assertJson(value, 'input')).toBe(value);
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });

  it('undefined at the top level (an absent input or a void result)', () => {
    expect(assertJson(undefined, 'input')).toBeUndefined();
  });

  it('the same object reached twice without a cycle', () => {
    const address = { city: 'Lyon' };
    const value = { billing: address, shipping: address, history: [address, address] };
    expect(assertJson(value, 'input')).toBe(value);
  });
});

describe('assertJson rejects', () => {
  it.each([
    ['a BigInt', { total: 10n }, 'input.total is a bigint'],
    ['a function', { onDone: () => 1 }, 'input.onDone is a function'],
    ['a symbol', [Symbol('s')], 'input[0] is a symbol'],
    ['NaN', { price: Number.NaN }, 'input.price is NaN, which JSON cannot hold'],
    ['Infinity', { limit: Number.POSITIVE_INFINITY }, 'input.limit is Infinity, which JSON cannot hold'],
    ['-Infinity', { floor: Number.NEGATIVE_INFINITY }, 'input.floor is -Infinity, which JSON cannot hold'],
    [
      'a Date',
      { items: [{ at: 'x' }, { at: new Date(0) }] },
      'input.items[1].at is a Date (pass date.toISOString())',
    ],
    ['a Map', { byId: new Map([['a', 1]]) }, 'input.byId is a Map'],
    ['a Set', { tags: new Set(['a']) }, 'input.tags is a Set'],
    ['a class instance', { shape: { origin: new Point(0, 0) } }, 'input.shape.origin is a Point'],
    ['a boxed string', { name: new String('x') }, 'input.name is a String'],
    ['a typed array', { bytes: new Uint8Array([1]) }, 'input.bytes is a Uint8Array'],
    ['a BigInt at the top level', 5n, 'input is a bigint'],
    ['a Date at the top level', new Date(0), 'input is a Date (pass date.toISOString())'],
  ])('%s with REEL_NOT_SERIALIZABLE naming its path', (_, value, problem) => {
    const err = rejection(value);
    expect(err.code).toBe(ErrorCodes.NOT_SERIALIZABLE);
    expect(err.code).toBe('REEL_NOT_SERIALIZABLE');
    expect(err.message.startsWith(`${problem}. `)).toBe(true);
    expect(err.message).toContain('Reel stores inputs, arguments and results as JSON');
  });

  it('a cycle, naming where it closes', () => {
    const order: Record<string, unknown> = { id: 'o-1', lines: [] };
    (order.lines as unknown[]).push({ sku: 'a', order });
    const err = rejection(order);
    expect(err.code).toBe('REEL_NOT_SERIALIZABLE');
    expect(err.message).toContain('input.lines[0].order refers back to itself (a cycle)');
  });

  it('an array that contains itself', () => {
    const list: unknown[] = [1];
    list.push(list);
    expect(rejection(list).message).toContain('input[1] refers back to itself (a cycle)');
  });

  it('names the first offending path only, prefixed with what was being checked', () => {
    const err = rejection({ a: 1, b: new Date(0), c: 2n }, "The arguments of activity 'charge'");
    expect(err.message).toMatch(/^The arguments of activity 'charge'\.b is a Date/);
    expect(err.message).not.toContain('.c');
  });
});

describe('assertJson keeps its promise: what it accepts survives a JSON round trip', () => {
  // Each value is either rejected with REEL_NOT_SERIALIZABLE or returned in a form that comes back from
  // JSON unchanged; anything else lets the live run and a replay from the database see different values
  // (e.g. an activity argument that is `undefined` live and `null` after a crash).
  it.each([
    ['a sparse array', new Array(2)],
    ['undefined inside an array', [1, undefined, 3]],
  ])('%s', (_, value) => {
    let accepted: unknown;
    try {
      accepted = assertJson(value, 'input');
    } catch (err) {
      expect(err).toBeInstanceOf(ReelError);
      expect((err as ReelError).code).toBe('REEL_NOT_SERIALIZABLE');
      expect((err as ReelError).message).toMatch(/^input\[\d+\]/);
      return;
    }
    expect(JSON.parse(JSON.stringify(accepted))).toStrictEqual(accepted);
  });
});

describe('assertJson and nesting depth', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
    return value;
  };

  it(`accepts ${MAX_JSON_DEPTH} levels`, () => {
    expect(() => assertJson(nested(MAX_JSON_DEPTH), 'input')).not.toThrow();
  });

  it.each([MAX_JSON_DEPTH + 1, 10_000, 200_000])(
    'rejects %i levels with REEL_NOT_SERIALIZABLE, not a RangeError',
    (depth) => {
      const err = rejection(nested(depth));
      expect(err.code).toBe(ErrorCodes.NOT_SERIALIZABLE);
      expect(err.message).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    },
  );
});
