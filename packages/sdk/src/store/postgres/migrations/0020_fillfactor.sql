-- A run's row is updated a few times after its insert (each flush, its close). An update that changes
-- no indexed column stays in the row's page (a HOT update) only if the page has room, and grouped
-- starts (START_MANY) fill each page with new rows at once: HOT updates fell from 1.85 to 0.92 of
-- about 3 per workflow, and every other update writes to all the table's indexes. Leaving 30% of each
-- page for them, measured at 50 workflows in flight (bench scenario 1, Postgres 15, three runs each,
-- alternating): Postgres CPU per workflow 1.22 → 1.00 ms, WAL 5.68 → 4.41 KiB, workflows/s 380 → 435.
-- The cost: the table's pages hold 70% as many rows, so retained closed runs take about 1.4 times the
-- heap space (not the indexes'). It applies to pages filled from now on.
alter table reel.workflows set (fillfactor = 70);
