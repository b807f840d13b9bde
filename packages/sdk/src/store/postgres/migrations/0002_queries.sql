-- Live workers and the workflow types they serve; a worker refreshes its row as it renews its leases,
-- so a query for a type no live worker serves fails at once instead of timing out.
create table reel.workers (
  id            text primary key,
  types         text[] not null,
  heartbeat_at  timestamptz not null
);

-- Queries waiting for an answer: the worker holding the run answers from memory, otherwise any worker
-- serving the type claims the query and answers by replaying the history.
create table reel.queries (
  id           bigserial primary key,
  run_id       uuid not null references reel.workflows (run_id) on delete cascade,
  type         text not null,
  name         text not null,
  args         json not null,
  claimed_by   text,
  answered_at  timestamptz,
  result       json,
  error        json,
  created_at   timestamptz not null
);
