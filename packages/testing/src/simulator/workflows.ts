import { randomUUID } from 'node:crypto';
import {
  CancelledError,
  defineActivity,
  type ParentClosePolicy,
  Saga,
  type WorkflowContext,
} from '@reel/sdk';

// The activities as workflows see them: names and options. Each scenario registers its own
// implementations under these names (`activityRegistry`), which record every attempt as it starts.
const unregistered = (): never => {
  throw new Error('simulator activities run only as registered by a scenario');
};
export const RETRY = { maxAttempts: 4, initialInterval: 100, backoff: 'constant' } as const;
/**
 * Fails its first `failures` attempts. At most two attempts of an account start per 200 ms (`key` is
 * the account's id, a slash, and more), so its attempts are tasks that wait their turn.
 */
export const step = defineActivity(
  async function step(_key: string, _failures: number): Promise<string> {
    return unregistered();
  },
  {
    retry: RETRY,
    startToCloseTimeout: 2000,
    rateLimit: { key: (key: string) => key.slice(0, key.indexOf('/')), limit: 2, per: 200 },
  },
);
/** Outlives its start-to-close timeout on its first `slowAttempts` attempts. */
export const slow = defineActivity(
  async function slow(_key: string, _slowAttempts: number): Promise<string> {
    return unregistered();
  },
  { retry: RETRY, startToCloseTimeout: 300 },
);
/**
 * Books a saga leg; fails for good when `fail`. One leg of a trip at a time (`key` is the trip's id,
 * a slash, the leg), so its attempts are tasks and the second of the saga's two legs at once waits
 * for the first's slot.
 */
export const book = defineActivity(
  async function book(_key: string, _fail: boolean): Promise<string> {
    return unregistered();
  },
  {
    retry: RETRY,
    startToCloseTimeout: 2000,
    concurrency: { key: (key: string) => key.slice(0, key.lastIndexOf('/')), limit: 1 },
  },
);
export const unbook = defineActivity(
  async function unbook(_id: string): Promise<string> {
    return unregistered();
  },
  { retry: RETRY, startToCloseTimeout: 2000 },
);
/** Notes an audit; an update's handler runs it. */
export const note = defineActivity(
  async function note(_key: string): Promise<string> {
    return unregistered();
  },
  { retry: RETRY, startToCloseTimeout: 2000 },
);
export const cleanup = defineActivity(
  async function cleanup(_key: string): Promise<string> {
    return unregistered();
  },
  { retry: RETRY, startToCloseTimeout: 2000 },
);

export interface AccountInput {
  balance: number;
  target: number;
  /** Failures of each step's first attempts (`RETRY.maxAttempts` or more fails the step for good). */
  fail: number[];
  waitMs: number;
  gen: number;
  maxGen: number;
  /** Start a `notify` child (abandoned) before waiting; its sleep ends about when the wait does. */
  notifyMs: number | null;
}

/** An `audit` update's argument: a negative amount is refused by its validator. */
export interface AuditArg {
  id: string;
  n: number;
}

/**
 * Signal handlers, `waitFor` with a timeout, a query, an update, retried activities, a child,
 * continue-as-new: deposits raise the balance; once the steps are done it waits for the target, and
 * continues as new (up to `maxGen` times) when the wait times out. `progress` and `audit` answer how
 * many steps completed (`audit` as it began, after an activity of its own).
 */
export async function account(ctx: WorkflowContext, s: AccountInput) {
  let balance = s.balance;
  let done = 0;
  ctx.onQuery('progress', () => ({ done }));
  ctx.onUpdate<AuditArg>(
    'audit',
    async (a) => {
      const seen = done;
      return { done: seen, ref: await ctx.activity(note, `${ctx.info.workflowId}/${a.id}`) };
    },
    {
      validate: (a) => {
        if (a.n < 0) throw new Error(`audit ${a.id}: a negative amount`);
      },
    },
  );
  ctx.onSignal<{ n: number }>('deposit', (d) => {
    balance += d.n;
  });
  for (let i = 0; i < s.fail.length; i++) {
    await ctx.activity(step, `${ctx.info.workflowId}/${s.gen}/${i}`, s.fail[i] ?? 0);
    done++;
  }
  if (s.notifyMs !== null) await ctx.startChild(notify, { ms: s.notifyMs }, { parentClosePolicy: 'abandon' });
  const rich = await ctx.waitFor(() => balance >= s.target, { timeout: s.waitMs });
  if (!rich && s.gen < s.maxGen) return ctx.continueAsNew({ ...s, balance, gen: s.gen + 1 });
  return { balance, gen: s.gen };
}

/** A value from outside the run, read once (`ctx.sideEffect`), reported after a sleep. */
export async function notify(ctx: WorkflowContext, n: { ms: number }) {
  const ticket = await ctx.sideEffect(() => randomUUID());
  await ctx.sleep(n.ms);
  return { sent: ticket };
}

export interface KidInput {
  ms: number;
  key: string;
  /** Continues as new after its sleep this many times (a child whose run changes under its parent). */
  hops?: number;
}

export interface FamilyInput {
  policy: ParentClosePolicy;
  childMs: number;
  sleepMs: number;
  /** Start one more child at the end, without awaiting it. */
  detached: boolean;
}

/**
 * Children: one left running under `policy` when the parent closes, one awaited, one started and
 * not awaited just before returning; cleanup in `ctx.uncancellable` when cancelled.
 */
export async function family(ctx: WorkflowContext, f: FamilyInput) {
  const id = ctx.info.workflowId;
  await ctx.startChild(
    kid,
    { ms: f.childMs * 3, key: `${id}/held`, hops: 1 },
    { parentClosePolicy: f.policy },
  );
  const r = await ctx.child(kid, { ms: f.childMs, key: `${id}/awaited` });
  try {
    await ctx.sleep(f.sleepMs);
  } catch (err) {
    if (err instanceof CancelledError) await ctx.uncancellable(() => ctx.activity(cleanup, id));
    throw err;
  }
  if (f.detached)
    void ctx.startChild(kid, { ms: f.childMs, key: `${id}/detached` }, { parentClosePolicy: 'abandon' });
  return { r };
}

/** Sleeps, continuing as new after each sleep `hops` times, then runs a step. */
export async function kid(ctx: WorkflowContext, k: KidInput) {
  try {
    await ctx.sleep(k.ms);
    if (k.hops) return ctx.continueAsNew({ ...k, hops: k.hops - 1 });
    return await ctx.activity(step, k.key, 0);
  } catch (err) {
    if (err instanceof CancelledError) await ctx.uncancellable(() => ctx.activity(cleanup, k.key));
    throw err;
  }
}

export interface TripInput {
  legs: number;
  /** The leg whose booking fails for good (none if >= legs). */
  failAt: number;
  slowAttempts: number;
}

/** A saga over `ctx.map` (two legs at a time), then an activity that may time out. */
export async function trip(ctx: WorkflowContext, t: TripInput) {
  const id = ctx.info.workflowId;
  const saga = new Saga(ctx);
  return saga.run(async () => {
    const legs = Array.from({ length: t.legs }, (_, i) => i);
    const booked = await ctx.map(
      legs,
      async (i) => {
        const ref = await ctx.activity(book, `${id}/${i}`, i === t.failAt);
        saga.add(() => ctx.activity(unbook, ref));
        return ref;
      },
      { concurrency: 2 },
    );
    await ctx.activity(slow, `${id}/slow`, t.slowAttempts);
    return booked;
  });
}

export interface WaiterInput {
  timeoutMs: number;
  sleepMs: number;
  slowAttempts: number;
}

/** A signal with a timeout, a sleep, an activity that may time out; uncancellable cleanup. */
export async function waiter(ctx: WorkflowContext, w: WaiterInput) {
  const id = ctx.info.workflowId;
  try {
    const go = await ctx.signal<{ id: string }>('go', { timeout: w.timeoutMs });
    await ctx.sleep(w.sleepMs);
    const r = await ctx.activity(slow, `${id}/slow`, w.slowAttempts);
    return { go: go?.id ?? null, r };
  } catch (err) {
    if (err instanceof CancelledError)
      await ctx.uncancellable(async () => {
        await ctx.activity(cleanup, id);
        await ctx.sleep(100);
      });
    throw err;
  }
}

/** Every workflow the simulator runs, by type. */
export const simWorkflows = { account, notify, family, kid, trip, waiter };
export type SimWorkflowType = keyof typeof simWorkflows;
