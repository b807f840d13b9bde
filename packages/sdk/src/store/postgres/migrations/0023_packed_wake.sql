-- Targeted wake-ups fill one worker before the next. A wake of a run no worker holds names up to four
-- live workers serving its type, ranked by md5(worker id || type): the same order for every run of a
-- type, where 0018 ranked by run (rendezvous hashing). The first claims at once if it has room; a full
-- or draining one passes the wake on to the others it names (`Store.passWake`); the second claims a
-- moment later in case the first is dead. Runs spread over workers only as each fills, so a fleet's
-- group commits and claims gather as many runs as one worker's would: spread evenly, four worker
-- processes cost Postgres 1.5–2 times what one does per workflow; packed, 1.1 times
-- (bench/analysis.md, "Packing a fleet").
create or replace function reel.wake_payload(run uuid, run_type text, holder text) returns text language plpgsql stable as $$
begin
  if holder is not null then
    return run::text || ' ' || holder;
  end if;
  return run::text || coalesce((
    select ' ' || string_agg(id, ' ' order by rank)
      from (select id, md5(id || run_type) as rank from reel.workers
             where run_type = any(types) and heartbeat_at > now() - interval '30 seconds'
             order by rank limit 4) ranked), '');
end $$;
