/**
 * The statements on live workers (their heartbeats and the types they serve) and on the queries posted
 * to them: posted for a live worker serving the run's type, claimed by one, answered, read, deleted.
 */

export const HEARTBEAT = `
insert into reel.workers (id, types, heartbeat_at) values ($1, $2, $3)
on conflict (id) do update set types = excluded.types, heartbeat_at = excluded.heartbeat_at`;

export const REMOVE_WORKER = `delete from reel.workers where id = $1`;

/**
 * Wakes passed on by a worker that could not claim their runs: the payload $1 to the workers $2 (the
 * next two it names, as `reel.wake` sends to the first two).
 */
export const PASS_WAKE = `select count(pg_notify(reel.wake_channel(w), $1)) from unnest($2::text[]) w`;

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

export const UNCLAIMED_QUERIES = `
select id::text, run_id from reel.queries where claimed_by is null and type = any($1::text[]) order by id limit 100`;

export const ANSWER_QUERY = `
with answered as (
  update reel.queries set answered_at = $2, result = $3, error = $4 where id = $1 returning id
)
select count(pg_notify('reel_query_answered', id::text)) from answered`;

export const READ_QUERY = `select answered_at, result, result is null as no_result, error from reel.queries where id = $1`;

export const DELETE_QUERY = `delete from reel.queries where id = $1`;
