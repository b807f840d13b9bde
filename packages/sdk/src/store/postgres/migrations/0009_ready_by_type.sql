-- CLAIM and NEXT_READY_IN look for the earliest ready_at among the types a worker serves. On
-- workflows_ready alone they walk, in ready_at order, past every run of other types that is ready
-- sooner. Measured on 400,000 runs (200,000 of other types ready, 200,000 sleeping, 50 of the
-- worker's type), as prepared statements: CLAIM 73.7 ms -> 0.6 ms, NEXT_READY_IN 46 ms -> 0.03 ms.
-- workflows_ready stays: a claim whose types hold most ready runs walks it and stops after its limit.
create index workflows_ready_by_type on reel.workflows (type, ready_at) where ready_at is not null;
