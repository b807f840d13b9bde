import { readyOnInput } from './statements.ts';
import { deleteTasks } from './task-queries.ts';

/**
 * Rows of a parent and its child are locked parent first: a parent's close (or termination) locks
 * its row and then its children's under `terminate`, so a child's close or termination, which tells
 * its parent, locks the parent's row (`parent_first`, the CTE this returns, for the parent `parentRunId`
 * names, or none if it is null) before its own (its update's filter adds `parentLocked`). The other
 * way round, the two deadlocked (40P01, `sdk/test/lock-order.test.ts`). The lock is the one the
 * update of the parent's row takes later in the statement, so it waits for nothing more.
 */
export const PARENT_FIRST = (parentRunId: string) => `parent_first as (
  select p.run_id from reel.workflows p where p.run_id = ${parentRunId} for no key update of p
)`;

/**
 * A filter on the update of child `alias` that runs `parent_first`, once, before the update locks a
 * row, and refuses the row if its parent is no longer the run locked: a reset that held the parent's
 * row while the statement waited for it gave the child to its new run (`ADOPT_CHILDREN`), which the
 * statement's snapshot, older than the reset, cannot see to tell. The caller sends the statement
 * again (`sdk/test/parent-child-races.test.ts`). A comparison, which Postgres checks again on the
 * row's latest version when the update waited for it; written as `not exists`, planned as an
 * anti-join, the row went through.
 */
export const parentLocked = (alias: string) =>
  `coalesce((select run_id from parent_first) = ${alias}.parent_run_id, true)`;

/**
 * `alias` is open, for a run reached through its parent or child link (`workflows_parent`, the
 * primary key). Spelled as "not closed" so that no plan can take the partial index of every open run
 * (`workflows_open_id`) instead: with `status in ('running', 'parked')`, an estimate of few open runs
 * (stale statistics, or a table full of closed ones) made the planner scan that index whole to find a
 * run's children, on every close and group commit (2,861 index entries and 156 heap pages a close at
 * concurrency 50, for none found). `sdk/test/close-plans.test.ts` holds it.
 */
export const isOpen = (alias: string) =>
  `${alias}.status not in ('completed', 'failed', 'cancelled', 'terminated', 'continued', 'reset')`;

/**
 * Whether run `alias` has an open child: a probe of `workflows_parent` for each run asked about. A
 * scalar subquery, because an `exists` may be planned as one scan of every run, hashed (219 pages a
 * group commit, `sdk/test/close-plans.test.ts`).
 */
export const hasOpenChild = (alias: string) =>
  `(select true from reel.workflows c where c.parent_run_id = ${alias}.run_id and ${isOpen('c')} limit 1) is not null`;

/**
 * A CTE `told_successor` that moves the inbox version of the parent `parentRunId` names (none if null),
 * if open, when the statement starts a successor (continue-as-new, reset) of its child: a close of
 * that parent that waited for its row is then refused (unread input) and sent again, in a snapshot
 * that sees the successor to apply its parent-close policy to. Without it, such a close skipped the
 * child, closed meanwhile, and its successor, which its snapshot could not see, ran on. The statement
 * locks the parent first (`PARENT_FIRST`).
 */
export const tellParentOfSuccessor = (parentRunId: string) => `told_successor as (
  update reel.workflows p set inbox_version = p.inbox_version + 1
   where p.run_id = ${parentRunId} and ${isOpen('p')}
)`;

/**
 * The parent-close policy, written once and applied in the statement that closes a run (`CLOSE`,
 * `CONTINUE_AS_NEW`; in the transaction of a `TERMINATE`, `TERMINATED_CHILDREN`), so that no crash
 * can come between a parent's close and what it does to its children. `closed` names a CTE of the
 * runs the statement closes (column `run_id`). Their open children under `terminate` are terminated,
 * and those children's own children under `terminate` after them, to any depth (`doomed`,
 * recursive); the open children under `requestCancel` of all of these get a cancel request;
 * `abandon` leaves a child alone. `now` stamps what is written; `clock` is
 * the store's clock for "ready now". The select list adds the notifications.
 *
 * Most closing runs have no open child (`kids`, found by probes of `workflows_parent`): then nothing
 * else here runs. The recursive term and the cancellations are gated on it, because a plan cached
 * while the table was small joins them to a scan of every run (of every task, for `policy_tasks`),
 * which ran on every close even when it found nothing: 184 pages a close in the concurrency-1
 * benchmark (`sdk/test/close-plans.test.ts`).
 */
export function parentClosePolicy(
  closed: string,
  now: string,
  clock: string,
): { ctes: string; notify: string } {
  const open = isOpen('c');
  return {
    ctes: `, kids as (
  select c.run_id, c.parent_close_policy from reel.workflows c join ${closed} p on c.parent_run_id = p.run_id
   where ${open}
), doomed as (
  select run_id from kids where parent_close_policy = 'terminate'
  union
  select c.run_id from reel.workflows c join doomed d on c.parent_run_id = d.run_id
   where c.parent_close_policy = 'terminate' and ${open} and exists (select 1 from kids)
), policy_terminated as (
  update reel.workflows c
     set status = 'terminated', closed_at = ${now}, updated_at = ${now}, ready_at = null, lease_owner = null,
         error = json_build_object('name', 'WorkflowTerminatedError', 'message', 'its parent closed'),
         fencing_token = c.fencing_token + 1, history_length = c.history_length + 1
    from doomed d
   where c.run_id = d.run_id and ${open} -- checked again on a row that closed while the update waited
  returning c.run_id, c.workflow_id, c.history_length - 1 as seq, c.error
), policy_terminated_events as (
  insert into reel.history (run_id, seq, type, data, at)
  select run_id, seq, 'workflow_terminated', json_build_object('reason', 'its parent closed'), ${now}
    from policy_terminated
), ${deleteTasks('policy_tasks', 'policy_terminated', 'exists (select 1 from kids)')}, policy_cancelled as (
  -- one join on the parents, so each is one probe of workflows_parent: \`parent_run_id in (…) or
  -- parent_run_id in (…)\` has no index path, and scanned every open run on every close (measured
  -- with 10,000 open runs: 10-35 ms a close, now 0.02 ms)
  update reel.workflows c
     set inbox_version = c.inbox_version + 1,
         ready_at = ${readyOnInput('c', clock)}
    from (select run_id from ${closed} q union select run_id from doomed) p
   where c.parent_run_id = p.run_id and c.parent_close_policy = 'requestCancel' and ${open}
     and exists (select 1 from kids)
  returning c.run_id, c.type, c.lease_owner
), policy_cancel_items as (
  insert into reel.inbox (run_id, kind, payload, created_at)
  select run_id, 'cancel', to_json('its parent closed'::text), ${now} from policy_cancelled
)`,
    notify: `,
       (select count(reel.notify_closed(workflow_id, run_id, 'terminated', null, error))
          from policy_terminated) as children_terminated,
       (select count(pg_notify('reel_task_cancelled', id::text)) from policy_tasks) as children_tasks,
       (select count(reel.wake(run_id, type, lease_owner)) from policy_cancelled) as children_cancelled`,
  };
}
