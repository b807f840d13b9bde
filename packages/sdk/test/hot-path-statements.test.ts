import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/index.ts';
import { genericPlan, statements } from './store-statements.ts';

/**
 * Every statement of the Postgres store (each SQL text its `*-queries.ts` files export, so a new one
 * cannot escape) reaches the rows of a run through its run id or workflow id, or is a known fan-out,
 * listed below with why: the property that would let the store's tables be split by run
 * (docs/scaling.md). The check reads Postgres's own generic plan of each statement: each scan of a
 * table that has a run_id or workflow_id column must be an index scan (or a bitmap scan) whose
 * conditions equate one of them, ANDed in. Triggers (0015's concurrency slots) are not in a plan.
 */

/**
 * The known fan-outs: the statements that reach rows of runs other than by their key, the tables (and
 * the store's own SQL functions, whose statements a plan does not show) they reach so (a plan may
 * reach fewer of them), and why. docs/scaling.md sorts them by what a split by run would do to them.
 */
const FAN_OUTS: Record<string, { reaches: string[]; why: string }> = {
  // Across runs by design: finding work, listing, retention.
  CLAIM: { reaches: ['reel.claim_candidates()'], why: 'the runnable runs of some types, in claim order' },
  NEXT_READY_IN: { reaches: ['reel.workflows'], why: 'the next runnable run of some types' },
  CLAIM_TASKS: { reaches: ['reel.claim_tasks()'], why: 'the claimable tasks of some queues' },
  NEXT_TASK_IN: { reaches: ['reel.tasks', 'reel.workflows'], why: 'the next claimable task of some queues' },
  UNCLAIMED_QUERIES: { reaches: ['reel.queries'], why: 'the queries no worker took, of some types' },
  LIST: { reaches: ['reel.workflows'], why: 'a page of runs by filter' },
  COUNT_RUNS: { reaches: ['reel.workflows'], why: 'the runs a filter matches (a batch)' },
  PURGE_CLOSED: { reaches: ['reel.workflows'], why: 'retention: the oldest closed runs' },
  GET_BATCH: { reaches: ['reel.batch_runs'], why: 'the workflows a batch reached, counted by batch' },
  CLAIM_BATCH: { reaches: ['reel.batch_runs'], why: 'the workflows a batch reached, counted by batch' },
  DEBOUNCE: { reaches: ['reel.workflows'], why: 'the pending run of a type and debounce key' },
  THROTTLED: { reaches: ['reel.workflows'], why: 'the latest run of a type and throttle key' },
  // A run's children, by their parent's run id.
  COMMIT_MANY: {
    reaches: ['reel.workflows', 'reel.inbox'],
    why: 'whether a closing run has open children; the inbox items read, by their ids, in some plans',
  },
  CLOSE: { reaches: ['reel.workflows'], why: "the parent-close policy: the closing run's children" },
  CONTINUE_AS_NEW: {
    reaches: ['reel.workflows'],
    why: "the parent-close policy: the closing run's children",
  },
  TERMINATED_CHILDREN: {
    reaches: ['reel.workflows'],
    why: "the parent-close policy: the terminated run's children",
  },
  LEAVE_RESET_RUN: { reaches: ['reel.workflows'], why: "the parent-close policy: the reset run's children" },
  ADOPT_CHILDREN: { reaches: ['reel.workflows'], why: "reset: the old run's children" },
  // Rows of one run found by their own id: a split by run would need the run id alongside.
  COMPLETE_TASK: { reaches: ['reel.tasks'], why: 'a task by its id' },
  RENEW_TASKS: { reaches: ['reel.tasks'], why: 'tasks by their ids' },
  CLAIM_QUERY: { reaches: ['reel.queries'], why: 'a query by its id' },
  ANSWER_QUERY: { reaches: ['reel.queries'], why: 'a query by its id' },
  READ_QUERY: { reaches: ['reel.queries'], why: 'a query by its id' },
  DELETE_QUERY: { reaches: ['reel.queries'], why: 'a query by its id' },
  READ_UPDATE: { reaches: ['reel.history'], why: "an update's events by update id (history_updates)" },
};

const db = useTestDatabase();
let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
  await migrate(pool);
  await seed();
});
afterAll(() => pool?.end());

/**
 * Rows in every run-scoped table, analyzed, so that the planner chooses as it would in production:
 * over empty tables, a hash join over a whole index can look as cheap as a probe by key.
 */
async function seed(): Promise<void> {
  await pool.query(`
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, ready_at, closed_at)
    select gen_random_uuid(), 'wf-' || i, 't' || i % 10, case when i % 2 = 0 then 'running' else 'completed' end,
           now(), now(), case when i % 2 = 0 then now() end, case when i % 2 = 1 then now() end
      from generate_series(1, 20000) i;
    insert into reel.history (run_id, seq, type, data, at)
    select w.run_id, s, 'activity_completed', '{}', now() from reel.workflows w, generate_series(0, 4) s;
    insert into reel.inbox (run_id, kind, payload, created_at)
    select run_id, 'signal', '{}', now() from reel.workflows where status = 'running' limit 5000;
    insert into reel.tasks (run_id, cmd, attempt, name, args, queue, available_at, ready_at, created_at)
    select run_id, 1, 1, 'a', '[]', 'default', now(), now(), now() from reel.workflows where status = 'running' limit 5000;
    insert into reel.queries (run_id, type, name, args, created_at)
    select run_id, type, 'q', '[]', now() from reel.workflows where status = 'running' limit 1000;
    insert into reel.updates (workflow_id, update_id, run_id, created_at)
    select workflow_id, 'u', run_id, now() from reel.workflows where status = 'running' limit 1000;
    analyze;`);
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Function Name'?: string;
  Schema?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

/** The conditions ANDed at the top of a plan's condition: `((a = 1) AND (b = 2))` → `a = 1`, `b = 2`. */
function conjuncts(condition: string): string[] {
  const text = condition.trim();
  if (wrapped(text)) return conjuncts(text.slice(1, -1));
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (depth === 0 && text.startsWith(' AND ', i)) {
      parts.push(text.slice(from, i));
      from = i + ' AND '.length;
    }
  }
  parts.push(text.slice(from));
  return parts.length > 1 ? parts.flatMap(conjuncts) : parts;
}

/** Whether the whole text is one parenthesised expression. */
function wrapped(text: string): boolean {
  if (!text.startsWith('(')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    if (depth === 0) return i === text.length - 1;
  }
  return false;
}

/** A condition that keeps a scan to given runs: `run_id = …` or `alias.workflow_id = …`, ANDed in. */
const keyedBy = (...conditions: (string | undefined)[]) =>
  conditions.some(
    (c) => c !== undefined && conjuncts(c).some((part) => /^(\w+\.)?(run_id|workflow_id) = /.test(part)),
  );

/**
 * The run-scoped tables and store functions a plan reaches other than by a run's key: a seq scan, a
 * walk of a whole index, or a scan whose conditions do not name the run.
 */
function unkeyed(node: PlanNode, runTables: Set<string>, out = new Set<string>()): Set<string> {
  const table = node['Relation Name'];
  const type = node['Node Type'];
  if (table && runTables.has(table) && type !== 'ModifyTable') {
    const keyed =
      type === 'Index Scan' || type === 'Index Only Scan'
        ? node['Index Cond'] !== undefined && keyedBy(node['Index Cond'], node.Filter)
        : type === 'Bitmap Heap Scan' && keyedBy(node['Recheck Cond'], node.Filter);
    if (!keyed) out.add(`reel.${table}`);
  }
  if (type === 'Function Scan' && node.Schema === 'reel') out.add(`reel.${node['Function Name']}()`);
  for (const child of node.Plans ?? []) unkeyed(child, runTables, out);
  return out;
}

it('every statement reaches runs by run id or workflow id, or is a listed fan-out', async () => {
  const { rows } = await pool.query(
    `select distinct table_name as t from information_schema.columns
      where table_schema = 'reel' and column_name in ('run_id', 'workflow_id')`,
  );
  const runTables = new Set<string>(rows.map((r) => r.t));
  expect([...runTables]).toEqual(expect.arrayContaining(['workflows', 'history', 'inbox', 'tasks']));

  const all = await statements();
  // The statements a worker and a client send for every workflow are among them.
  for (const name of [
    'START',
    'CLAIM',
    'LOAD_HISTORY',
    'READ_INBOX',
    'COMMIT',
    'COMMIT_MANY',
    'RENEW',
    'ENQUEUE',
  ])
    expect(all.has(name), name).toBe(true);

  const found: Record<string, string[]> = {};
  const client = await pool.connect();
  try {
    // Generic plans, as for a prepared statement of any parameters; a seq scan only where no index serves.
    await client.query('set plan_cache_mode = force_generic_plan; set enable_seqscan = off');
    for (const [name, text] of all) {
      const reaches = [...unkeyed((await genericPlan(client, text)) as PlanNode, runTables)].sort();
      if (reaches.length > 0) found[name] = reaches;
    }
  } finally {
    client.release();
  }
  const problems: string[] = [];
  for (const name of new Set([...Object.keys(found), ...Object.keys(FAN_OUTS)])) {
    const reaches = found[name] ?? [];
    if (reaches.length === 0) problems.push(`${name} is keyed now: take it off FAN_OUTS`);
    for (const r of reaches)
      if (!FAN_OUTS[name]?.reaches.includes(r))
        problems.push(
          `${name} reaches ${r} other than by run id or workflow id: key it, or list it in FAN_OUTS`,
        );
  }
  expect(problems).toEqual([]);
});
