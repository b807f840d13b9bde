-- Retention deletes closed runs a day's worth at a time: with the default 30 days, a thirtieth of
-- reel.history and of reel.workflows each day. Their space is used again only once vacuum has passed,
-- and autovacuum's default threshold (a fifth of a table dead) let six days of deleted rows pile up
-- first. Measured with 1,000,000 closed runs and 10,000,000 history rows (bench/at-size.ts): both
-- tables grew 23% in seven days. At a fiftieth, autovacuum passes after each day's deletions, as it
-- does for the dead versions runs leave as they move. To use the server's settings instead:
-- alter table reel.history reset (autovacuum_vacuum_scale_factor), and the same for reel.workflows.
alter table reel.history set (autovacuum_vacuum_scale_factor = 0.02);
alter table reel.workflows set (autovacuum_vacuum_scale_factor = 0.02);
