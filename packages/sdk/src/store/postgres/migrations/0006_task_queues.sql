-- Activity attempts for workers serving a task queue. The workflow's worker inserts one once the
-- event that scheduled the attempt is durable; a worker serving the queue claims it (FOR UPDATE SKIP
-- LOCKED) and, in one transaction, deletes it and puts the outcome in the run's inbox.
create table reel.tasks (
  id              bigserial primary key,
  run_id          uuid not null references reel.workflows (run_id) on delete cascade,
  cmd             integer not null,
  attempt         integer not null,
  name            text not null,
  -- json, not jsonb: the activity gets its arguments exactly as written
  args            json not null,
  queue           text not null,
  -- not claimable before: the retry time of a retried attempt
  available_at    timestamptz not null,
  -- as reel.workflows.ready_at: claimable when <= now; set to available_at when queued, to the claim's
  -- expiry while a worker holds it (so a crashed worker's task is claimed again when that lapses)
  ready_at        timestamptz not null,
  -- incremented on every claim; renewals and completions present it, so a lapsed claim writes nothing
  claim           integer not null default 0,
  claimed_by      text,
  -- the details an attempt last sent with heartbeat(), kept for the next claim or attempt
  last_heartbeat  json,
  created_at      timestamptz not null,
  -- one task per activity: a retry replaces the task of the attempt before it
  unique (run_id, cmd)
);
create index tasks_ready on reel.tasks (queue, ready_at);

-- A task's outcome reaches its run through the run's inbox.
alter table reel.inbox drop constraint inbox_kind_check;
alter table reel.inbox add constraint inbox_kind_check
  check (kind in ('signal', 'cancel', 'child', 'activity_result'));
