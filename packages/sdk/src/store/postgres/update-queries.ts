/**
 * The statements on updates: sending one (deduplicated by its id in `reel.updates`), reading where it
 * stands, and recording a validator's rejection. The latest run is as in `run-queries.ts`.
 */
import { bumpInbox } from './inbox-queries.ts';

/**
 * Puts an update in the latest run's inbox, if open and if no update of this id was sent to the
 * workflow id before, registering the id in the same statement. $1 workflow id, $2 update id,
 * $3 name, $4 payload `{ updateId, arg }`, $5 now, $6 the store's clock (null: the database's).
 */
export const SEND_UPDATE = `
with target as (
  select run_id, status from reel.workflows where workflow_id = $1 order by run_seq desc limit 1
), known as (
  select 1 from reel.updates where workflow_id = $1 and update_id = $2
), ${bumpInbox(' and not exists (select 1 from known)')}, registered as (
  -- a concurrent send of the same id inserts nothing here: it looks again and finds it known
  insert into reel.updates (workflow_id, update_id, run_id, created_at)
  select $1, $2, run_id, $5 from bumped
  on conflict do nothing
  returning run_id
), ins as (
  insert into reel.inbox (run_id, kind, name, payload, created_at)
  select run_id, 'update', $3, $4, $5 from registered
  returning run_id
)
select (select status from target) as status, exists (select 1 from known) as known,
       (select count(reel.wake(run_id, type, lease_owner)) from ins join bumped using (run_id)) as delivered`;

/**
 * What `updateState` needs: the rejection, the `update_completed` data, the status of the run that
 * accepted it (by the index `history_updates`), and the latest run's status. No row: never sent.
 */
export const READ_UPDATE = `
select u.rejection,
       (select h.data from reel.history h join reel.workflows w on w.run_id = h.run_id
         where w.workflow_id = $1 and h.type = 'update_completed' and h.data->>'updateId' = $2
         limit 1) as completed,
       (select w.status from reel.history h join reel.workflows w on w.run_id = h.run_id
         where w.workflow_id = $1 and h.type = 'update_accepted' and h.data->>'updateId' = $2
         order by w.run_seq desc limit 1) as accepted_in,
       (select status from reel.workflows where workflow_id = $1 order by run_seq desc limit 1) as latest_status
  from reel.updates u
 where u.workflow_id = $1 and u.update_id = $2`;

/**
 * Records a validator's rejection of update $3 of the leased run's workflow id, fenced by the lease
 * ($1, $2), and wakes the callers waiting on the workflow id's updates.
 */
export const REJECT_UPDATE = `
with rejected as (
  update reel.updates u set rejection = $4
    from reel.workflows w
   where w.run_id = $1 and w.fencing_token = $2 and w.lease_owner is not null
     and u.workflow_id = w.workflow_id and u.update_id = $3
  returning u.workflow_id
)
select count(pg_notify('reel_update', workflow_id)) from rejected`;
