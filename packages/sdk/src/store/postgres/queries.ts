/**
 * Every hot statement on runs, by name, gathered from its concept's file (schedules and tasks have
 * theirs in `schedule-queries.ts` and `task-queries.ts`): for tools that name what they see sent.
 */
export * from './commit-queries.ts';
export * from './inbox-queries.ts';
export * from './lease-queries.ts';
export * from './run-queries.ts';
export * from './worker-queries.ts';
