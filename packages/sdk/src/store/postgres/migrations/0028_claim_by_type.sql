-- reel.claim_candidates (0027) with statements that one plan serves whatever the claim's types, so
-- that Postgres plans nothing at each claim. 0027 chose the runs with one statement over all the
-- claim's types, whose best index depended on how common those types were among the ready runs:
-- Postgres planned it at each claim on a large table (0.25 ms at a million runs). Here each type's
-- first runs are read on workflows_claim_order_by_type, one probe per type, which is right for any
-- mix of types; the first max_runs of them in claim order are then locked by key, skipping those
-- that another claim holds or took since they were read. When some were skipped and there may be
-- more, it reads twice as deep and goes on. The runs come back in claim order, as before. Without
-- JIT: a generic plan's estimates grow with the table (a limit it does not know is taken as a tenth
-- of the rows), and past jit_above_cost each call would compile its expressions, tens of ms.
--
-- workflows_claim_order, over all types, served only the statement replaced here, and a generic
-- plan preferred it to the by-type index, walking past other types' runs: it goes, and every insert
-- and non-HOT update of a run writes one index fewer.
drop index reel.workflows_claim_order;

create or replace function reel.claim_candidates(types text[], max_runs integer, at timestamptz)
returns table (run_id uuid, ready_at timestamptz, locked xid) language plpgsql rows 1
set plan_cache_mode = force_generic_plan set jit = off as $$
declare
  depth integer := max_runs;
  candidates uuid[];
  ids uuid[] := '{}';
  readies timestamptz[] := '{}';
  xids xid[] := '{}';
  ranks timestamptz[] := '{}';
begin
  loop
    -- The first `depth` ready runs of these types in claim order, read, not locked.
    select array_agg(c.run_id) into candidates
      from (select f.run_id
              from unnest(types) t(type),
                   lateral (select w.run_id, reel.claim_order(w.ready_at, w.lease_owner is not null, w.priority) rank
                              from reel.workflows w
                             where w.type = t.type and w.ready_at <= at
                               and reel.claim_order(w.ready_at, w.lease_owner is not null, w.priority) <= at
                             order by 2 limit depth) f
             order by f.rank limit depth) c;
    -- Of those not taken yet, the first that are still ready and that no other claim holds.
    select ids || array_agg(l.run_id), readies || array_agg(l.ready_at), xids || array_agg(l.xmin),
           ranks || array_agg(l.rank)
      into ids, readies, xids, ranks
      from (select w.run_id, w.ready_at, w.xmin, reel.claim_order(w.ready_at, w.lease_owner is not null, w.priority) rank
              from reel.workflows w
             where w.run_id = any(candidates) and w.run_id <> all(ids) and w.ready_at <= at
               and reel.claim_order(w.ready_at, w.lease_owner is not null, w.priority) <= at
             order by 4 limit max_runs - cardinality(ids)
               for update of w skip locked) l;
    exit when cardinality(ids) >= max_runs or coalesce(cardinality(candidates), 0) < depth;
    depth := depth * 2;
  end loop;
  return query select u.run_id, u.ready_at, u.locked
                 from unnest(ids, readies, xids, ranks) u(run_id, ready_at, locked, rank) order by u.rank;
end $$;
