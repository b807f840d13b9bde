-- Deleting a run (retention) checks every foreign key that points at it: without an index on the
-- referencing column, each deleted row scans the whole table. Measured on 200,000 runs, one batch of
-- 500 deletions took 25.8 s without workflows_parent and 24–43 ms with it.
create index workflows_parent on reel.workflows (parent_run_id) where parent_run_id is not null;
create index queries_run on reel.queries (run_id);
