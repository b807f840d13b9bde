-- Throttle: a start with a throttle key returns the latest run of its type and key when that run was
-- created less than the start's period ago, and otherwise inserts a run carrying the key.
alter table reel.workflows add column throttle_key text;
create index workflows_throttle on reel.workflows (type, throttle_key, created_at)
  where throttle_key is not null;

-- The flow control a schedule gives each run it starts: a concurrency key and limit, a priority.
alter table reel.schedules
  add column concurrency_key text,
  add column concurrency_limit integer,
  add column priority smallint not null default 0 check (priority between 0 and 10);
