/**
 * Fills a migrated Reel database with closed runs and their history in SQL (generate_series), row
 * for row as the engine writes them: a `workflow_started` with the input, then activities scheduled
 * and completed in turn, then the close, each event's `data` shaped as `PostgresCommits` stores it.
 * Closes are spread evenly over `days` days from `from`, and inserted in that order, so the heap is
 * laid out by time as a live database's is.
 */
import type pg from 'pg';

/** Activity names the filled runs call, in turn. */
const ACTIVITIES = ['reserveStock', 'chargeCard', 'createShipment', 'sendReceipt'];
/** Workflow types of the filled runs; the live workload uses types of its own. */
export const FILLED_TYPES = ['order', 'refund', 'signup', 'report'];

/**
 * One statement: runs $1..$2 (a chunk of numbers), closed $4 ms apart from $3, with $5 events each;
 * one in 50 failed, one in 10 with attributes. Each run took 2 s, its events 200 ms apart.
 */
const FILL_CLOSED = `
with runs as (
  select gen_random_uuid() as run_id, n, ($6::text[])[1 + n % cardinality($6::text[])] as type,
         $3::timestamptz + (n - $1) * $4::float8 * interval '1 millisecond' as closed_at,
         json_build_object('orderId', 'order-' || n, 'customer', 'c-' || n % 10000,
                           'items', json_build_array(json_build_object('sku', 'sku-' || n % 500, 'qty', 1 + n % 3)),
                           'amount', (n % 997) * 1.5) as input,
         n % 50 = 0 as failed
    from generate_series($1::bigint, $2::bigint) n
), runs_in as (
  insert into reel.workflows (run_id, workflow_id, type, status, input, result, error, history_length,
                              created_at, updated_at, closed_at, attributes)
  select run_id, type || '-' || n, type, case when failed then 'failed' else 'completed' end, input,
         case when not failed then json_build_object('receipt', md5(n::text), 'charged', true) end,
         case when failed then json_build_object('name', 'CardDeclined', 'message', 'card declined',
                                                 'code', 'DECLINED') end,
         $5, closed_at - interval '2 seconds', closed_at, closed_at,
         case when n % 10 = 0 then jsonb_build_object('customer', 'c-' || n % 10000) end
    from runs
)
insert into reel.history (run_id, seq, type, data, at)
select r.run_id, s,
       case when s = 0 then 'workflow_started'
            when s = $5 - 1 then case when r.failed then 'workflow_failed' else 'workflow_completed' end
            when s % 2 = 1 then 'activity_scheduled'
            else 'activity_completed' end,
       case when s = 0 then json_build_object('workflowType', r.type, 'input', r.input)
            when s = $5 - 1 then
              case when r.failed then json_build_object('error', json_build_object(
                     'name', 'CardDeclined', 'message', 'card declined', 'code', 'DECLINED'))
                   else json_build_object('result', json_build_object('receipt', md5(r.n::text), 'charged', true)) end
            when s % 2 = 1 then json_build_object('cmd', (s - 1) / 2, 'name', ($7::text[])[1 + (s - 1) / 2 % cardinality($7::text[])],
                                                  'args', json_build_array(r.input -> 'orderId', r.input -> 'amount'))
            else json_build_object('cmd', (s - 2) / 2, 'result', json_build_object('ok', true, 'ref', md5(r.n::text || s))) end,
       r.closed_at - interval '2 seconds' + s * interval '200 milliseconds'
  from runs r, generate_series(0, $5 - 1) s
 order by r.n, s`;

/**
 * Open runs asleep on a timer (ready a day after `$3`), of the live types `$4`: what a live database
 * holds besides its closed runs. Three events each: started, an activity done, the timer.
 */
const FILL_SLEEPING = `
with runs as (
  select gen_random_uuid() as run_id, n, ($4::text[])[1 + n % cardinality($4::text[])] as type
    from generate_series(1, $1::bigint) n
), runs_in as (
  insert into reel.workflows (run_id, workflow_id, type, status, input, ready_at, history_length, created_at, updated_at)
  select run_id, 'sleeping-' || $2::text || '-' || n, type, 'running', json_build_object('n', n),
         $3::timestamptz + interval '1 day', 3, $3, $3
    from runs
)
insert into reel.history (run_id, seq, type, data, at)
select r.run_id, s,
       (array['workflow_started', 'activity_completed', 'timer_started'])[s + 1],
       (array[json_build_object('workflowType', r.type, 'input', json_build_object('n', r.n)),
              json_build_object('cmd', 0, 'result', json_build_object('ok', true)),
              json_build_object('cmd', 1, 'fireAt', $3::timestamptz + interval '1 day')])[s + 1],
       $3
  from runs r, generate_series(0, 2) s`;

export interface FillPlan {
  /** Closed runs to insert, numbered from `first`. */
  runs: number;
  first: number;
  /** Events per closed run (at least 2: started and the close). */
  events: number;
  /** The first close; the others follow evenly over `days` days. */
  from: Date;
  days: number;
  /** Runs per statement. */
  chunk: number;
  onChunk?: (done: number) => void;
}

/** Inserts the closed runs of `plan`, a chunk per statement (each its own transaction). */
export async function fillClosed(db: pg.ClientBase, plan: FillPlan): Promise<void> {
  const stepMs = (plan.days * 86_400_000) / plan.runs;
  for (let done = 0; done < plan.runs; done += plan.chunk) {
    const lo = plan.first + done;
    const hi = Math.min(plan.first + plan.runs, lo + plan.chunk) - 1;
    const from = new Date(plan.from.getTime() + done * stepMs);
    await db.query(FILL_CLOSED, [lo, hi, from, stepMs, plan.events, FILLED_TYPES, ACTIVITIES]);
    plan.onChunk?.(hi - plan.first + 1);
  }
}

/** Inserts `count` open runs of `types`, sleeping until a day after `now`. */
export async function fillSleeping(
  db: pg.ClientBase,
  count: number,
  types: string[],
  now: Date,
): Promise<void> {
  if (count > 0) await db.query(FILL_SLEEPING, [count, String(now.getTime()), now, types]);
}
