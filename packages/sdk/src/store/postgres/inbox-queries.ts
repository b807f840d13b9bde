/**
 * The statements on a run's inbox: input in (signals, cancel requests), and the inbox read with its
 * version. The latest run and the store's clock are as in `run-queries.ts`.
 */

/**
 * Inbox insert for the latest run of a workflow id, if it is open; wakes it unless a worker holds it.
 * $6: the store's clock (null: the database's).
 */
export const ENQUEUE = `
with target as (
  select run_id, status from reel.workflows where workflow_id = $1 order by run_seq desc limit 1
), ${bumpInbox('')}, ins as (
  insert into reel.inbox (run_id, kind, name, payload, created_at)
  select run_id, $2, $3, $4, $5 from bumped
  returning run_id
)
select (select status from target) as status,
       (select count(pg_notify('reel_wake', run_id::text)) from ins) as delivered`;

/**
 * The CTE `bumped`: the open run of `target` gets its inbox version bumped, and is made claimable now
 * unless a worker holds it; `condition` narrows it. $5: the engine's now; $6: the store's clock (null:
 * the database's).
 */
export function bumpInbox(condition: string): string {
  return `bumped as (
  update reel.workflows w
     set inbox_version = w.inbox_version + 1, updated_at = $5,
         -- a delayed start (never claimed yet: fencing token 0) keeps its start time
         ready_at = case when w.lease_owner is null and w.status = 'running' and w.fencing_token > 0
                         then coalesce($6::timestamptz, now()) else w.ready_at end
    from target t
   where w.run_id = t.run_id and w.status in ('running', 'parked')${condition}
  returning w.run_id
)`;
}

/** The inbox and its version, read in one snapshot. */
export const READ_INBOX = `
select w.inbox_version, i.id, i.kind, i.name, i.payload
  from reel.workflows w left join reel.inbox i on i.run_id = w.run_id
 where w.run_id = $1
 order by i.id`;
