-- One row per workflow run. `ready_at` is the time from which any worker may claim the run:
-- set to now when it becomes runnable, to its wake time when it sleeps, to the lease expiry while a
-- worker holds it (so an orphaned run becomes claimable when its lease lapses), null when it waits
-- only for a signal or has closed.
create table reel.workflows (
  run_id          uuid primary key,
  workflow_id     text not null,
  type            text not null,
  status          text not null check (status in ('running', 'parked', 'completed', 'failed', 'cancelled', 'terminated')),
  -- json, not jsonb: payloads come back exactly as written (jsonb reorders object keys, and replay
  -- must see what the live run saw)
  input           json,
  result          json,
  error           json,
  ready_at        timestamptz,
  lease_owner     text,
  fencing_token   bigint not null default 0,
  -- bumped by every inbox insert, so a worker can release a run only if nothing arrived meanwhile
  inbox_version   bigint not null default 0,
  history_length  integer not null default 0,
  parked_error    jsonb,
  park_attempts   integer not null default 0,
  created_at      timestamptz not null,
  updated_at      timestamptz not null,
  closed_at       timestamptz
);

-- At most one open run per workflow id: this makes start idempotent under concurrent callers.
create unique index workflows_open_id on reel.workflows (workflow_id) where status in ('running', 'parked');
create index workflows_by_id on reel.workflows (workflow_id, created_at desc);
create index workflows_ready on reel.workflows (ready_at) where ready_at is not null;
create index workflows_list on reel.workflows (created_at desc, run_id desc);

-- Append-only; (run_id, seq) unique so two writers can never both append the same position.
create table reel.history (
  run_id  uuid not null references reel.workflows (run_id) on delete cascade,
  seq     integer not null,
  type    text not null,
  data    json not null,
  at      timestamptz not null,
  primary key (run_id, seq)
);

-- External input waiting to be moved into history by the lease holder.
create table reel.inbox (
  id          bigserial primary key,
  run_id      uuid not null references reel.workflows (run_id) on delete cascade,
  kind        text not null check (kind in ('signal', 'cancel')),
  name        text,
  payload     json,
  created_at  timestamptz not null
);
create index inbox_run on reel.inbox (run_id, id);

-- Workflow types some worker has served, so a start of an unknown type fails fast with a clear error.
create table reel.workflow_types (
  name          text primary key,
  registered_at timestamptz not null
);
