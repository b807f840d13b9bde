-- The runs a claim takes, locked, in claim order (`CLAIM` in lease-queries.ts). Which index serves
-- this statement depends on the claim's types and limit, so Postgres plans it for each call's values
-- once the table holds a few thousand runs; as a function, it is the only part of the claim planned
-- so, and the statement around it keeps one plan per connection. `rows 1`: that plan, if made while
-- reel.workflows was new and empty, probes the table by key; with the default estimate (1,000 rows;
-- 10 as well) it hashed a scan of the whole table, and kept doing so as the table grew.
create function reel.claim_candidates(types text[], max_runs integer, at timestamptz)
returns table (run_id uuid, ready_at timestamptz, locked xid) language plpgsql rows 1 as $$
begin
  return query
    select w.run_id, w.ready_at, w.xmin from reel.workflows w
     where reel.claim_order(w.ready_at, w.lease_owner is not null, w.priority) <= at
       and w.ready_at <= at and w.type = any(types)
     order by reel.claim_order(w.ready_at, w.lease_owner is not null, w.priority)
     limit max_runs
       for update of w skip locked;
end $$;
