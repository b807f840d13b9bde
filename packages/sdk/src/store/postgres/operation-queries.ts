/**
 * The statements of operator actions: retry now, and reset (a transaction of several statements,
 * run rarely and by hand, so clarity over round trips). The latest run and the store's clock are as
 * in `run-queries.ts`.
 */
import { parentClosePolicy, tellParentOfSuccessor } from './parent-close-policy.ts';
import { deleteTasks } from './task-queries.ts';

/**
 * Retry now for the latest run of $1, if open: a `retry` inbox item (the holder hears `reel_wake`
 * and reads it; a run no worker holds, parked or waiting, becomes claimable now, by the store's
 * clock $3), and its queued tasks that wait out a backoff become claimable now. $2: the engine's now.
 */
export const RETRY_NOW = `
with target as (
  select run_id, status from reel.workflows where workflow_id = $1 order by run_seq desc limit 1
), bumped as (
  update reel.workflows w
     set inbox_version = w.inbox_version + 1, updated_at = $2,
         -- a delayed start (never claimed yet: fencing token 0) keeps its start time
         ready_at = case when w.lease_owner is null and w.fencing_token > 0 then coalesce($3::timestamptz, now())
                         else w.ready_at end
    from target t
   where w.run_id = t.run_id and w.status in ('running', 'parked')
  returning w.run_id, w.type, w.lease_owner
), ins as (
  insert into reel.inbox (run_id, kind, payload, created_at)
  select run_id, 'retry', null, $2 from bumped
), tasks_due as (
  update reel.tasks k set available_at = $2, ready_at = coalesce($3::timestamptz, now())
    from bumped b
   where k.run_id = b.run_id and k.claimed_by is null and k.available_at > $2
  returning k.queue
)
select (select status from target) as status,
       (select count(reel.wake(run_id, type, lease_owner)) from bumped) as delivered,
       (select count(pg_notify('reel_task', queue)) from tasks_due) as tasks`;

/** The parent of run $1, if any, locked before the run's row (`PARENT_FIRST`): the reset tells it. */
export const LOCK_PARENT = `
select 1 from reel.workflows p
 where p.run_id = (select c.parent_run_id from reel.workflows c where c.run_id = $1) for no key update`;

/** The new run $1 is news to its parent (`tellParentOfSuccessor`). */
export const TELL_PARENT_OF_RESET = `
with ${tellParentOfSuccessor('(select c.parent_run_id from reel.workflows c where c.run_id = $1)')} select 1`;

/** The run to reset, locked: a worker's commit waits for the reset, then finds itself fenced out. */
export const LOCK_RUN = `
select status, history_length from reel.workflows where run_id = $2 and workflow_id = $1 for update`;

export const OPEN_ELSEWHERE = `
select exists (select 1 from reel.workflows
                where workflow_id = $1 and run_id <> $2 and status in ('running', 'parked')) as open`;

/**
 * The new run: $1 old run, $2 new run, $3 the last event kept, $4 the engine's now, $5 the store's
 * clock, $6 the `reset_point` data. Claimable at once, or, with a concurrency key, when admitted as a
 * new start is (after the old run's close freed its slot).
 */
export const INSERT_RESET_RUN = `
with successor as (
  insert into reel.workflows (run_id, workflow_id, type, status, input, ready_at, history_length, created_at,
                              updated_at, attributes, parent_run_id, parent_cmd, parent_close_policy,
                              concurrency_key, concurrency_limit, priority)
  select $2, workflow_id, type, 'running', input, coalesce($5::timestamptz, now()), $3::int + 2, $4, $4,
         attributes, parent_run_id, parent_cmd, parent_close_policy, concurrency_key, concurrency_limit, priority
    from reel.workflows where run_id = $1
  returning run_id
), copied as (
  insert into reel.history (run_id, seq, type, data, at)
  select $2, seq, type, data, at from reel.history where run_id = $1 and seq <= $3
)
insert into reel.history (run_id, seq, type, data, at) select $2, $3::int + 1, 'reset_point', $6::json, $4`;

/**
 * The new run's inbox: the signals the old run recorded after the point, in order; then, if the old
 * run is open ($4), its unread signals, cancel requests and updates.
 */
export const HAND_ON_INBOX = `
insert into reel.inbox (run_id, kind, name, payload, created_at)
select $2, kind, name, payload, created_at from (
  select 0 as part, h.seq::bigint as pos, 'signal' as kind, h.data ->> 'name' as name, h.data -> 'payload' as payload,
         h.at as created_at
    from reel.history h
   where h.run_id = $1 and h.seq > $3 and h.type = 'signal_received'
  union all
  select 1, i.id, i.kind, i.name, i.payload, i.created_at
    from reel.inbox i
   where $4::boolean and i.run_id = $1 and i.kind in ('signal', 'cancel', 'update')
) items
order by part, pos`;

/**
 * The children the kept events scheduled, open or closed (each run of their chains), report to the
 * new run from now on: the new run finds them when it starts them again, and a child that has closed
 * and whose outcome the kept events lack gives it to the new run's inbox, as its close did to the old
 * run. $1 old run, $2 new run, $3 the last event kept, $4 engine now.
 */
export const ADOPT_CHILDREN = `
with kept as (
  select (data ->> 'cmd')::int as cmd from reel.history where run_id = $1 and seq <= $3 and type = 'child_scheduled'
), adopted as (
  update reel.workflows c set parent_run_id = $2
   where c.parent_run_id = $1 and c.parent_cmd in (select cmd from kept)
  returning c.parent_cmd, c.status, c.result, c.error
)
insert into reel.inbox (run_id, kind, payload, created_at)
select $2, 'child', json_build_object('cmd', a.parent_cmd, 'status', a.status, 'result', a.result, 'error', a.error), $4
  from adopted a
 where a.status in ('completed', 'failed', 'cancelled', 'terminated')
   and not exists (select 1 from reel.history h
                    where h.run_id = $1 and h.seq <= $3 and h.type in ('child_completed', 'child_failed')
                      and (h.data ->> 'cmd')::int = a.parent_cmd)`;

/**
 * Closes the open old run $1 as `reset`, first, so the new run may be the workflow id's one open run:
 * its closing event ($5), its lease fenced out, its tasks gone. Its parent is not told: the new run
 * carries the parent link and reports when it closes. $2 new run, $3 engine now.
 */
export const CLOSE_RESET_RUN = `
with closed as (
  update reel.workflows w
     set status = 'reset', reset_to = $2, closed_at = $3, updated_at = $3, ready_at = null, lease_owner = null,
         parked_error = null, fencing_token = w.fencing_token + 1, history_length = w.history_length + 1
   where w.run_id = $1
  returning w.run_id, w.workflow_id, w.history_length - 1 as seq
), last_event as (
  insert into reel.history (run_id, seq, type, data, at) select run_id, seq, 'workflow_reset', $4::json, $3 from closed
), ${deleteTasks('tasks_gone', '(select $1::uuid as run_id)')}
select (select count(pg_notify('reel_task_cancelled', id::text)) from tasks_gone) as tasks_cancelled,
       (select count(reel.notify_closed(workflow_id, run_id, 'reset', null, null)) from closed) as closed`;

/**
 * Last, once the new run has what it takes over: the old run's inbox goes, and its children the new
 * run did not adopt meet their parent-close policy. $2 engine now, $3 store clock.
 */
const RESET_POLICY = parentClosePolicy(
  '(select $1::uuid as run_id)',
  '$2::timestamptz',
  'coalesce($3::timestamptz, now())',
);

export const LEAVE_RESET_RUN = `
with recursive inbox_gone as (
  delete from reel.inbox where run_id = $1
)${RESET_POLICY.ctes}
select 1 as done${RESET_POLICY.notify}`;

/** A closed run that was reset keeps its status and names the run that took over. */
export const MARK_RESET = `update reel.workflows set reset_to = $2, updated_at = $3 where run_id = $1`;

/** Wakes the run that took over, once inserted. */
export const WAKE_RESET_RUN = `select reel.wake(run_id, type, null) from reel.workflows where run_id = $1`;
