/**
 * The statements on batches (bulk actions): create, read, claim with a lease, mark a workflow
 * reached, move the cursor, stop. Leases are timed by the store's clock, as in `lease-queries.ts`:
 * a parameter that is null in production, so `coalesce($n::timestamptz, now())` is the database's.
 */

/**
 * A new batch, reserved for $7 ms by the store's clock ($8): a lease with no owner, which keeps the
 * batch from `ORPHANED_BATCHES` (workers) while any runner may claim it.
 */
export const CREATE_BATCH = `
insert into reel.batches (id, operation, filter, page_size, matched, created_at, updated_at, lease_expires_at)
values ($1, $2, $3, $4, $5, $6, $6, coalesce($8::timestamptz, now()) + $7::float8 * interval '1 millisecond')
on conflict (id) do nothing
returning id`;

/** The runs reached, counted from the marks: exact even inside a page, and after a crash in one. */
const DONE = `(select count(*) from reel.batch_runs r where r.batch_id = b.id) as done`;

export const GET_BATCH = `select b.*, ${DONE} from reel.batches b where b.id = $1`;

/**
 * Leases a running batch that has no runner (only a reservation, if anything) or whose runner's lease
 * has lapsed, to $2 for $3 ms. Returns the batch as it was, the new token when claimed, and how long
 * another runner's lease still lasts. $4: the store's clock; $5: the engine's now.
 */
export const CLAIM_BATCH = `
with b as (
  select b.*, ${DONE},
         greatest(0, extract(epoch from lease_expires_at - coalesce($4::timestamptz, now())) * 1000)::float8 as held_for_ms
    from reel.batches b where b.id = $1
), claimed as (
  update reel.batches
     set lease_owner = $2, fencing_token = fencing_token + 1, updated_at = $5,
         lease_expires_at = coalesce($4::timestamptz, now()) + $3::float8 * interval '1 millisecond'
   where id = $1 and status = 'running'
     and (lease_owner is null or lease_expires_at <= coalesce($4::timestamptz, now()))
  returning fencing_token, lease_expires_at
)
select b.*, c.fencing_token as claimed_token, c.lease_expires_at as claimed_until
  from b left join claimed c on true`;

/**
 * Marks workflow $2 reached by batch $1, if the batch is running and has not reached it yet. Run in
 * the transaction that applies the operation: the mark commits with it or not at all. The share lock
 * keeps a stop from passing a page that is being applied.
 */
export const MARK_BATCH_RUN = `
with b as (
  select status from reel.batches where id = $1 for share
), ins as (
  insert into reel.batch_runs (batch_id, workflow_id)
  select $1, $2 from b where b.status = 'running'
  on conflict do nothing
  returning 1
)
select (select status from b) as status, exists (select 1 from ins) as marked`;

/**
 * Fenced by the token ($2): records a page done (cursor $3, runs skipped $4) and extends the lease
 * by $7 ms from the store's clock ($8); the last page ($5) completes the batch and ends the lease.
 */
export const ADVANCE_BATCH = `
update reel.batches
   set cursor = $3, skipped = skipped + $4, updated_at = $6,
       status = case when $5::boolean then 'completed' else status end,
       closed_at = case when $5::boolean then $6::timestamptz end,
       lease_owner = case when $5::boolean then null else lease_owner end,
       lease_expires_at = case when $5::boolean then null
                               else coalesce($8::timestamptz, now()) + $7::float8 * interval '1 millisecond' end
 where id = $1 and fencing_token = $2 and status = 'running' and lease_owner is not null`;

export const STOP_BATCH = `
with b as (
  select status from reel.batches where id = $1
), stopped as (
  update reel.batches
     set status = 'cancelled', closed_at = $2, updated_at = $2, lease_owner = null, lease_expires_at = null
   where id = $1 and status = 'running'
  returning 1
)
select (select status from b) as status, exists (select 1 from stopped) as stopped`;

/** Running batches no runner holds, oldest first. $1: the store's clock; $2: how many. */
export const ORPHANED_BATCHES = `
select id from reel.batches
 where status = 'running' and (lease_expires_at is null or lease_expires_at <= coalesce($1::timestamptz, now()))
 order by created_at, id
 limit $2`;
