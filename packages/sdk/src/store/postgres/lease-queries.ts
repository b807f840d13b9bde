/**
 * The statements on leases: claiming runs, how long until one is claimable, renewing held leases,
 * and parking a run (giving its lease up until a retry). Leases and claims are timed by the store's
 * clock, as `run-queries.ts` says.
 */

import { EVENTS_TEXT } from './statements.ts';

/**
 * Claims runnable runs of the given types, each for a lease of $5 ms; SKIP LOCKED lets many workers
 * claim without blocking. $4: the store's clock (null: the database's, so that a worker whose clock
 * runs ahead cannot take a lease that is still live). Runs go in `claim_order` (0015): ready_at less
 * a minute per priority level; `claim_order <= now` is implied by `ready_at <= now` and bounds the
 * index scan. The runs are chosen and locked in `reel.claim_candidates` (0028): each type's first
 * runs read by type (before 0009, a claim of 10 of the 50 ready runs of its type among 200,000 of
 * other types walked past them all, 73.7 ms), the first of them locked. Its statements, and this
 * one, whose plan no value changes, keep one plan per connection.
 *
 * A run whose history holds at most $6 events comes with its history and its inbox (with the inbox's
 * version), read in the statement's snapshot, which spares the worker two statements. Only when the
 * row the claim locked is the row of that snapshot (the same `xmin`): a signal, or a last commit of
 * the run's previous holder, committed while the statement ran makes the lock take the newer row
 * (Postgres rechecks it), whose inbox items or events the snapshot lacks, and the worker then reads
 * them itself. Every write to a run's history or inbox updates the run's row in its transaction.
 */
export const CLAIM = `
with claimed as (
  update reel.workflows w
     set lease_owner = $1, fencing_token = w.fencing_token + 1,
         ready_at = coalesce($4::timestamptz, now()) + $5::float8 * interval '1 millisecond'
    from reel.claim_candidates($2::text[], $3::integer, coalesce($4::timestamptz, now())) with ordinality c
   where w.run_id = c.run_id
  returning w.workflow_id, w.run_id, w.type, w.fencing_token, w.park_attempts, c.ready_at as ready_since, c.locked,
            c.ordinality
)
select c.workflow_id, c.run_id, c.type, c.fencing_token, c.park_attempts, c.ready_since, s.inbox_version,
       case when l.loaded then (select coalesce(${EVENTS_TEXT}, '[]') from reel.history where run_id = c.run_id) end as events,
       case when l.loaded then (select coalesce(json_agg(json_build_object('id', i.id::text, 'kind', i.kind,
                                                                           'name', i.name, 'payload', i.payload)
                                                          order by i.id), '[]')
                                  from reel.inbox i where i.run_id = c.run_id) end as inbox
  from claimed c join reel.workflows s on s.run_id = c.run_id,
       lateral (select s.xmin = c.locked and s.history_length <= $6 as loaded) l
 order by c.ordinality`;

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

export const PARK = `
update reel.workflows
   set status = 'parked', parked_error = $3, park_attempts = park_attempts + 1,
       ready_at = $5, lease_owner = null, updated_at = $4
 where run_id = $1 and fencing_token = $2 and lease_owner is not null`;

/**
 * Extends held leases to $2 ms from the store's clock ($4; null: the database's). The rows are locked
 * first, in run_id order, as `COMMIT_MANY` locks them: an update locks rows in the order its join
 * meets them (here the order of $1), and a renewal and a group commit of the same runs in two orders
 * deadlocked (40P01). The lock costs little: Postgres CPU for a renewal of 50 runs 4.31 → 4.67 ms
 * (median of 400, interleaved).
 */
export const RENEW = `
with held as (
  select w.run_id from reel.workflows w join unnest($1::uuid[], $3::bigint[]) as l(run_id, token) on w.run_id = l.run_id
   where w.fencing_token = l.token and w.lease_owner is not null
   order by w.run_id
     for update of w
)
update reel.workflows w set ready_at = coalesce($4::timestamptz, now()) + $2::float8 * interval '1 millisecond'
  from held h
 where w.run_id = h.run_id
returning w.run_id`;
