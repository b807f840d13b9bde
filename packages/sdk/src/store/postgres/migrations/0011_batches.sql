-- Bulk actions: one operation (cancel, terminate, signal) on every run a list filter matches, done a
-- page at a time by whichever process holds the batch's lease. The cursor moves, fenced by the
-- lease's token, once a page is done, so a batch whose runner died goes on from its last page.
create table reel.batches (
  id                text primary key,
  -- {"kind": "cancel" | "terminate", "reason"?} or {"kind": "signal", "name", "payload"}
  operation         jsonb not null,
  -- list's filter: status, type, attributes, createdAfter, createdBefore
  filter            jsonb not null,
  page_size         integer not null check (page_size between 1 and 1000),
  status            text not null default 'running' check (status in ('running', 'completed', 'cancelled')),
  -- the list cursor after the last page done (null before the first)
  cursor            text,
  matched           bigint not null,
  skipped           bigint not null default 0,
  lease_owner       text,
  lease_expires_at  timestamptz,
  -- incremented on every claim; a cursor move with an older token writes nothing
  fencing_token     bigint not null default 0,
  created_at        timestamptz not null,
  updated_at        timestamptz not null,
  closed_at         timestamptz
);

-- The workflows a batch has reached, written in the transaction that applies its operation: a page
-- done again after a crash reaches each of them at most once, and their count is the batch's progress.
create table reel.batch_runs (
  batch_id     text not null references reel.batches (id) on delete cascade,
  workflow_id  text not null,
  primary key (batch_id, workflow_id)
);
