-- reel.claim_order (0015) in PL/pgSQL, with the same results. As a SQL function it is never inlined
-- (its body subtracts an interval from a timestamptz, which Postgres marks stable, in a function
-- marked immutable), so each statement that writes an indexed row parsed and planned its body again
-- for each of the three indexes on it: a run's insert did so twice. PL/pgSQL keeps the compiled body
-- for the session. One-row inserts into a table with the two workflows indexes (pgbench, one session,
-- synchronous_commit off, Postgres 15): 0.27 ms as SQL, 0.15-0.19 ms as PL/pgSQL, 0.12 ms without
-- the indexes. The indexes hold the same values, so they stay as they are.
create or replace function reel.claim_order(ready_at timestamptz, held boolean, priority smallint) returns timestamptz
  language plpgsql immutable as $$
begin
  return ready_at - case when held then 0 else priority end * interval '1 minute';
end $$;
