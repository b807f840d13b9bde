-- Activity flow control: an attempt of an activity with a concurrency limit or a rate limit is a task
-- (on its task queue, or on the queue '' that every worker serves for the activities it registers),
-- and the claim admits it only if its key has a free slot and its rate bucket a token. A task passed
-- over records why (`waiting_for`, for describe) and gets the time it may next be claimed, so no
-- worker polls for it.
alter table reel.tasks
  -- 0 to 10, the activity's or else its run's: claims take tasks in claim order, as for runs
  add column priority smallint not null default 0 check (priority between 0 and 10),
  -- at most concurrency_limit tasks of the key are claimed (and the claim not lapsed) at once
  add column concurrency_key text,
  add column concurrency_limit integer,
  -- at most rate_limit claims of the key per rate_per_ms, as a bucket of rate_limit tokens
  add column rate_key text,
  add column rate_limit integer,
  add column rate_per_ms double precision,
  -- the time of the token a claim set aside for the task while it waited its turn
  add column rate_turn timestamptz,
  -- why the last claim that saw the task passed it over; null once claimable again or claimed
  add column waiting_for text check (waiting_for in ('concurrency', 'rate'));

create index tasks_claim_order on reel.tasks (queue, reel.claim_order(ready_at, claimed_by is not null, priority));
create index tasks_slot_holders on reel.tasks (concurrency_key) where claimed_by is not null;
create index tasks_slot_waiters on reel.tasks (concurrency_key, reel.claim_order(available_at, false, priority))
  where waiting_for = 'concurrency';

-- One row per rate key: GCRA's theoretical arrival time `tat`, when the bucket of `limit` tokens,
-- refilled one per per / limit, is full again. A claim at `t` is due at greatest(t, tat - (per - per / limit)); it moves tat
-- to greatest(tat, t) + per / limit. So `limit` claims may go at once, then one per per / limit.
create table reel.rate_buckets (
  key text primary key,
  tat timestamptz not null
);

-- Claims up to `lim` tasks on `queues` for `names`, ready at `at`, for `lock_ms`, in claim order,
-- skipping tasks other claims hold (SKIP LOCKED) and keys another claim is admitting (a try lock per
-- key, taken before counting and held to commit, so two claims never take the same last slot, and
-- no claim waits for another: locks taken in walk order would deadlock). A task whose key has all its
-- slots held waits until the earliest holder's claim could lapse, or until a holder lets go
-- (hand_over_task_slot); one over its rate is given the next token's time as its turn, and is
-- claimable then (a turn older than one period is stale: the task asks again).
create function reel.claim_tasks(owner text, queues text[], names text[], lim integer, at timestamptz,
                                 lock_ms double precision)
  returns setof reel.tasks language plpgsql as $$
declare
  t record;
  claimed reel.tasks;
  taken integer := 0;
  holders integer;
  bucket_tat timestamptz;
  turn timestamptz;
  gap interval;
begin
  if lim < 1 then
    return;
  end if;
  -- Per queue, tasks of open runs in index order (tasks_claim_order), so each walk stops early; then
  -- the queues' tasks in one claim order. Measured with 10,000 ready tasks of 100 runs, a claim of 10
  -- (median of 29): 6 to 10 ms, with limits or without; 14 to 16 ms for the claim statement before
  -- limits; 34 ms or more when the walk joined the runs and sorted all the ready tasks. At most
  -- `lim` + 100 tasks of a queue are walked: those passed over are parked, so the next claim goes
  -- further.
  for t in
    select c.* from unnest(queues) q(queue),
     lateral (select t2.id, t2.run_id, t2.claimed_by, t2.concurrency_key, t2.concurrency_limit, t2.rate_key,
                     t2.rate_limit, t2.rate_per_ms, t2.rate_turn,
                     reel.claim_order(t2.ready_at, t2.claimed_by is not null, t2.priority) as claim_order
                from reel.tasks t2
               where t2.queue = q.queue
                 and reel.claim_order(t2.ready_at, t2.claimed_by is not null, t2.priority) <= at
                 and t2.ready_at <= at and t2.name = any(names)
                 and exists (select 1 from reel.workflows w
                              where w.run_id = t2.run_id and w.status in ('running', 'parked'))
               order by reel.claim_order(t2.ready_at, t2.claimed_by is not null, t2.priority)
               limit lim + 100
                 for update of t2 skip locked) c
     order by c.claim_order
  loop
    if t.concurrency_key is not null then
      continue when not pg_try_advisory_xact_lock(7142016, hashtext(t.concurrency_key));
      select count(*) into holders from reel.tasks
       where concurrency_key = t.concurrency_key and claimed_by is not null and ready_at > at and id <> t.id;
      if holders >= t.concurrency_limit then
        update reel.tasks set
          ready_at = (select min(ready_at) from reel.tasks
                       where concurrency_key = t.concurrency_key and claimed_by is not null and ready_at > at),
          waiting_for = 'concurrency', claimed_by = null,
          claim = claim + case when t.claimed_by is null then 0 else 1 end
         where id = t.id;
        continue;
      end if;
    end if;
    if t.rate_key is not null and not (t.rate_turn is not null and t.rate_turn > at - t.rate_per_ms * interval '1 millisecond') then
      continue when not pg_try_advisory_xact_lock(7142017, hashtext(t.rate_key));
      gap := t.rate_per_ms / t.rate_limit * interval '1 millisecond';
      select b.tat into bucket_tat from reel.rate_buckets b where b.key = t.rate_key;
      bucket_tat := coalesce(bucket_tat, at);
      turn := greatest(at, bucket_tat - (t.rate_per_ms * interval '1 millisecond' - gap));
      insert into reel.rate_buckets (key, tat) values (t.rate_key, greatest(bucket_tat, at) + gap)
        on conflict (key) do update set tat = excluded.tat;
      t.rate_turn := turn;
    end if;
    if t.rate_turn is not null and t.rate_turn > at then
      update reel.tasks set ready_at = t.rate_turn, rate_turn = t.rate_turn, waiting_for = 'rate',
                            claimed_by = null, claim = claim + case when t.claimed_by is null then 0 else 1 end
       where id = t.id;
      continue;
    end if;
    update reel.tasks set claim = claim + 1, claimed_by = owner,
                          ready_at = at + lock_ms * interval '1 millisecond', waiting_for = null, rate_turn = null
     where id = t.id
    returning * into claimed;
    return next claimed;
    taken := taken + 1;
    exit when taken >= lim;
  end loop;
end $$;

-- A task that held a slot of its key and lets go of it (completed, deleted with its run, or replaced
-- by a newer attempt) makes the key's first waiter, in claim order, claimable now (at its place in
-- line: its available_at) and notifies its queue. SKIP LOCKED: statements deleting the tasks of
-- several runs would otherwise wait for each other's rows in any order, and deadlock. A waiter that
-- a claim holds meanwhile, and then parks, is made up for when the earliest holder's claim could lapse.
create function reel.hand_over_task_slot() returns trigger language plpgsql as $$
declare
  woken_queue text;
begin
  with woken as (
    update reel.tasks t set ready_at = least(now(), t.available_at), waiting_for = null
      from (select id from reel.tasks
             where concurrency_key = old.concurrency_key and waiting_for = 'concurrency'
             order by reel.claim_order(available_at, false, priority) limit 1
               for update skip locked) n
     where t.id = n.id
    returning t.queue)
  select woken.queue into woken_queue from woken;
  if found then
    perform pg_notify('reel_task', woken_queue);
  end if;
  return null;
end $$;

create trigger hand_over_task_slot after delete on reel.tasks
  for each row when (old.concurrency_key is not null and old.claimed_by is not null)
  execute function reel.hand_over_task_slot();
create trigger hand_over_replaced_task_slot after update of claimed_by on reel.tasks
  for each row when (old.concurrency_key is not null and old.claimed_by is not null and new.claimed_by is null
                     and new.waiting_for is null)
  execute function reel.hand_over_task_slot();
