/**
 * The statements on a run's inbox: input in (signals, cancel requests), and the inbox read with its
 * version. The latest run and the store's clock are as in `run-queries.ts`.
 */

import { readyOnInput } from './statements.ts';

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
)
select (select status from target) as status,
       (select count(reel.wake(run_id, type, lease_owner)) from bumped) as delivered`;

/**
 * The CTE `bumped`: the open run of `target` gets its inbox version bumped, and is made claimable now
 * unless a worker holds it; `condition` narrows it. $5: the engine's now; $6: the store's clock (null:
 * the database's).
 */
export function bumpInbox(condition: string): string {
  return `bumped as (
  update reel.workflows w
     set inbox_version = w.inbox_version + 1, updated_at = $5,
         ready_at = ${readyOnInput('w', 'coalesce($6::timestamptz, now())')}
    from target t
   where w.run_id = t.run_id and w.status in ('running', 'parked')${condition}
  returning w.run_id, w.type, w.lease_owner
)`;
}

/** The inbox and its version, read in one snapshot. */
export const READ_INBOX = `
select w.inbox_version, i.id, i.kind, i.name, i.payload
  from reel.workflows w left join reel.inbox i on i.run_id = w.run_id
 where w.run_id = $1
 order by i.id`;

/**
 * The last statement of a `ctx.transaction` step's transaction: its outcome, as a task's outcome is
 * reported (`COMPLETE_TASK`), in the inbox of the run its worker holds. The update is the fence: it
 * matches only while the lease is held, and its row lock keeps a claim or a terminate from moving the
 * token until the transaction ends. Inserts no row (the caller rolls back) when the lease was lost.
 */
export const RECORD_TRANSACTION_OUTCOME = `
with held as (
  update reel.workflows w set inbox_version = w.inbox_version + 1, updated_at = $4
   where w.run_id = $1 and w.fencing_token = $2 and w.lease_owner is not null
  returning w.run_id
)
insert into reel.inbox (run_id, kind, name, payload, created_at)
select run_id, 'activity_result', null, $3::json, $4 from held`;
