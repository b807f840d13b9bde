-- Targeted wake-ups. Every `reel_wake` notification's payload comes from reel.wake_payload, which names
-- after the run the workers that should act on it, so that one claims at once instead of every worker:
--   `<run id> <holder>`         a held run: only the worker holding it (its driver reads the inbox);
--   `<run id> <owner> <backup>` a run no worker holds: its owner claims at once, its backup only if
--                               the run is still there a moment later (the owner full, dead, draining);
--   `<run id>`                  no live worker serves the type: any worker may claim.
-- Owner and backup are the first two of the live workers serving the run's type (a heartbeat in the
-- last 30 s, as a query's `liveSince`) ranked by md5(worker id || run id): rendezvous hashing, so the
-- runs spread evenly, and when a worker joins or leaves only its share moves. One ranking, read in
-- Postgres, so no two workers disagree on who owns a run. The caller passes the type and holder: a
-- run inserted by the calling statement is not yet visible to a query of this function. PL/pgSQL, not
-- SQL: a SQL function with a subquery is planned again at each call (measured here: 410 µs of server
-- CPU more than a bare notification; this function 80 µs, with four live workers).
create function reel.wake_payload(run uuid, run_type text, holder text) returns text language plpgsql stable as $$
begin
  if holder is not null then
    return run::text || ' ' || holder;
  end if;
  return run::text || coalesce((
    select ' ' || string_agg(id, ' ' order by rank)
      from (select id, md5(id || run::text) as rank from reel.workers
             where run_type = any(types) and heartbeat_at > now() - interval '30 seconds'
             order by rank limit 2) ranked), '');
end $$;

-- Only a clean shutdown removes a worker's row; those of workers that died stay. The lookup above
-- reads the live ones alone.
create index workers_heartbeat on reel.workers (heartbeat_at);

-- 0015's hand-over of a concurrency slot wakes the admitted run the same way.
create or replace function reel.hand_over_slot() returns trigger language plpgsql as $$
declare
  next record;
begin
  perform pg_advisory_xact_lock(7142026);
  loop
    select run_id, type, concurrency_limit into next from reel.workflows
     where concurrency_key = old.concurrency_key and slot = 'waiting' order by run_seq limit 1;
    exit when not found or (select count(*) from reel.workflows
                             where concurrency_key = old.concurrency_key and slot = 'held') >= next.concurrency_limit;
    update reel.workflows set slot = 'held', ready_at = least(now(), new.updated_at) where run_id = next.run_id;
    perform pg_notify('reel_wake', reel.wake_payload(next.run_id, next.type, null));
  end loop;
  return null;
end $$;
