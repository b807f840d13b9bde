-- A held run's wake (input for it: a signal, a cancellation, an activity's outcome) goes to its
-- holder's channel as the run id alone, which tells it from a wake of a run no worker holds (which
-- names the workers that should claim it). A worker can then tell input for a run it was given by a
-- claim or start whose answer has not reached it yet, and read that run's inbox once the answer comes
-- (`StoreListener.onInput`): a claim brings the inbox as its snapshot held it. A worker of the
-- previous version reads the run id alone as a wake naming no one: its run reads its inbox, as before.
create or replace function reel.wake(run uuid, run_type text, holder text) returns void language plpgsql as $$
declare
  ids text;
  firsts text[];
begin
  if holder is not null then
    perform pg_notify(reel.wake_channel(holder), run::text);
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
