/**
 * The task-queue statements (`reel.tasks`), named and parameterized. Each is one statement, so one
 * round trip and one transaction. Claims are timed by the store's clock, a parameter that is null in
 * production: `coalesce($n::timestamptz, now())` is then the database's clock (see queries.ts).
 */

import { readyOnInput } from './statements.ts';

/**
 * Enqueues an activity attempt, fenced by the run's lease. Nothing is inserted when this attempt is
 * already queued (`on conflict`, older attempts only are replaced) or its result already waits in the
 * inbox (a worker that takes a run over re-enqueues what it cannot know was queued). Replacing bumps
 * `claim`, so a worker still running the older attempt loses its claim. An attempt available from
 * no later than the enqueue's `now` ($10) is claimable at once by the store's clock ($11; null: the database's).
 * Its priority ($13) defaults to its run's; $14–$18 are its limits (docs/flow-control.md).
 */
export const ENQUEUE_TASK = `
with fence as (
  select run_id, priority from reel.workflows
   where run_id = $1 and fencing_token = $2 and lease_owner is not null
), ins as (
  insert into reel.tasks (run_id, cmd, attempt, name, args, queue, available_at, ready_at, last_heartbeat, created_at,
                          trace, priority, concurrency_key, concurrency_limit, rate_key, rate_limit, rate_per_ms)
  select $1, $3, $4, $5, $6, $7, $8,
         case when $8::timestamptz <= $10::timestamptz then coalesce($11::timestamptz, now()) else $8 end, $9, $10,
         $12, coalesce($13::smallint, fence.priority), $14, $15, $16, $17, $18
    from fence
   where not exists (select 1 from reel.inbox i
                      where i.run_id = $1 and i.kind = 'activity_result'
                        and (i.payload ->> 'cmd')::int = $3 and (i.payload ->> 'attempt')::int = $4)
  on conflict (run_id, cmd) do update
     set attempt = excluded.attempt, name = excluded.name, args = excluded.args, queue = excluded.queue,
         available_at = excluded.available_at, ready_at = excluded.ready_at,
         last_heartbeat = excluded.last_heartbeat, claim = reel.tasks.claim + 1, claimed_by = null,
         created_at = excluded.created_at, trace = excluded.trace, priority = excluded.priority,
         concurrency_key = excluded.concurrency_key, concurrency_limit = excluded.concurrency_limit,
         rate_key = excluded.rate_key, rate_limit = excluded.rate_limit, rate_per_ms = excluded.rate_per_ms,
         rate_turn = null, waiting_for = null
   where reel.tasks.attempt < excluded.attempt
  returning queue
)
select count(pg_notify('reel_task', queue)) as enqueued from ins`;

/** Locks the task of a run's command, if there is one, until the transaction ends (`PostgresTasks.enqueue`). */
export const LOCK_TASK = `select 1 from reel.tasks where run_id = $1 and cmd = $2 for update`;

/**
 * Makes the run's unclaimed tasks that wait out a backoff claimable now ($3; $4 the store's clock,
 * null: the database's), fenced by the run's lease. An update only: a task completed meanwhile stays
 * gone, where an enqueue could queue its attempt again.
 */
export const TASKS_DUE_NOW = `
with due as (
  update reel.tasks k set available_at = $3, ready_at = coalesce($4::timestamptz, now())
    from reel.workflows w
   where w.run_id = $1 and w.fencing_token = $2 and w.lease_owner is not null
     and k.run_id = $1 and k.claimed_by is null and k.available_at > $3
  returning k.queue
)
select count(pg_notify('reel_task', queue)) from due`;

/**
 * Claims claimable tasks of open runs on the given queues and activity names, each for $6 ms, in claim
 * order (priority as for runs), admitting a task with a limit only if its key has a free slot and its
 * rate bucket a token, and giving the others the time they may next be claimed (`reel.claim_tasks`,
 * 0016_activity_limits.sql). SKIP LOCKED lets many task workers claim at once without blocking each
 * other or taking the same task. $5: the store's clock (null: the database's). Measured: 6 to 10 ms for
 * a claim of 10 among 10,000 ready tasks (the function's comment has the comparison).
 */
export const CLAIM_TASKS = `
select t.id, t.claim, w.workflow_id, t.run_id, t.cmd, t.attempt, t.name, t.args, t.queue, t.available_at,
       t.last_heartbeat, t.last_heartbeat is null as no_heartbeat, t.trace
  from reel.claim_tasks($1, $2::text[], $3::text[], $4, coalesce($5::timestamptz, now()), $6::float8)
       with ordinality t
  join reel.workflows w on w.run_id = t.run_id
 order by t.ordinality`;

/**
 * How long, in ms by the store's clock ($3; null: the database's), until a task of an open run on
 * these queues and names is claimable (negative when one is already).
 */
export const NEXT_TASK_IN = `
select ceil(extract(epoch from min(t.ready_at) - coalesce($3::timestamptz, now())) * 1000) as ms
  from reel.tasks t join reel.workflows w on w.run_id = t.run_id
 where t.queue = any($1::text[]) and t.name = any($2::text[]) and w.status in ('running', 'parked')`;

/**
 * Extends held claims to $3 ms from the store's clock ($6; null: the database's); `$4` are heartbeat
 * details (JSON text), `$5` whether each has any. The tasks are locked first in (run_id, cmd) order,
 * the order in which every delete of tasks locks them (`deleteTasks`): in the order of $1, a renewal
 * and such a delete deadlocked (40P01).
 */
export const RENEW_TASKS = `
with locked as (
  select t.id from reel.tasks t join unnest($1::bigint[], $2::int[]) as c(id, claim) on t.id = c.id and t.claim = c.claim
   order by t.run_id, t.cmd
     for update of t
)
update reel.tasks t
   set ready_at = coalesce($6::timestamptz, now()) + $3::float8 * interval '1 millisecond',
       last_heartbeat = case when c.beat then c.details else t.last_heartbeat end
  from unnest($1::bigint[], $2::int[], $4::json[], $5::boolean[]) as c(id, claim, details, beat)
 where t.id in (select id from locked) and t.id = c.id and t.claim = c.claim
returning t.id`;

/**
 * Deletes a claimed task and delivers its outcome to the run's inbox in one statement; as `ENQUEUE`,
 * bumps `inbox_version` and makes the run ready unless a worker holds it. A closed run gets nothing.
 * $5: the store's clock (null: the database's). The run's row is locked before the task, the order
 * of a termination (and of every statement that deletes tasks): the other way round, a completion and
 * its run's termination deadlocked (`sdk/test/lock-order.test.ts`).
 */
export const COMPLETE_TASK = `
with run as (
  select w.run_id from reel.workflows w
   where w.run_id = (select t.run_id from reel.tasks t where t.id = $1)
     for no key update of w
), done as (
  delete from reel.tasks where id = $1 and claim = $2 and (select count(*) from run) >= 0 returning run_id
), bumped as (
  update reel.workflows w
     set inbox_version = w.inbox_version + 1, updated_at = $4,
         ready_at = ${readyOnInput('w', 'coalesce($5::timestamptz, now())')}
    from done d
   where w.run_id = d.run_id and w.status in ('running', 'parked')
  returning w.run_id, w.type, w.lease_owner
), ins as (
  insert into reel.inbox (run_id, kind, name, payload, created_at)
  select run_id, 'activity_result', null, $3, $4 from bumped
)
select (select count(*) from done) as completed,
       (select count(reel.wake(run_id, type, lease_owner)) from bumped) as delivered`;

/**
 * CTEs that delete the tasks of the runs `runs` yields (a FROM item with a `run_id` column, as `r`)
 * that `filter` keeps (over \`reel.tasks t\`), `name` returning their ids. `${name}_locked` locks them
 * first, in (run_id, cmd) order, as a renewal of a worker's tasks (`RENEW_TASKS`) locks them: locked
 * in the order a plan meets them (the order they are stored, over a small table), a renewal and the
 * delete deadlocked (40P01, `sdk/test/lock-order.test.ts`). The delete runs it once before it reads a
 * row, and reaches the tasks as before, by run: through the locked rows, a plan made while the table was
 * small scanned every task (`sdk/test/close-plans.test.ts`).
 */
export const deleteTasks = (name: string, runs: string, filter = 'true') => `${name}_locked as (
  select t.id from reel.tasks t join ${runs} r on t.run_id = r.run_id
   where (${filter}) order by t.run_id, t.cmd for update of t
), ${name} as (
  delete from reel.tasks t using ${runs} r
   where t.run_id = r.run_id and (${filter}) and (select count(*) from ${name}_locked) >= 0 returning t.id
)`;

/** Deletes a run's tasks (of the given commands, or all) and tells their workers to stop them. */
export const DELETE_TASKS = `
with ${deleteTasks('gone', '(select $1::uuid as run_id)', '$2::int[] is null or t.cmd = any($2::int[])')}
select count(pg_notify('reel_task_cancelled', id::text)) as deleted from gone`;

/** The run's tasks a claim passed over for a limit, with the key they wait for. */
export const TASK_WAITS = `
select cmd, case when waiting_for = 'concurrency' then concurrency_key end as concurrency_key,
       case when waiting_for = 'rate' then rate_key end as rate_key
  from reel.tasks where run_id = $1 and waiting_for is not null order by cmd`;
