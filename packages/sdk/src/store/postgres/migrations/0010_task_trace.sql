-- The W3C trace context of the run segment that enqueued a task: the parent of the span of the
-- attempt a task worker runs, so a task-queue attempt joins its run's trace. Null when none was active.
alter table reel.tasks add column trace json;
