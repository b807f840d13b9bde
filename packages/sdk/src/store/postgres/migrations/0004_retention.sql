-- Retention deletes closed runs oldest first; this index finds them without scanning open ones.
create index workflows_closed on reel.workflows (closed_at) where closed_at is not null;
