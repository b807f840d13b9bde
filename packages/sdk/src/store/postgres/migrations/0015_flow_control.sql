-- Concurrency limits by key. A run started with a key holds one of its key's slots from its start
-- until it closes (`slot = 'held'`), or waits for one (`slot = 'waiting'`, ready_at null: no worker
-- can claim it and none polls for it). A start is admitted while fewer runs of its key than its limit
-- hold a slot; a holder's close hands its slot to the key's oldest waiter (run_seq order) in the
-- closing transaction, whichever statement closes it, hence triggers. A successor by continue-as-new
-- is inserted holding its predecessor's slot.
alter table reel.workflows
  add column concurrency_key text,
  add column concurrency_limit integer,
  add column slot text check (slot in ('held', 'waiting'));

create index workflows_slot_holders on reel.workflows (concurrency_key) where slot = 'held';
create index workflows_slot_waiters on reel.workflows (concurrency_key, run_seq) where slot = 'waiting';

-- Admissions and hand-overs of every key take one transaction-scoped lock, so each counts holders
-- that no other transaction is changing. One lock, not one per key: a group commit closes runs of
-- several keys in one statement, in no fixed order, and locks per key taken in that order deadlock.
-- The statements inside see what committed before the lock was granted (a fresh snapshot each).
create function reel.admit_to_slot() returns trigger language plpgsql as $$
begin
  perform pg_advisory_xact_lock(7142026);
  if (select count(*) from reel.workflows where concurrency_key = new.concurrency_key and slot = 'held')
     < new.concurrency_limit then
    new.slot := 'held';
  else
    new.slot := 'waiting';
    new.ready_at := null;
    new.lease_owner := null;
    new.fencing_token := 0;
  end if;
  return new;
end $$;

create trigger admit_to_slot before insert on reel.workflows
  for each row when (new.concurrency_key is not null and new.slot is null)
  execute function reel.admit_to_slot();

-- A closed run holds no slot and waits for none.
create function reel.leave_slot() returns trigger language plpgsql as $$
begin
  new.slot := null;
  return new;
end $$;

create trigger leave_slot before update of status on reel.workflows
  for each row when (old.slot is not null and new.status not in ('running', 'parked'))
  execute function reel.leave_slot();

-- After the closing statement (so a waiter it also closed is passed over), the key's oldest waiters
-- take the free slots and become claimable now: the earlier of the database's clock and the closing
-- statement's `updated_at`, which is the virtual clock's time under a time-skipping test.
create function reel.hand_over_slot() returns trigger language plpgsql as $$
declare
  next record;
begin
  perform pg_advisory_xact_lock(7142026);
  loop
    select run_id, concurrency_limit into next from reel.workflows
     where concurrency_key = old.concurrency_key and slot = 'waiting' order by run_seq limit 1;
    exit when not found or (select count(*) from reel.workflows
                             where concurrency_key = old.concurrency_key and slot = 'held') >= next.concurrency_limit;
    update reel.workflows set slot = 'held', ready_at = least(now(), new.updated_at) where run_id = next.run_id;
    perform pg_notify('reel_wake', next.run_id::text);
  end loop;
  return null;
end $$;

create trigger hand_over_slot after update of status on reel.workflows
  for each row when (old.slot = 'held' and new.status not in ('running', 'parked', 'continued'))
  execute function reel.hand_over_slot();

-- Priority, 0 to 10 (default 0), higher first, with ageing: claims take ready runs in the order of
-- ready_at less one minute per priority level, so a run outranks the runs of lower priority that
-- became ready up to that much later, and a run that has waited longer than that goes first
-- whatever the priority of newer ones: nothing starves. A held run's order is its lease expiry, so
-- orphans are found as before; only runs that no worker holds carry their head start. Declared
-- immutable for the index: minutes do not depend on the time zone.
alter table reel.workflows add column priority smallint not null default 0 check (priority between 0 and 10);

create function reel.claim_order(ready_at timestamptz, held boolean, priority smallint) returns timestamptz
  language sql immutable as $$
  select ready_at - case when held then 0 else priority end * interval '1 minute'
$$;

create index workflows_claim_order on reel.workflows (reel.claim_order(ready_at, lease_owner is not null, priority))
  where ready_at is not null;
create index workflows_claim_order_by_type
  on reel.workflows (type, reel.claim_order(ready_at, lease_owner is not null, priority))
  where ready_at is not null;
drop index reel.workflows_ready;

-- Debounce: a start with a debounce key joins the run of its type and key that no worker has
-- claimed yet (fencing_token 0), if there is one, giving it its input and pushing back its start.
alter table reel.workflows add column debounce_key text;
create index workflows_debounce_pending on reel.workflows (type, debounce_key)
  where debounce_key is not null and fencing_token = 0 and status = 'running';
