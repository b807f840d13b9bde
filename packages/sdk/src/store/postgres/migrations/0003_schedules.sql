-- Cron schedules. Workers claim due rows with FOR UPDATE SKIP LOCKED and, in the same transaction,
-- start the tick's run (its workflow id is `<id>@<fire time>`, so a retried tick starts nothing new)
-- and move next_fire_at on: each tick starts one run however many workers poll.
create table reel.schedules (
  id                 text primary key,
  workflow_type      text not null,
  cron               text not null,
  timezone           text not null,
  -- json, not jsonb: every run gets the input exactly as written
  input              json,
  overlap            text not null check (overlap in ('skip', 'bufferOne', 'allowAll')),
  paused             boolean not null default false,
  -- the next tick (engine clock); null while paused or when the cron never matches again
  next_fire_at       timestamptz,
  -- set by overlap 'bufferOne': the tick held back until the open run closes (null: none)
  buffered_at        timestamptz,
  -- the runs this schedule started, newest first, at most 10: the overlap check looks at these
  last_workflow_ids  text[] not null default '{}',
  last_run_ids       uuid[] not null default '{}',
  created_at         timestamptz not null,
  updated_at         timestamptz not null
);

create index schedules_due on reel.schedules (next_fire_at) where not paused;
