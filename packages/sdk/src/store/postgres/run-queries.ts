/**
 * The statements on runs as clients see them: start, terminate, describe, list, the registered types,
 * and retention. Like every hot statement of the store (`*-queries.ts`), each is a single statement
 * (data-modifying CTEs), so each is one round trip and one transaction.
 *
 * The latest run of a workflow id is the one with the highest `run_seq`, the one inserted last
 * (0008_run_order.sql), never the latest `created_at`: engine clocks may stand still or disagree.
 *
 * Time: the engine's `now` stamps what a statement writes. What times leases and claims (lease
 * expiries, `ready_at <= now`, "ready now") is the store's clock, passed as a parameter that is null
 * in production: `coalesce($n::timestamptz, now())` is then the database's clock, which no worker's
 * skew can move. The test environment passes its virtual clock's time instead.
 */
import { isOpen, PARENT_FIRST, parentClosePolicy, parentLocked } from './parent-close-policy.ts';
import { readyOnInput } from './statements.ts';
import { deleteTasks } from './task-queries.ts';

/**
 * Idempotent start: returns the latest run with this id (only an open one when $7, "new run", is set),
 * or inserts the run and its first event. $8 delays it; $9–$12 are attributes and the parent link.
 * $13/$14 insert it already leased to a worker of this process for $14 ms (fencing token 1): nobody
 * is woken. $15: the store's clock (null: the database's). A child's start ($10 set) is fenced by its
 * parent's lease ($16), and returns the run started for the same parent command if there is one, open
 * or closed: a parent that starts a child again after a crash never gets a second run. $17/$18: the
 * concurrency key and limit, by which the `admit_to_slot` trigger (0015) admits the run or makes it
 * wait, unclaimable and not notified, for a slot; $19 the priority (null: the parent's, or 0); $20
 * the debounce key and $21 the throttle key (see `flow-queries.ts`).
 */
export const START = `
with existing as (
  select run_id, type, parent_run_id = $10::uuid and parent_cmd = $11::int as of_parent from reel.workflows
   where workflow_id = $1
     and (not $7::boolean or status in ('running', 'parked') or (parent_run_id = $10::uuid and parent_cmd = $11::int))
   order by parent_run_id = $10::uuid and parent_cmd = $11::int desc nulls last, run_seq desc limit 1
), known as (
  select exists (select 1 from reel.workflow_types where name = $3) as ok
), parent_lock as (
  -- shared with other starts, against the parent's close or termination: one that comes first (or
  -- fences the parent out while this waits) leaves nothing held; one that waits for this statement
  -- comes after its child
  select 1 from reel.workflows
   where run_id = $10::uuid and fencing_token = $16::bigint and lease_owner is not null for share
), parent_held as (
  select $10::uuid is null or exists (select 1 from parent_lock) as ok
), ins as (
  insert into reel.workflows (run_id, workflow_id, type, status, input, ready_at, history_length, created_at, updated_at,
                              attributes, parent_run_id, parent_cmd, parent_close_policy, lease_owner, fencing_token,
                              concurrency_key, concurrency_limit, priority, debounce_key, throttle_key)
  select $2, $1, $3, 'running', $4,
         coalesce(coalesce($15::timestamptz, now()) + $14::float8 * interval '1 millisecond', $8::timestamptz,
                  coalesce($15::timestamptz, now())),
         1, $5, $5, $9::jsonb, $10::uuid,
         $11::int, $12::text, $13::text, case when $13 is null then 0 else 1 end, $17::text, $18::int,
         coalesce($19::smallint, (select priority from reel.workflows where run_id = $10::uuid), 0), $20::text,
         $21::text
  where not exists (select 1 from existing) and (select ok from known) and (select ok from parent_held)
  on conflict (workflow_id) where status in ('running', 'parked') do nothing
  returning run_id, slot
), first_event as (
  insert into reel.history (run_id, seq, type, data, at)
  select run_id, 0, 'workflow_started', $6, $5 from ins
)
select (select run_id from ins) as created,
       (select run_id from existing) as existing,
       (select type from existing) as existing_type,
       (select of_parent from existing) as of_parent,
       (select ok from known) as known,
       (select ok from parent_held) as parent_held,
       (select count(reel.wake(run_id, $3, null)) from ins
         where $13 is null and slot is distinct from 'waiting') as notified`;

/**
 * `START` for several starts in one statement (`PostgresRuns` gathers them as `GroupCommit` does
 * commits), one per workflow id, as parallel arrays; a row per start with `START`'s answer, keyed by
 * `workflow_id`. Neither a child nor a start with a concurrency key: the child's insert locks its
 * parent's row (the foreign key) and the key's admission takes a lock of its own, and with several of
 * them in one statement, taken mid-statement and in its order, these could wait in a cycle with a
 * group commit, a lease renewal or another such statement; both go alone, with `START`. Rows are
 * inserted in workflow id order, so two such statements that insert the same ids wait in one order.
 */
export const START_MANY = `
with req as (
  select * from unnest($1::text[], $2::uuid[], $3::text[], $4::json[], $5::timestamptz[], $6::json[], $7::boolean[],
                       $8::timestamptz[], $9::jsonb[], $10::text[], $11::float8[], $12::timestamptz[], $13::smallint[])
    as r(workflow_id, run_id, type, input, now, first, new_run, ready_at, attributes, lease_owner, lease_ms, clock,
         priority)
), checked as (
  select r.*, e.run_id as existing, e.type as existing_type,
         exists (select 1 from reel.workflow_types t where t.name = r.type) as known
    from req r
    left join lateral (
      select w.run_id, w.type from reel.workflows w
       where w.workflow_id = r.workflow_id and (not r.new_run or w.status in ('running', 'parked'))
       order by w.run_seq desc limit 1) e on true
), ins as (
  insert into reel.workflows (run_id, workflow_id, type, status, input, ready_at, history_length, created_at, updated_at,
                              attributes, lease_owner, fencing_token, priority)
  select run_id, workflow_id, type, 'running', input,
         coalesce(coalesce(clock, now()) + lease_ms * interval '1 millisecond', ready_at, coalesce(clock, now())),
         1, now, now, attributes, lease_owner, case when lease_owner is null then 0 else 1 end, coalesce(priority, 0)
    from checked
   where existing is null and known
   order by workflow_id
  on conflict (workflow_id) where status in ('running', 'parked') do nothing
  returning run_id, type, lease_owner
), first_event as (
  insert into reel.history (run_id, seq, type, data, at)
  select c.run_id, 0, 'workflow_started', c.first, c.now from checked c join ins i on i.run_id = c.run_id
), notified as (
  select count(reel.wake(run_id, type, null)) as n from ins where lease_owner is null
)
select c.workflow_id, i.run_id as created, c.existing, c.existing_type, c.known, true as parent_held,
       (select n from notified) as notified
  from checked c left join ins i on i.run_id = c.run_id`;

/**
 * Terminates the latest run of a workflow id if open: appends its last event and bumps the fencing
 * token in one statement, so the worker holding it can write nothing more. Its tasks go too, and
 * their workers are told to stop them, as `DELETE_TASKS` does; its children's parent-close policy
 * follows (`TERMINATED_CHILDREN`). $5: the store's clock (null: the database's).
 */
export const TERMINATE = `
with target as (
  select run_id, status, parent_run_id from reel.workflows where workflow_id = $1 order by run_seq desc limit 1
), ${PARENT_FIRST("(select parent_run_id from target where status in ('running', 'parked'))")}, done as (
  update reel.workflows w
     set status = 'terminated', error = $2::json, closed_at = $3, updated_at = $3, ready_at = null,
         lease_owner = null, fencing_token = w.fencing_token + 1, history_length = w.history_length + 1
    from target t
   where w.run_id = t.run_id and w.status in ('running', 'parked') and ${parentLocked('w')}
  returning w.run_id, w.workflow_id, w.history_length - 1 as seq, w.parent_run_id, w.parent_cmd
), last_event as (
  insert into reel.history (run_id, seq, type, data, at)
  select run_id, seq, 'workflow_terminated', $4::json, $3 from done
), parent as (
  update reel.workflows p
     set inbox_version = p.inbox_version + 1,
         ready_at = ${readyOnInput('p', 'coalesce($5::timestamptz, now())')}
    from done d
   where p.run_id = d.parent_run_id and ${isOpen('p')}
  returning p.run_id, p.type, p.lease_owner, d.parent_cmd
), told_parent as (
  insert into reel.inbox (run_id, kind, payload, created_at)
  select run_id, 'child', json_build_object('cmd', parent_cmd, 'status', 'terminated', 'error', $2::json), $3 from parent
), ${deleteTasks('tasks_gone', 'done')}
select (select status from target) as status, (select run_id from done) as run_id,
       (select count(reel.wake(run_id, type, lease_owner)) from parent) as parent_told,
       (select count(pg_notify('reel_task_cancelled', id::text)) from tasks_gone) as tasks_cancelled,
       (select count(reel.notify_closed(workflow_id, run_id, 'terminated', null, $2::json)) from done) as terminated`;

/**
 * The parent-close policy of run $1, which `TERMINATE` ended, in the same transaction: a statement of
 * its own, whose snapshot sees a child whose start `TERMINATE` waited for (`START`'s `parent_lock`).
 * $2: the engine's now; $3: the store's clock (null: the database's).
 */
const TERMINATE_POLICY = parentClosePolicy(
  '(select run_id from terminated)',
  '$2::timestamptz',
  'coalesce($3::timestamptz, now())',
);

export const TERMINATED_CHILDREN = `
with recursive terminated as (select $1::uuid as run_id)${TERMINATE_POLICY.ctes}
select 1 as applied${TERMINATE_POLICY.notify}`;

export const REGISTER_TYPES = `
insert into reel.workflow_types (name, registered_at) select unnest($1::text[]), $2
on conflict (name) do update set registered_at = excluded.registered_at`;

/**
 * What describe and list read of a run `w`. `pg` reads SQL null and JSON null alike; the flags tell
 * "no input/result" from a JSON null. A child's parent's workflow id comes from the parent's row
 * (null once retention deleted it).
 */
const DESCRIPTION = `w.*, w.input is null as no_input, w.result is null as no_result,
       (select p.workflow_id from reel.workflows p where p.run_id = w.parent_run_id) as parent_workflow_id`;

export const DESCRIBE = `
select ${DESCRIPTION} from reel.workflows w
 where workflow_id = $1 and ($2::uuid is null or run_id = $2)
 order by run_seq desc limit 1`;

/** The runs of workflow id $1, the latest first, at most $2 (the `workflows_latest` index's order). */
export const RUNS_OF = `
select ${DESCRIPTION} from reel.workflows w where workflow_id = $1 order by run_seq desc limit $2`;

/**
 * `list`'s filter on a run `w`: $1 statuses, $2 type, $3 attributes contained, $4–$5 the creation
 * time range, $6 only the latest run of its workflow id: one probe of `workflows_latest` per run
 * looked at. Measured among 100,000 runs: a page of 50 failed ones in 0.3 ms, and with $6 in 22 ms
 * when the 2,000 newest failed runs had all been taken over (2,051 probes).
 */
const LIST_FILTER = `($1::text[] is null or status = any($1))
   and ($2::text is null or type = $2)
   and ($3::jsonb is null or attributes @> $3)
   and ($4::timestamptz is null or created_at >= $4)
   and ($5::timestamptz is null or created_at < $5)
   and (not $6::boolean or not exists (
         select 1 from reel.workflows n where n.workflow_id = w.workflow_id and n.run_seq > w.run_seq))`;

/** Newest first, keyset-paginated on (created_at, run_id): $7–$8 the cursor, $9 the page size. */
export const LIST = `
select ${DESCRIPTION} from reel.workflows w
 where ${LIST_FILTER}
   and ($7::timestamptz is null or (created_at, run_id) < ($7, $8::uuid))
 order by created_at desc, run_id desc
 limit $9`;

/** How many runs `list` would return over all its pages (a batch's dry run). */
export const COUNT_RUNS = `select count(*)::int as n from reel.workflows w where ${LIST_FILTER}`;

/**
 * Retention: deletes up to `$2` runs closed before `$1`, oldest first, with their history (inbox
 * items, queries and tasks go with them by `on delete cascade`); answers how many runs it deleted.
 * Batches closed before `$1` go too (up to `$2`), with the workflows they reached, webhook deliveries
 * done before it (`reel.hook_deliveries`), and the rate buckets idle since (full again: as good as
 * absent). SKIP LOCKED and a small batch keep each statement short, so it never waits on, or holds
 * up, live work. Measured: 24–43 ms per batch of 500 among 200,000 runs
 * (25.8 s before the foreign keys pointing at a run were indexed: 0007_retention_foreign_keys.sql);
 * 231 ms (median) among 1,000,000 runs and their 10,000,000 history rows (bench/at-size.ts).
 */
export const PURGE_CLOSED = `
with done_batches as (
  delete from reel.batches where id in (
    select id from reel.batches
     where closed_at < $1
     order by closed_at
     limit $2
       for update skip locked)
), done_deliveries as (
  delete from reel.hook_deliveries where (hook, delivery_id) in (
    select hook, delivery_id from reel.hook_deliveries
     where done_at < $1
     order by done_at
     limit $2
       for update skip locked)
), idle_buckets as (
  delete from reel.rate_buckets where key in (
    select key from reel.rate_buckets where tat < $1 limit $2 for update skip locked)
), doomed as (
  select run_id from reel.workflows
   where closed_at < $1 and status not in ('running', 'parked')
   order by closed_at
   limit $2
     for update skip locked
), purged as (
  delete from reel.workflows w using doomed d where w.run_id = d.run_id returning w.run_id
), history_gone as (
  delete from reel.history h using purged p where h.run_id = p.run_id
)
select count(*)::int as purged from purged`;
