-- Which run of a workflow id is the latest: the one inserted last. created_at comes from the engine
-- clock, which cannot tell: a frozen or shared clock stamps a run and its successor alike, and a
-- worker whose clock is behind the client's stamps a successor before its predecessor. run_seq is
-- drawn from a sequence when the row is inserted, which no clock can reorder. Existing runs are
-- numbered in (created_at, run_id) order, the order "latest" used before.
alter table reel.workflows add column run_seq bigint;
update reel.workflows w
   set run_seq = o.n
  from (select run_id, row_number() over (order by created_at, run_id) as n from reel.workflows) o
 where w.run_id = o.run_id;
alter table reel.workflows alter column run_seq set not null;
alter table reel.workflows alter column run_seq add generated always as identity;
select setval(pg_get_serial_sequence('reel.workflows', 'run_seq'), coalesce(max(run_seq), 0) + 1, false)
  from reel.workflows;

create index workflows_latest on reel.workflows (workflow_id, run_seq desc);
drop index reel.workflows_by_id;
