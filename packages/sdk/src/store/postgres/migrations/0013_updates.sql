-- Updates (docs/workflows.md#updates): `client.update` puts an inbox item of kind `update` in the run's
-- inbox; the lease holder records it as `update_accepted` once its validator accepts it.
alter table reel.inbox drop constraint inbox_kind_check;
alter table reel.inbox add constraint inbox_kind_check
  check (kind in ('signal', 'cancel', 'child', 'activity_result', 'retry', 'update'));

-- One row per update sent to a workflow id: a second send of the same id sends nothing and waits for
-- the first one's outcome. A validator's rejection, which history never records, is kept here.
create table reel.updates (
  workflow_id  text not null,
  update_id    text not null,
  run_id       uuid not null references reel.workflows (run_id) on delete cascade,
  rejection    json,
  created_at   timestamptz not null,
  primary key (workflow_id, update_id)
);
-- retention deletes runs: see 0007_retention_foreign_keys.sql
create index updates_run on reel.updates (run_id);

-- A waiting caller finds its update's events in history by id; only update events are indexed.
create index history_updates on reel.history ((data->>'updateId'))
  where type in ('update_accepted', 'update_completed');
