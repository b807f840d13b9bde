-- A wake goes only to the workers that act on it. Until now every `reel_wake` went to every worker,
-- which parsed it and dropped it unless it was named; since 0023 packs a fleet's runs into its first
-- worker, the others did little else (bench/analysis.md, "A channel per worker"). Now each worker
-- also listens on a channel of its own, reel.wake_channel(its id), and reel.wake sends a wake:
--   a held run:           to its holder;
--   a run no worker holds: to the first two workers 0023 ranks, the one that claims and the one that
--                          claims a moment later if the first did not (the others hear of it only if
--                          passed on, `Store.passWake`);
--   no live worker serves the type: on `reel_wake`, to every worker.
-- The payload is 0023's. The channel is a hash, so that any worker id fits Postgres's 63-byte names;
-- of the id's UTF-8, so that the worker (`wakeChannel`, postgres-listener.ts) names it alike. A wake
-- with four live workers costs 30 µs of server CPU (20,000 in one statement), against 21 µs for
-- 0023's payload and its one notification.

-- Stable, not immutable: convert_to is stable, and Postgres inlines a SQL function into the statement
-- that calls it only if its body is no more volatile than it says; else each call runs the body as a
-- query of its own (43-70 µs a wake marked immutable).
create function reel.wake_channel(worker text) returns text language sql stable as $$
  select 'reel_wake_' || left(md5(convert_to(worker, 'UTF8')), 16)
$$;

create function reel.wake(run uuid, run_type text, holder text) returns void language plpgsql as $$
declare
  ids text;
  firsts text[];
begin
  if holder is not null then
    perform pg_notify(reel.wake_channel(holder), run::text || ' ' || holder);
    return;
  end if;
  select string_agg(id, ' ' order by rank), (array_agg(id order by rank))[1:2] into ids, firsts
    from (select id, md5(id || run_type) as rank from reel.workers
           where run_type = any(types) and heartbeat_at > now() - interval '30 seconds'
           order by rank limit 4) ranked;
  if ids is null then
    perform pg_notify('reel_wake', run::text);
  else
    perform pg_notify(reel.wake_channel(w), run::text || ' ' || ids) from unnest(firsts) w;
  end if;
end $$;

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
    perform reel.wake(next.run_id, next.type, null);
  end loop;
  return null;
end $$;

drop function reel.wake_payload(uuid, text, text);

-- The closes of runs a schedule started (`<schedule id>@<fire time>`) also go on `reel_tick_closed`,
-- which the workers' schedulers listen on instead of hearing every `reel_closed`.
create function reel.notify_closed(workflow_id text) returns void language plpgsql as $$
begin
  perform pg_notify('reel_closed', workflow_id);
  if strpos(workflow_id, '@') > 0 then
    perform pg_notify('reel_tick_closed', workflow_id);
  end if;
end $$;
