-- Operator actions. A run reset to a point of its history closes as `reset` (if it was open) and
-- names the run that took over in reset_to, set on a closed run that was reset as well. An
-- operator's retry now reaches the run as an inbox item of kind `retry`.
alter table reel.workflows drop constraint workflows_status_check;
alter table reel.workflows add constraint workflows_status_check
  check (status in ('running', 'parked', 'completed', 'failed', 'cancelled', 'terminated', 'continued', 'reset'));
alter table reel.workflows add column reset_to uuid;

alter table reel.inbox drop constraint inbox_kind_check;
alter table reel.inbox add constraint inbox_kind_check
  check (kind in ('signal', 'cancel', 'child', 'activity_result', 'retry'));
