/**
 * Every statement on the engine's hot path, named and parameterized, in one place.
 * Each is a single statement (data-modifying CTEs), so each is one round trip and one transaction.
 * The latest run of a workflow id is the one with the highest `run_seq`, the one inserted last
 * (0008_run_order.sql), never the latest `created_at`: engine clocks may stand still or disagree.
 *
 * Time: the engine's `now` stamps what a statement writes. What times leases and claims (lease
 * expiries, `ready_at <= now`, "ready now") is the store's clock, passed as a parameter that is null
 * in production: `coalesce($n::timestamptz, now())` is then the database's clock, which no worker's
 * skew can move. The test environment passes its virtual clock's time instead.
 */

/**
 * The parent-close policy, written once and applied in the statement that closes a run (`CLOSE`,
 * `CONTINUE_AS_NEW`, `TERMINATE`), so that no crash can come between a parent's close and what it
 * does to its children. `closed` names a CTE of the runs the statement closes (column `run_id`). Their
 * open children under `terminate` are terminated, and those children's own children under `terminate`
 * after them, to any depth (`doomed`, recursive); the open children under `requestCancel` of all of
 * these get a cancel request; `abandon` leaves a child alone. `now` stamps what is written; `clock` is
 * the store's clock for "ready now". The select list adds the notifications.
 */
function parentClosePolicy(closed: string, now: string, clock: string): { ctes: string; notify: string } {
  const open = `c.status in ('running', 'parked')`;
  return {
    ctes: `, doomed as (
  select c.run_id from reel.workflows c join ${closed} p on c.parent_run_id = p.run_id
   where c.parent_close_policy = 'terminate' and ${open}
  union
  select c.run_id from reel.workflows c join doomed d on c.parent_run_id = d.run_id
   where c.parent_close_policy = 'terminate' and ${open}
), policy_terminated as (
  update reel.workflows c
     set status = 'terminated', closed_at = ${now}, updated_at = ${now}, ready_at = null, lease_owner = null,
         error = json_build_object('name', 'WorkflowTerminatedError', 'message', 'its parent closed'),
         fencing_token = c.fencing_token + 1, history_length = c.history_length + 1
    from doomed d
   where c.run_id = d.run_id
  returning c.run_id, c.workflow_id, c.history_length - 1 as seq
), policy_terminated_events as (
  insert into reel.history (run_id, seq, type, data, at)
  select run_id, seq, 'workflow_terminated', json_build_object('reason', 'its parent closed'), ${now}
    from policy_terminated
), policy_tasks as (
  delete from reel.tasks t using policy_terminated d where t.run_id = d.run_id returning t.id
), policy_cancelled as (
  update reel.workflows c
     set inbox_version = c.inbox_version + 1,
         ready_at = case when c.lease_owner is null and c.status = 'running' then ${clock} else c.ready_at end
   where c.parent_close_policy = 'requestCancel' and ${open}
     and (c.parent_run_id in (select run_id from ${closed} q) or c.parent_run_id in (select run_id from doomed))
  returning c.run_id
), policy_cancel_items as (
  insert into reel.inbox (run_id, kind, payload, created_at)
  select run_id, 'cancel', to_json('its parent closed'::text), ${now} from policy_cancelled
)`,
    notify: `,
       (select count(pg_notify('reel_closed', workflow_id)) from policy_terminated) as children_terminated,
       (select count(pg_notify('reel_task_cancelled', id::text)) from policy_tasks) as children_tasks,
       (select count(pg_notify('reel_wake', run_id::text)) from policy_cancelled) as children_cancelled`,
  };
}

/**
 * Idempotent start: returns the latest run with this id (only an open one when $7, "new run", is set),
 * or inserts the run and its first event. $8 delays it; $9–$12 are attributes and the parent link.
 * $13/$14 insert it already leased to a worker of this process for $14 ms (fencing token 1): nobody
 * is woken. $15: the store's clock (null: the database's). A child's start ($10 set) is fenced by its
 * parent's lease ($16), and returns the run started for the same parent command if there is one, open
 * or closed: a parent that starts a child again after a crash never gets a second run.
 */
export const START = `
with existing as (
  select run_id, type, parent_run_id = $10::uuid and parent_cmd = $11::int as of_parent from reel.workflows
   where workflow_id = $1
     and (not $7::boolean or status in ('running', 'parked') or (parent_run_id = $10::uuid and parent_cmd = $11::int))
   order by parent_run_id = $10::uuid and parent_cmd = $11::int desc nulls last, run_seq desc limit 1
), known as (
  select exists (select 1 from reel.workflow_types where name = $3) as ok
), parent_held as (
  select $10::uuid is null or exists (select 1 from reel.workflows
                                        where run_id = $10::uuid and fencing_token = $16::bigint
                                          and lease_owner is not null) as ok
), ins as (
  insert into reel.workflows (run_id, workflow_id, type, status, input, ready_at, history_length, created_at, updated_at,
                              attributes, parent_run_id, parent_cmd, parent_close_policy, lease_owner, fencing_token)
  select $2, $1, $3, 'running', $4,
         coalesce(coalesce($15::timestamptz, now()) + $14::float8 * interval '1 millisecond', $8::timestamptz,
                  coalesce($15::timestamptz, now())),
         1, $5, $5, $9::jsonb, $10::uuid,
         $11::int, $12::text, $13::text, case when $13 is null then 0 else 1 end
  where not exists (select 1 from existing) and (select ok from known) and (select ok from parent_held)
  on conflict (workflow_id) where status in ('running', 'parked') do nothing
  returning run_id
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
       (select count(pg_notify('reel_wake', run_id::text)) from ins where $13 is null) as notified`;

/**
 * Inbox insert for the latest run of a workflow id, if it is open; wakes it unless a worker holds it.
 * $6: the store's clock (null: the database's).
 */
export const ENQUEUE = `
with target as (
  select run_id, status from reel.workflows where workflow_id = $1 order by run_seq desc limit 1
), bumped as (
  update reel.workflows w
     set inbox_version = w.inbox_version + 1, updated_at = $5,
         -- a delayed start (never claimed yet: fencing token 0) keeps its start time
         ready_at = case when w.lease_owner is null and w.status = 'running' and w.fencing_token > 0
                         then coalesce($6::timestamptz, now()) else w.ready_at end
    from target t
   where w.run_id = t.run_id and w.status in ('running', 'parked')
  returning w.run_id
), ins as (
  insert into reel.inbox (run_id, kind, name, payload, created_at)
  select run_id, $2, $3, $4, $5 from bumped
  returning run_id
)
select (select status from target) as status,
       (select count(pg_notify('reel_wake', run_id::text)) from ins) as delivered`;

/**
 * Terminates the latest run of a workflow id if open: appends its last event and bumps the fencing
 * token in one statement, so the worker holding it can write nothing more. Its tasks go too, and
 * their workers are told to stop them, as `DELETE_TASKS` does. $5: the store's clock (null: the database's).
 */
const TERMINATE_POLICY = parentClosePolicy(
  '(select run_id from done)',
  '$3::timestamptz',
  'coalesce($5::timestamptz, now())',
);

export const TERMINATE = `
with recursive target as (
  select run_id, status from reel.workflows where workflow_id = $1 order by run_seq desc limit 1
), done as (
  update reel.workflows w
     set status = 'terminated', error = $2::json, closed_at = $3, updated_at = $3, ready_at = null,
         lease_owner = null, fencing_token = w.fencing_token + 1, history_length = w.history_length + 1
    from target t
   where w.run_id = t.run_id and w.status in ('running', 'parked')
  returning w.run_id, w.workflow_id, w.history_length - 1 as seq, w.parent_run_id, w.parent_cmd
), last_event as (
  insert into reel.history (run_id, seq, type, data, at)
  select run_id, seq, 'workflow_terminated', $4::json, $3 from done
), parent as (
  update reel.workflows p
     set inbox_version = p.inbox_version + 1,
         ready_at = case when p.lease_owner is null and p.status = 'running' then coalesce($5::timestamptz, now())
                         else p.ready_at end
    from done d
   where p.run_id = d.parent_run_id and p.status in ('running', 'parked')
  returning p.run_id, d.parent_cmd
), told_parent as (
  insert into reel.inbox (run_id, kind, payload, created_at)
  select run_id, 'child', json_build_object('cmd', parent_cmd, 'status', 'terminated', 'error', $2::json), $3 from parent
  returning run_id
), tasks_gone as (
  delete from reel.tasks t using done d where t.run_id = d.run_id returning t.id
)${TERMINATE_POLICY.ctes}
select (select status from target) as status,
       (select count(pg_notify('reel_wake', run_id::text)) from told_parent) as parent_told,
       (select count(pg_notify('reel_task_cancelled', id::text)) from tasks_gone) as tasks_cancelled,
       (select count(pg_notify('reel_closed', workflow_id)) from done) as terminated${TERMINATE_POLICY.notify}`;

/**
 * Claims runnable runs of the given types, each for a lease of $5 ms; SKIP LOCKED lets many workers
 * claim without blocking. $4: the store's clock (null: the database's, so that a worker whose clock
 * runs ahead cannot take a lease that is still live). Among 400,000 runs of which 200,000 of other
 * types are ready, claiming 10 of the 50 of its type: 73.7 ms walking workflows_ready, 0.6 ms on
 * workflows_ready_by_type (0009), which the planner picks when the types are rare.
 */
export const CLAIM = `
update reel.workflows w
   set lease_owner = $1, fencing_token = w.fencing_token + 1,
       ready_at = coalesce($4::timestamptz, now()) + $5::float8 * interval '1 millisecond'
  from (select run_id, ready_at from reel.workflows
         where ready_at <= coalesce($4::timestamptz, now()) and type = any($2::text[])
         order by ready_at
         limit $3
           for update skip locked) c
 where w.run_id = c.run_id
returning w.workflow_id, w.run_id, w.type, w.fencing_token, w.park_attempts, c.ready_at as ready_since`;

/**
 * How long, in ms by the store's clock ($2; null: the database's), until a run of these types is
 * claimable (negative when one is already; null when none will be without input). One index probe
 * per type (workflows_ready_by_type): `min(ready_at) where type = any($1)` ran as a generic plan
 * that walks workflows_ready past other types' runs, 46 ms among 400,000 runs, this 0.03 ms.
 */
export const NEXT_READY_IN = `
select ceil(extract(epoch from min(m.ready_at) - coalesce($2::timestamptz, now())) * 1000) as ms
  from unnest($1::text[]) t(type),
       lateral (select ready_at from reel.workflows w
                 where w.type = t.type and w.ready_at is not null order by w.ready_at limit 1) m`;

/**
 * The whole history as one JSON array of `[seq, type, data, at]`, parsed once by the client: for
 * 10,000 events, about half the time of 10,000 rows, each parsed on its own. `data` goes in as stored
 * (json_build_array copies json text as it is), and `at` as ISO text (parsing 10,000 Dates to print
 * them again cost as much as the query).
 */
export const LOAD_HISTORY = `
select json_agg(json_build_array(seq, type, data, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                order by seq)::text as events
  from reel.history where run_id = $1`;

/** The inbox and its version, read in one snapshot. */
export const READ_INBOX = `
select w.inbox_version, i.id, i.kind, i.name, i.payload
  from reel.workflows w left join reel.inbox i on i.run_id = w.run_id
 where w.run_id = $1
 order by i.id`;

/**
 * Appends events, consumes inbox items and moves the run's state, fenced by the lease's token, in one
 * statement. If the token no longer matches (another worker claimed the run) nothing is written.
 * $13: extend the lease by that many ms; $16: the store's clock (null: the database's).
 */
const commitWith = (policy: { ctes: string; notify: string }) => `
with recursive fence as (
  update reel.workflows
     set history_length = history_length + cardinality($3::int[]),
         status = coalesce($7::text, 'running'),
         result = $8::json, error = $9::json,
         closed_at = case when $7::text is not null then $6::timestamptz end,
         parked_error = null, park_attempts = 0, updated_at = $6,
         lease_owner = case when $7 is not null or ($10::boolean and inbox_version = $12::bigint) then null else lease_owner end,
         ready_at = case when $7 is not null then null
                         when $10 and inbox_version = $12 then $11::timestamptz
                         else coalesce(coalesce($16::timestamptz, now()) + $13::float8 * interval '1 millisecond',
                                       ready_at) end
   where run_id = $1 and fencing_token = $2 and lease_owner is not null
     and history_length = coalesce(($3::int[])[1], history_length) -- events continue the history exactly
     and ($7::text is null or inbox_version = $12::bigint) -- a run never closes over unread input
  returning run_id, workflow_id, lease_owner is null as released, parent_run_id, parent_cmd
), appended as (
  insert into reel.history (run_id, seq, type, data, at)
  select $1, e.seq, e.type, e.data, e.at
    from unnest($3::int[], $4::text[], $5::json[], $14::timestamptz[]) as e(seq, type, data, at)
   where exists (select 1 from fence)
), consumed as (
  delete from reel.inbox where run_id = $1 and id = any($15::bigint[]) and exists (select 1 from fence)
), parent as (
  -- A closing child tells its parent, through the parent's inbox, if the parent is still open.
  update reel.workflows p
     set inbox_version = p.inbox_version + 1,
         ready_at = case when p.lease_owner is null and p.status = 'running' then coalesce($16::timestamptz, now())
                         else p.ready_at end
    from fence f
   where $7::text is not null and p.run_id = f.parent_run_id
     -- "open" spelled so that it cannot match the partial index workflows_open_id, which a stale
     -- estimate once made the planner scan, every open run, on every commit
     and p.status not in ('completed', 'failed', 'cancelled', 'terminated', 'continued')
  returning p.run_id, f.parent_cmd
), told_parent as (
  insert into reel.inbox (run_id, kind, payload, created_at)
  select run_id, 'child', json_build_object('cmd', parent_cmd, 'status', $7::text, 'result', $8::json, 'error', $9::json), $6
    from parent
  returning run_id
)${policy.ctes}
select (select released from fence) as released,
       (select count(pg_notify('reel_wake', run_id::text)) from told_parent) as parent_told,
       (select count(*) from fence) as fenced,
       (select history_length from reel.workflows
         where run_id = $1 and fencing_token = $2 and lease_owner is not null) as held_length,
       (select inbox_version from reel.workflows
         where run_id = $1 and fencing_token = $2 and lease_owner is not null) as held_inbox_version,
       (select count(pg_notify('reel_closed', workflow_id)) from fence where $7 is not null) as notified${policy.notify}`;

export const COMMIT = commitWith({ ctes: '', notify: '' });

/** `COMMIT` that closes the run: the same statement, with its children's parent-close policy applied. */
export const CLOSE = commitWith(
  parentClosePolicy(
    '(select run_id from fence where $7::text is not null)',
    '$6::timestamptz',
    'coalesce($16::timestamptz, now())',
  ),
);

/**
 * `COMMIT` for several runs in one statement (group commit): each appends its events, consumes inbox
 * items and moves its run's state, fenced by its lease's token; a run whose token no longer matches
 * (another worker claimed it) writes nothing. It does not close a child workflow or a parent with open
 * children (`alone`): closing one updates its parent's or its children's rows, which may be runs of
 * the same statement, and a statement cannot update a row twice; the store then writes that commit
 * alone, with `CLOSE`. $1–$12 and $19: one
 * element per run ($11 a lease extension in ms, $19 the store's clock: null for the database's);
 * $13–$17: the events of all of them; $18: the inbox ids they consumed. Arrays, not a JSON
 * document: JSON functions cannot read a \u0000 in a string, which a payload may hold. One row per run.
 */
export const COMMIT_MANY = `
with req as (
  select * from unnest($1::uuid[], $2::bigint[], $3::int[], $4::int[], $5::text[], $6::json[], $7::json[],
                       $8::boolean[], $9::bigint[], $10::timestamptz[], $11::float8[], $12::timestamptz[],
                       $19::timestamptz[])
    as r(run_id, token, first_seq, n, status, result, error, release, inbox_version, ready_at, lease_ms, now, clock)
), fence as (
  update reel.workflows w
     set history_length = w.history_length + r.n,
         status = coalesce(r.status, 'running'),
         result = r.result, error = r.error,
         closed_at = case when r.status is not null then r.now end,
         parked_error = null, park_attempts = 0, updated_at = r.now,
         lease_owner = case when r.status is not null or (r.release and w.inbox_version = r.inbox_version)
                            then null else w.lease_owner end,
         ready_at = case when r.status is not null then null
                         when r.release and w.inbox_version = r.inbox_version then r.ready_at
                         else coalesce(coalesce(r.clock, now()) + r.lease_ms * interval '1 millisecond', w.ready_at) end
    from req r
   where w.run_id = any($1::uuid[]) -- lets the planner use the primary key (it guesses 100 rows for unnest)
     and w.run_id = r.run_id and w.fencing_token = r.token and w.lease_owner is not null
     and w.history_length = coalesce(r.first_seq, w.history_length) -- events continue the history exactly
     and (r.status is null or (w.parent_run_id is null and w.inbox_version = r.inbox_version
                                and not exists (select 1 from reel.workflows c
                                                 where c.parent_run_id = w.run_id and c.status in ('running', 'parked'))))
  returning w.run_id, w.workflow_id, w.lease_owner is null as released, r.status
), appended as (
  insert into reel.history (run_id, seq, type, data, at)
  select e.run_id, e.seq, e.type, e.data, e.at
    from unnest($13::uuid[], $14::int[], $15::text[], $16::json[], $17::timestamptz[]) as e(run_id, seq, type, data, at)
   where e.run_id in (select run_id from fence)
), consumed as (
  delete from reel.inbox where id = any($18::bigint[]) and run_id in (select run_id from fence)
), notified as (
  select count(pg_notify('reel_closed', workflow_id)) as n from fence where status is not null
)
select r.run_id, f.run_id is not null as fenced, f.released, w.history_length as held_length,
       w.inbox_version as held_inbox_version,
       r.status is not null
         and (w.parent_run_id is not null
              or exists (select 1 from reel.workflows c
                          where c.parent_run_id = w.run_id and c.status in ('running', 'parked'))) as alone,
       (select n from notified) as notified
  from req r
  left join fence f on f.run_id = r.run_id
  left join reel.workflows w on w.run_id = any($1::uuid[])
        and w.run_id = r.run_id and w.fencing_token = r.token and w.lease_owner is not null`;

/**
 * Closes a run as `continued` (appending its last events) and starts its successor under the same
 * workflow id, carrying over attributes, the parent link, and the signals and cancel requests the run
 * never read (nothing else: a successor inherits no child's outcome), in one fenced statement. The
 * successor is claimable at once: $12 is the store's clock (null: the database's).
 */
const CONTINUE_POLICY = parentClosePolicy(
  '(select $1::uuid as run_id from old)',
  '$6::timestamptz',
  'coalesce($12::timestamptz, now())',
);

export const CONTINUE_AS_NEW = `
with recursive old as (
  update reel.workflows
     set status = 'continued', result = $7::json, closed_at = $6, updated_at = $6, ready_at = null,
         lease_owner = null, history_length = history_length + cardinality($3::int[])
   where run_id = $1 and fencing_token = $2 and lease_owner is not null
     and history_length = coalesce(($3::int[])[1], history_length)
     and inbox_version = $13::bigint -- input that came since goes to the successor: retried with it
  returning workflow_id, type, attributes, parent_run_id, parent_cmd, parent_close_policy
), appended as (
  insert into reel.history (run_id, seq, type, data, at)
  select $1, e.seq, e.type, e.data, e.at
    from unnest($3::int[], $4::text[], $5::json[], $10::timestamptz[]) as e(seq, type, data, at)
   where exists (select 1 from old)
), successor as (
  insert into reel.workflows (run_id, workflow_id, type, status, input, ready_at, history_length, created_at, updated_at,
                              attributes, parent_run_id, parent_cmd, parent_close_policy)
  select $8, workflow_id, type, 'running', $9::json, coalesce($12::timestamptz, now()), 1, $6, $6, attributes,
         parent_run_id, parent_cmd, parent_close_policy
    from old
  returning run_id, type
), first_event as (
  insert into reel.history (run_id, seq, type, data, at)
  select run_id, 0, 'workflow_started',
         case when $9::json is null then json_build_object('workflowType', type)
              else json_build_object('workflowType', type, 'input', $9::json) end, $6
    from successor
), gone as (
  -- the old run's inbox empties: what it read, what concerned only it (its children's outcomes, its
  -- tasks' results), and the signals and cancel requests it never read, which move to its successor
  delete from reel.inbox where run_id = $1 and exists (select 1 from successor)
  returning id, kind, name, payload, created_at, id = any($11::bigint[]) as read
), handed_on as (
  -- first the signals the old run received and its code never took ($14, $15), then the unread
  -- signals and cancel requests of its inbox, in order of arrival
  insert into reel.inbox (run_id, kind, name, payload, created_at)
  select $8, kind, name, payload, created_at from (
    select 0 as part, c.ord as pos, 'signal' as kind, c.name, c.payload, $6::timestamptz as created_at
      from unnest($14::text[], $15::json[]) with ordinality as c(name, payload, ord)
     where exists (select 1 from successor)
    union all
    select 1, g.id, g.kind, g.name, g.payload, g.created_at from gone g
     where not g.read and g.kind in ('signal', 'cancel')
  ) h
  order by part, pos
)${CONTINUE_POLICY.ctes}
select (select count(pg_notify('reel_wake', run_id::text)) from successor) as started,
       (select inbox_version from reel.workflows
         where run_id = $1 and fencing_token = $2 and lease_owner is not null) as held_inbox_version${CONTINUE_POLICY.notify}`;

export const PARK = `
update reel.workflows
   set status = 'parked', parked_error = $3, park_attempts = park_attempts + 1,
       ready_at = $5, lease_owner = null, updated_at = $4
 where run_id = $1 and fencing_token = $2 and lease_owner is not null`;

/** Extends held leases to $2 ms from the store's clock ($4; null: the database's). */
export const RENEW = `
update reel.workflows w set ready_at = coalesce($4::timestamptz, now()) + $2::float8 * interval '1 millisecond'
  from unnest($1::uuid[], $3::bigint[]) as l(run_id, token)
 where w.run_id = l.run_id and w.fencing_token = l.token and w.lease_owner is not null
returning w.run_id`;

export const HEARTBEAT = `
insert into reel.workers (id, types, heartbeat_at) values ($1, $2, $3)
on conflict (id) do update set types = excluded.types, heartbeat_at = excluded.heartbeat_at`;

export const REMOVE_WORKER = `delete from reel.workers where id = $1`;

/** Posts a query to the latest run of a workflow id, if a live worker serves its type. */
export const POST_QUERY = `
with target as (
  select run_id, type from reel.workflows where workflow_id = $1 order by run_seq desc limit 1
), served as (
  select exists (select 1 from reel.workers w, target t where t.type = any(w.types) and w.heartbeat_at > $5) as ok
), ins as (
  insert into reel.queries (run_id, type, name, args, created_at)
  select run_id, type, $2, $3, $4 from target where (select ok from served)
  returning id, run_id
)
select (select run_id from target) as run_id, (select ok from served) as served, (select id from ins) as id,
       (select count(pg_notify('reel_query', run_id || ':' || id)) from ins) as notified`;

export const CLAIM_QUERY = `
update reel.queries q set claimed_by = $2
  from reel.workflows w
 where q.id = $1 and q.claimed_by is null and q.type = any($3::text[]) and w.run_id = q.run_id
returning q.run_id, w.workflow_id, q.type, q.name, q.args`;

export const ANSWER_QUERY = `
with answered as (
  update reel.queries set answered_at = $2, result = $3, error = $4 where id = $1 returning id
)
select count(pg_notify('reel_query_answered', id::text)) from answered`;

export const READ_QUERY = `select answered_at, result, result is null as no_result, error from reel.queries where id = $1`;

export const DELETE_QUERY = `delete from reel.queries where id = $1`;

export const REGISTER_TYPES = `
insert into reel.workflow_types (name, registered_at) select unnest($1::text[]), $2
on conflict (name) do update set registered_at = excluded.registered_at`;

/** `pg` reads SQL null and JSON null alike; the flags tell "no input/result" from a JSON null. */
export const DESCRIBE = `
select *, input is null as no_input, result is null as no_result from reel.workflows
 where workflow_id = $1 and ($2::uuid is null or run_id = $2)
 order by run_seq desc limit 1`;

/** Newest first, keyset-paginated on (created_at, run_id). */
export const LIST = `
select *, input is null as no_input, result is null as no_result from reel.workflows
 where ($1::text[] is null or status = any($1))
   and ($2::text is null or type = $2)
   and ($3::timestamptz is null or (created_at, run_id) < ($3, $4::uuid))
   and ($6::jsonb is null or attributes @> $6)
 order by created_at desc, run_id desc
 limit $5`;

/**
 * Retention: deletes up to `$2` runs closed before `$1`, oldest first; history, inbox and queries go
 * with them (on delete cascade). SKIP LOCKED and a small batch keep each statement short, so it
 * never waits on, or holds up, live work. Measured: 24–43 ms per batch of 500 among 200,000 runs
 * (25.8 s before the foreign keys pointing at a run were indexed: 0007_retention_foreign_keys.sql).
 */
export const PURGE_CLOSED = `
with doomed as (
  select run_id from reel.workflows
   where closed_at < $1 and status not in ('running', 'parked')
   order by closed_at
   limit $2
     for update skip locked
)
delete from reel.workflows w using doomed d where w.run_id = d.run_id`;
