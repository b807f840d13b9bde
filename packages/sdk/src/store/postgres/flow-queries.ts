/**
 * The statements of debounced and throttled starts (docs/flow-control.md); concurrency slots and
 * priority live in the triggers and the claim order of 0015_flow_control.sql.
 */

/**
 * Joins a debounced start to the pending run of its type ($1) and key ($2), the one no worker has
 * claimed yet: its input ($3) and the input its `workflow_started` ($6) records become this start's,
 * and it becomes claimable at $4 instead, or $7 ms after it was created if that comes first. No row
 * when there is none (or a claim took it first: the lock waits for the claim, and the recheck of its
 * fencing token then fails). The caller holds the key's advisory lock, so two starts never both find
 * none and insert two.
 */
export const DEBOUNCE = `
with pending as (
  select run_id from reel.workflows
   where type = $1 and debounce_key = $2 and fencing_token = 0 and status = 'running'
   order by run_seq desc limit 1
     for update
), joined as (
  update reel.workflows w
     set input = $3::json, updated_at = $5,
         ready_at = least($4::timestamptz, w.created_at + $7::float8 * interval '1 millisecond')
    from pending p
   where w.run_id = p.run_id and w.fencing_token = 0
  returning w.run_id, w.workflow_id
), restarted as (
  update reel.history h set data = $6::json, at = $5 from joined j where h.run_id = j.run_id and h.seq = 0
)
select run_id, workflow_id from joined`;

/**
 * The latest run of type $1 and throttle key $2 if it was created less than $4 ms before $3 (engine
 * times, as `created_at` is stamped); no row otherwise. The caller holds the key's advisory lock, so
 * two starts never both find none and insert two. Reads `workflows_throttle`.
 */
export const THROTTLED = `
select run_id, workflow_id from reel.workflows
 where type = $1 and throttle_key = $2 and created_at > $3::timestamptz - $4::float8 * interval '1 millisecond'
 order by created_at desc limit 1`;

/**
 * The advisory lock of a debounce or throttle key ($2) of a type ($1), held until the transaction
 * ends. The two options share it: a key used for both only serializes a little more.
 */
export const LOCK_START_KEY = `select pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))`;
