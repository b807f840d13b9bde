-- User attributes, filterable in list() (jsonb for containment queries; they are never replayed).
alter table reel.workflows add column attributes jsonb;
create index workflows_attributes on reel.workflows using gin (attributes);

-- Child workflows: the parent run and the command that started the child, and what happens to the
-- child when the parent closes first.
alter table reel.workflows
  add column parent_run_id uuid references reel.workflows (run_id) on delete set null,
  add column parent_cmd integer,
  add column parent_close_policy text check (parent_close_policy in ('terminate', 'requestCancel', 'abandon'));

-- A run that continued as new is closed; its successor has the same workflow id.
alter table reel.workflows drop constraint workflows_status_check;
alter table reel.workflows add constraint workflows_status_check
  check (status in ('running', 'parked', 'completed', 'failed', 'cancelled', 'terminated', 'continued'));

-- A child's outcome reaches its parent through the parent's inbox.
alter table reel.inbox drop constraint inbox_kind_check;
alter table reel.inbox add constraint inbox_kind_check check (kind in ('signal', 'cancel', 'child'));
