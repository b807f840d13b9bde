import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/store/postgres/group-commit.ts';
import type { CommitOutcome, CommitRequest } from '../src/store/store.ts';

const req = (runId: string): CommitRequest => ({
  runId,
  fencingToken: 1,
  now: new Date(0),
  events: [],
  consumedInbox: [],
});

const byRun = (r: CommitRequest) => r.runId;

/** A writer that records each statement's runs and answers when the test says so. */
function writer(answer: (runIds: string[]) => (CommitOutcome | Error)[] | Error) {
  const statements: string[][] = [];
  const pending: (() => void)[] = [];
  /** Statements already in flight when each statement was issued. */
  const inFlight: number[] = [];
  const write = (reqs: CommitRequest[]) => {
    const runIds = reqs.map((r) => r.runId);
    statements.push(runIds);
    inFlight.push(pending.length);
    return new Promise<(CommitOutcome | Error)[]>((resolve, reject) =>
      pending.push(() => {
        const a = answer(runIds);
        if (a instanceof Error) reject(a);
        else resolve(a);
      }),
    );
  };
  const flush = async () => {
    while (pending.length) {
      pending.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { write, statements, flush, inFlight };
}

describe('GroupCommit', () => {
  it('writes a lone commit at once and the commits that arrive meanwhile together, one per run', async () => {
    const w = writer((ids) => ids.map(() => 'ok'));
    const group = new GroupCommit(w.write, byRun);
    const done = ['a', 'b', 'c', 'b', 'd'].map((id) => group.commit(req(id)));
    await w.flush();
    expect(await Promise.all(done)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    // 'a' alone; then b, c, d; the second commit of 'b' waits for the statement after.
    expect(w.statements).toEqual([['a'], ['b', 'c', 'd'], ['b']]);
  });

  it('gives each commit its own outcome, and an error that concerns one commit to it alone', async () => {
    const w = writer((ids) =>
      ids.map((id) => (id === 'bad' ? new Error('bad history') : id === 'old' ? 'lost' : 'ok')),
    );
    const group = new GroupCommit(w.write, byRun);
    const done = Promise.allSettled(['first', 'bad', 'old', 'good'].map((id) => group.commit(req(id))));
    await w.flush();
    const settled = await done;
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      'ok',
      'bad history',
      'lost',
      'ok',
    ]);
  });

  it('when a shared statement fails, writes each of its commits alone', async () => {
    const w = writer((ids) => (ids.length > 1 ? new Error('statement failed') : ids.map(() => 'ok')));
    const group = new GroupCommit(w.write, byRun);
    const done = ['a', 'b', 'c'].map((id) => group.commit(req(id)));
    await w.flush();
    expect(await Promise.all(done)).toEqual(['ok', 'ok', 'ok']);
    expect(w.statements).toEqual([['a'], ['b', 'c'], ['b'], ['c']]);
  });

  it('writes the retries of a failed shared statement before any later commit of their runs', async () => {
    const w = writer((ids) => (ids.length > 1 ? new Error('statement failed') : ids.map(() => 'ok')));
    const group = new GroupCommit(w.write, byRun);
    const first = ['a', 'b', 'c'].map((id) => group.commit(req(id)));
    await new Promise((r) => setImmediate(r));
    w.flush(); // answers 'a'; ['b', 'c'] goes and fails
    const later = group.commit(req('b')); // the run's next commit, while its first is being retried
    await w.flush();
    expect(await Promise.all([...first, later])).toEqual(['ok', 'ok', 'ok', 'ok']);
    // One statement at a time, retries included: b's retry lands before b's next commit.
    expect(w.statements).toEqual([['a'], ['b', 'c'], ['b'], ['c'], ['b']]);
    expect(w.inFlight).toEqual([0, 0, 0, 0, 0]);
  });

  it('a statement that stalls holds back only its own runs: the others go beside it', async () => {
    // 'stuck' waits on a lock, say, until the test lets it go; the rest answer at once.
    let release = () => {};
    const statements: string[][] = [];
    const write = (reqs: CommitRequest[]) => {
      const ids = reqs.map((r) => r.runId);
      statements.push(ids);
      const answer = ids.map((): CommitOutcome => 'ok');
      return ids.includes('stuck') && statements.length === 1
        ? new Promise<CommitOutcome[]>((resolve) => {
            release = () => resolve(answer);
          })
        : Promise.resolve(answer);
    };
    const group = new GroupCommit(write, byRun);
    const stuck = group.commit(req('stuck'));
    const others = ['a', 'stuck', 'b'].map((id) => group.commit(req(id)));
    expect(await others[0]).toBe('ok');
    expect(await others[2]).toBe('ok');
    // the second commit of 'stuck' waits for its first
    expect(statements).toEqual([['stuck'], ['a', 'b']]);
    release();
    expect(await Promise.all([stuck, others[1]])).toEqual(['ok', 'ok']);
    expect(statements).toEqual([['stuck'], ['a', 'b'], ['stuck']]);
  });

  it('a failed lone commit rejects with the error', async () => {
    const w = writer(() => new Error('connection lost'));
    const group = new GroupCommit(w.write, byRun);
    const done = expect(group.commit(req('a'))).rejects.toThrow('connection lost');
    await w.flush();
    await done;
  });
});
