-- Deliveries of webhook triggers that signal a run (signal-with-start), one row per hook and
-- delivery id: a provider's redelivery finds its row and signals nothing again. A row not yet
-- done is a claim, retaken when its holder died before finishing (claimed_at long past).
create table reel.hook_deliveries (
  hook text not null,
  delivery_id text not null,
  claimed_at timestamptz not null default now(),
  done_at timestamptz,
  primary key (hook, delivery_id)
);

-- Retention deletes the deliveries done before its cutoff, oldest first.
create index hook_deliveries_done on reel.hook_deliveries (done_at) where done_at is not null;
