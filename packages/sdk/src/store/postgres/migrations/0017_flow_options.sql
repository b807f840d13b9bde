-- Throttle: a start with a throttle key returns the latest run of its type and key when that run was
-- created less than the start's period ago, and otherwise inserts a run carrying the key.
alter table reel.workflows add column throttle_key text;
create index workflows_throttle on reel.workflows (type, throttle_key, created_at)
  where throttle_key is not null;

