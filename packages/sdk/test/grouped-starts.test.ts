import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate, PostgresStore, type StartRequest } from '../src/index.ts';

/**
 * Starts through the store's pool that arrive while one is being written go together, in one
 * statement, and each gets the answer it would get alone: a run, the run of its id that another start
 * of the batch made, an unknown type, a parent's lost lease. What a grouped start writes is what a
 * lone one writes.
 */

const db = useTestDatabase();
let pool: pg.Pool;
let store: PostgresStore;
let listener: pg.Client;
/** The statements sent through the pool that insert runs. */
let inserts = 0;
/** The run ids `reel_wake` has named. */
const woken = new Set<string>();
let onWake = () => {};
const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await migrate(pool);
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: typeof query }).query = (...args) => {
    const first = args[0] as string | { text: string };
    if (/insert into reel\.workflows/.test(typeof first === 'string' ? first : first.text)) inserts++;
    return query(...args);
  };
  store = new PostgresStore({ pool, claimClock: 'engine' });
  await store.registerTypes(['t'], at(0));
  listener = new pg.Client({ connectionString: db.connectionString });
  await listener.connect();
  listener.on('notification', (n) => {
    woken.add(String(n.payload).split(' ')[0] as string);
    onWake();
  });
  await listener.query('listen reel_wake');
});
afterAll(async () => {
  await listener?.end();
  await store?.close();
  await pool?.end();
});

const start = (workflowId: string, more: Partial<StartRequest> = {}): StartRequest => ({
  workflowId,
  runId: randomUUID(),
  type: 't',
  input: { n: workflowId },
  now: at(1),
  ...more,
});

/** Resolves once `reel_wake` has named every one of `runIds`. */
function heard(runIds: string[]): Promise<void> {
  return new Promise((resolve) => {
    onWake = () => runIds.every((id) => woken.has(id)) && resolve();
    onWake();
  });
}

it('concurrent starts go in fewer statements than starts, each with its own answer', async () => {
  const parent = await store.start(start('parent'));
  const [held] = await store.claim('old-worker', ['t'], 1, at(2), 1000);
  // Another worker takes the parent over: its old holder's start of a child starts nothing.
  const [current] = await store.claim('new-worker', ['t'], 1, at(5000), 1000);
  expect(current?.fencingToken).toBe((held?.fencingToken ?? 0) + 1);

  const fresh = Array.from({ length: 12 }, (_, i) => start(`fresh-${i}`));
  const dups = [start('dup'), start('dup'), start('dup')];
  const unknown = start('unknown', { type: 'nobody-registered-this' });
  const child = start('child', {
    newRun: true,
    parent: { runId: parent.runId, cmd: 0, closePolicy: 'abandon', fencingToken: held?.fencingToken ?? 0 },
  });
  const reqs = [...fresh.slice(0, 6), dups[0], unknown, dups[1], child, ...fresh.slice(6), dups[2]];
  inserts = 0;
  const answers = await Promise.all(reqs.map((r) => store.start(r as StartRequest)));
  const answerOf = (r: StartRequest) => answers[reqs.indexOf(r)];

  expect(inserts).toBeLessThan(reqs.length);
  for (const r of fresh)
    expect(answerOf(r)).toEqual({ runId: r.runId, created: true, knownType: true, type: 't' });
  const winner = dups.find((r) => answerOf(r)?.created) as StartRequest;
  expect(dups.filter((r) => answerOf(r)?.created)).toHaveLength(1);
  for (const r of dups.filter((d) => d !== winner))
    expect(answerOf(r)).toEqual({ runId: winner.runId, created: false, knownType: true, type: 't' });
  expect(answerOf(unknown)).toEqual({
    runId: unknown.runId,
    created: false,
    knownType: false,
    type: 'nobody-registered-this',
  });
  expect(answerOf(child)).toMatchObject({ created: false, parentLost: true });
  expect(await store.describe('unknown')).toBeUndefined();
  expect(await store.describe('child')).toBeUndefined();
  // Every run made is there with its first event, and the workers were told of it.
  for (const r of [...fresh, winner]) expect(await store.loadHistory(r.runId)).toHaveLength(1);
  await heard([...fresh, winner].map((r) => r.runId));
});

it('a grouped start writes the run and first event a lone start writes', async () => {
  const variants: [string, Partial<StartRequest>][] = [
    ['plain', {}],
    ['attributes', { attributes: { tenant: 'a', n: 1 } }],
    ['delayed', { readyAt: at(60_000) }],
    ['priority', { priority: 3 }],
    ['leased', { lease: { owner: 'local-worker', ms: 30_000 } }],
    [
      'timeout and trace',
      { executionTimeoutMs: 5000, trace: { parent: { traceparent: '00-'.padEnd(55, '1') } } },
    ],
    ['new run', { newRun: true }],
    ['nul', { input: { s: 'a\u0000b' } }],
  ];
  for (const [name, more] of variants) await store.start(start(`alone ${name}`, more));
  inserts = 0;
  // The first goes at once; the others wait for it and go together.
  await Promise.all(
    [['leader', {}] as const, ...variants].map(([name, more]) => store.start(start(`grouped ${name}`, more))),
  );
  expect(inserts).toBe(2);
  const { rows } = await pool.query(`
    select w.workflow_id, w.type, w.status, w.input::text, w.ready_at - w.created_at as ready_in,
           w.history_length, w.created_at, w.updated_at, w.attributes, w.lease_owner, w.fencing_token,
           w.priority, w.parent_run_id, w.slot, h.seq, h.type as event, h.data::text, h.at
      from reel.workflows w join reel.history h using (run_id)
     where w.workflow_id like 'alone %' or w.workflow_id like 'grouped %'`);
  const alone = rows.filter((r) => r.workflow_id.startsWith('alone '));
  for (const a of alone) {
    const name = a.workflow_id.slice('alone '.length);
    const g = rows.find((r) => r.workflow_id === `grouped ${name}`);
    const input = (text: string) => text.replace(`alone ${name}`, '').replace(`grouped ${name}`, '');
    expect({ ...g, workflow_id: name, input: input(g.input), data: input(g.data) }).toEqual({
      ...a,
      workflow_id: name,
      input: input(a.input),
      data: input(a.data),
    });
  }
  expect(alone).toHaveLength(variants.length);
});

it('a start the database refuses fails alone; the others of its statement start', async () => {
  const good = [start('good-1'), start('good-2'), start('good-3')];
  const bad = start('bad', { priority: 99 }); // outside the column's check (0 to 10)
  inserts = 0;
  const settled = await Promise.allSettled(
    [good[0], bad, good[1], good[2]].map((r) => store.start(r as StartRequest)),
  );
  expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  // good-1 alone; the other three together, refused; then each of them alone.
  expect(inserts).toBe(5);
  for (const r of good) expect((await store.describe(r.workflowId))?.runId).toBe(r.runId);
  expect(await store.describe('bad')).toBeUndefined();
});

it("a start that waits on a caller's open transaction holds up no other start", async () => {
  const tx = new pg.Client({ connectionString: db.connectionString });
  await tx.connect();
  try {
    await tx.query('begin');
    const mine = await store.start(start('held-by-tx'), tx);
    expect(mine.created).toBe(true);
    // The same id through the pool waits on the transaction's insert, for the id's unique index …
    const same = store.start(start('held-by-tx'));
    // … and a start of another id, queued behind it, goes all the same.
    const other = await store.start(start('free-id'));
    expect(other.created).toBe(true);
    await tx.query('commit');
    expect(await same).toMatchObject({ created: false, runId: mine.runId });
  } finally {
    await tx.end();
  }
});
