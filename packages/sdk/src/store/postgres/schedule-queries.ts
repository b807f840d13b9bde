/**
 * The statements behind schedules, named and parameterized (the run-path ones are in queries.ts).
 * Every time comparison takes the engine clock's `now` as a parameter.
 */

/**
 * Inserts a schedule if its workflow type is registered; `created` is 0 when the id is taken.
 * $10–$12: the concurrency key and limit and the priority of the runs it starts.
 */
export const CREATE_SCHEDULE = `
with known as (
  select exists (select 1 from reel.workflow_types where name = $2) as ok
), ins as (
  insert into reel.schedules (id, workflow_type, cron, timezone, input, overlap, paused, next_fire_at, created_at, updated_at,
                              concurrency_key, concurrency_limit, priority)
  select $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12
   where (select ok from known)
  on conflict (id) do nothing
  returning id
)
select (select ok from known) as known, (select count(*) from ins) as created`;

/** `pg` reads SQL null and JSON null alike; `no_input` tells "no input" from a JSON null. */
export const GET_SCHEDULE = `select *, input is null as no_input from reel.schedules where id = $1`;

export const LIST_SCHEDULES = `select *, input is null as no_input from reel.schedules order by id`;

export const SET_SCHEDULE_PAUSED = `
update reel.schedules set paused = $2, next_fire_at = $3, updated_at = $4 where id = $1`;

export const DELETE_SCHEDULE = `delete from reel.schedules where id = $1`;

/**
 * Claims the schedules that have work at `$1`: a due tick, or a buffered tick whose run has closed.
 * SKIP LOCKED: a schedule another worker is firing is left to it, and when that worker commits,
 * `next_fire_at` has moved on, so no tick is seen twice. `previous_open` is whether a run the schedule
 * started is still open, for the overlap policy. Schedules are few, so the OR costs little.
 */
export const CLAIM_DUE_SCHEDULES = `
select s.*, s.input is null as no_input,
       exists (select 1 from reel.workflows w
                where w.workflow_id = any(s.last_workflow_ids) and w.status in ('running', 'parked')) as previous_open
  from reel.schedules s
 where not s.paused
   and (s.next_fire_at <= $1
        or (s.buffered_at is not null
            and not exists (select 1 from reel.workflows w
                             where w.workflow_id = any(s.last_workflow_ids) and w.status in ('running', 'parked'))))
 order by s.next_fire_at nulls first
 limit $2
   for update of s skip locked`;

/** Locks one schedule, waiting for a worker that is firing it: for `trigger`. */
export const LOCK_SCHEDULE = `select *, input is null as no_input from reel.schedules where id = $1 for update`;

/** Moves a claimed schedule on and records the runs it started (newest first). */
export const ADVANCE_SCHEDULE = `
update reel.schedules
   set next_fire_at = $2, buffered_at = $3, last_workflow_ids = $4, last_run_ids = $5, updated_at = $6
 where id = $1`;

export const NEXT_SCHEDULE_AT = `
select min(next_fire_at) as at from reel.schedules where not paused`;
