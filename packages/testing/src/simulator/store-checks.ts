import {
  type ClaimedRun,
  type ClaimedTask,
  type InboxItem,
  isConnectionError,
  type Json,
  type QueryAnswer,
  type RecordedEvent,
  type ResetRequest,
  type StartRequest,
  type StartResult,
  type Store,
  type WorkflowDescription,
} from '@reel/sdk';
import type { Ledger } from './ledger.ts';
import type { RowReader } from './store-rows.ts';

/** The outcome of one store call as it ran. */
export type CallOutcome = { value: unknown } | { error: Error };

type ContinueRequest = Parameters<Store['continueAsNew']>[0];
const OPEN = ['running', 'parked'];

/**
 * Checks made at the store, around the instant a call runs (before its answer travels back): they
 * need the store's state at that instant, which only the store side sees. They record the runs each
 * workflow id gets (invariant 4's "newest run"), and find a successor that inherits a child's or an
 * activity's outcome (3), a call by workflow id that reaches an older run (4), and a query answer
 * that shows what the history did not yet hold (5).
 */
export class StoreChecks {
  constructor(
    private readonly base: Store,
    private readonly ledger: Ledger,
    private readonly rows: RowReader,
  ) {}

  /**
   * Runs `exec` (the call itself) with the checks around it. While a restarted database is down, the
   * checks' own reads fail as the call would: the call then fails with that error (before), or keeps
   * its outcome unchecked (after).
   */
  async around(method: string, args: unknown[], exec: () => Promise<unknown>): Promise<CallOutcome> {
    let before: unknown;
    let held: Map<string, { identity: string; until: number }> | undefined;
    try {
      before = await this.before(method, args);
      held = closes(method, args) ? await this.leases() : undefined;
    } catch (err) {
      if (isConnectionError(err)) return { error: err as Error };
      throw err;
    }
    const made = madeRun(method, args);
    if (made) this.ledger.starting.add(made);
    this.limitOf(method, args);
    let outcome: CallOutcome;
    try {
      outcome = { value: await exec() };
    } catch (err) {
      outcome = { error: err as Error };
    }
    try {
      if ('value' in outcome) await this.after(method, args, outcome.value, before);
      for (const [runId, lease] of held ?? []) {
        // closed from outside while held: its holder learns so at its next write
        if (['terminated', 'reset'].includes((await this.rows(runId))?.status as string))
          this.ledger.terminatedHolders.set(runId, lease);
      }
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.ledger.counts.unchecked++;
    } finally {
      if (made) this.ledger.starting.delete(made);
    }
    return outcome;
  }

  /** The runs held now, with their holder and lease expiry. */
  private async leases(): Promise<Map<string, { identity: string; until: number }>> {
    const held = new Map<string, { identity: string; until: number }>();
    for (const runIds of [...this.ledger.chains.values(), this.ledger.starting]) {
      for (const runId of runIds) {
        const row = await this.rows(runId);
        if (row?.leaseOwner && row.readyAt && OPEN.includes(row.status))
          held.set(runId, { identity: row.leaseOwner, until: row.readyAt.getTime() });
      }
    }
    return held;
  }

  private async before(method: string, args: unknown[]): Promise<unknown> {
    if (method === 'answerQuery') {
      const query = this.ledger.queries.get(args[0] as string);
      if (query?.name === 'progress') return this.base.loadHistory(query.runId);
    }
    const workflowId = byWorkflowId(method, args);
    return workflowId === undefined ? undefined : this.ledger.newest(workflowId);
  }

  private async after(method: string, args: unknown[], value: unknown, before: unknown): Promise<void> {
    const ledger = this.ledger;
    switch (method) {
      case 'claimTasks': {
        const [identity, , , , , lockMs] = args as [string, string[], string[], number, Date, number];
        for (const t of value as ClaimedTask[])
          ledger.taskClaims.push({
            identity,
            taskId: t.id,
            claim: t.claim,
            runId: t.runId,
            cmd: t.cmd,
            attempt: t.attempt,
            at: Date.now(),
            until: Date.now() + lockMs,
          });
        return;
      }
      case 'renewTasks': {
        const [claims, , lockMs] = args as [{ id: string; claim: number }[], Date, number];
        const lost = new Set(value as string[]);
        for (const c of claims) {
          const held = ledger.taskClaims.findLast((t) => t.taskId === c.id && t.claim === c.claim);
          if (held && !lost.has(c.id)) held.until = Date.now() + lockMs;
        }
        return;
      }
      case 'claim':
        return this.claimed(args[0] as string, value as ClaimedRun[]);
      case 'start': {
        const req = args[0] as StartRequest;
        const started = value as StartResult;
        if (started.created) ledger.created(req.workflowId, started.runId);
        else if (started.knownType) this.reached(method, req.workflowId, started.runId, before);
        return;
      }
      case 'continueAsNew': {
        const req = args[0] as ContinueRequest;
        if (value !== 'ok') return;
        const workflowId = ledger.workflowOf.get(req.runId) as string;
        ledger.created(workflowId, req.newRunId);
        ledger.successor.set(req.runId, req.newRunId);
        // A successor just started has no children or tasks of its own: whatever else is in its inbox
        // came from its predecessor, whose children's outcomes and task results are not its to read.
        // Unread signals, cancels and updates are.
        for (const item of (await this.base.readInbox(req.newRunId)).items) {
          if (item.kind === 'signal' || item.kind === 'cancel' || item.kind === 'update') continue;
          ledger.violation(
            3,
            'successor-inherits-outcome',
            `${workflowId}: run ${req.newRunId} inherits a '${item.kind}' outcome ${JSON.stringify(item.payload)} from its predecessor ${req.runId}, which continued as new`,
          );
        }
        return;
      }
      case 'reset': {
        const req = args[0] as ResetRequest;
        if (value !== 'ok') return;
        ledger.created(req.workflowId, req.newRunId);
        // An open run reset hands over to the new one, which result() then follows; a closed one keeps its outcome.
        if ((await this.rows(req.runId))?.status === 'reset') ledger.successor.set(req.runId, req.newRunId);
        return;
      }
      case 'enqueue':
      case 'retryNow':
      case 'terminate': {
        const workflowId = args[0] as string;
        const item = args[1] as Omit<InboxItem, 'id'> | undefined;
        const sigId = method === 'enqueue' ? signalId(item?.payload) : undefined;
        const newest = ledger.newest(workflowId);
        if (sigId) {
          const sent = ledger.signals.get(sigId) ?? { workflowId, accepted: false };
          if (value === true) sent.target = newest;
          ledger.signals.set(sigId, sent);
        }
        // Refused as closed while the newest run was open the whole time: it went to an older run.
        if (value === false && newest !== undefined && newest === before) {
          const row = await this.rows(newest);
          if (row && OPEN.includes(row.status))
            ledger.violation(
              4,
              `${method}-missed-newest`,
              `${workflowId}: ${method} answered "closed" while its newest run ${newest} was open (an older run was taken for the latest)`,
            );
        }
        return;
      }
      case 'describe': {
        const run = value as WorkflowDescription | undefined;
        if (args[1] === undefined && run) this.reached(method, args[0] as string, run.runId, before);
        return;
      }
      case 'postQuery': {
        if (typeof value !== 'object' || value === null) return;
        const posted = value as { queryId: string; runId: string };
        this.reached(method, args[0] as string, posted.runId, before);
        ledger.queries.set(posted.queryId, { runId: posted.runId, name: args[1] as string });
        return;
      }
      case 'answerQuery':
        return this.answered(
          args[0] as string,
          args[1] as QueryAnswer,
          before as RecordedEvent[] | undefined,
        );
      default:
        return;
    }
  }

  /**
   * The concurrency limit of the run a start, a continue-as-new or a reset makes (these two keep their
   * run's), known before the call: a worker may claim the run once the call's statement commits.
   */
  private limitOf(method: string, args: unknown[]): void {
    if (method !== 'start' && method !== 'continueAsNew' && method !== 'reset') return;
    const req = args[0] as { runId: string; newRunId?: string; concurrency?: { key: string; limit: number } };
    const limit = method === 'start' ? req.concurrency : this.ledger.limits.get(req.runId);
    const runId = method === 'start' ? req.runId : req.newRunId;
    if (limit && runId) this.ledger.limits.set(runId, limit);
  }

  /**
   * Invariant 9: once a claim returns, at most `limit` open runs of each claimed run's concurrency key
   * have ever been claimed (read at one instant).
   */
  private async claimed(identity: string, runs: ClaimedRun[]): Promise<void> {
    const ledger = this.ledger;
    for (const { runId } of runs) {
      const limit = ledger.limits.get(runId);
      if (!limit) continue;
      const ofKey = [...ledger.limits].flatMap(([id, l]) => (l.key === limit.key ? [id] : []));
      const started = await this.rows.started(ofKey);
      if (started > limit.limit)
        ledger.violation(
          9,
          'concurrency-limit-passed',
          `${limit.key}: ${started} open runs have started, limit ${limit.limit}, once ${ledger.nameOf(identity)} claimed ${ledger.workflowOf.get(runId)} run ${runId}`,
        );
    }
  }

  /** A call by workflow id must reach its newest run, never one the store created before it. */
  private reached(method: string, workflowId: string, runId: string, newestBefore: unknown): void {
    if (!this.ledger.older(workflowId, runId, newestBefore as string | undefined)) return;
    this.ledger.violation(
      4,
      `${method}-reached-older-run`,
      `${workflowId}: ${method} reached run ${runId}, but its newest run was ${newestBefore}`,
    );
  }

  /** A `progress` answer may not count more completed steps than the durable history holds. */
  private answered(queryId: string, answer: QueryAnswer, durable: RecordedEvent[] | undefined): void {
    const done = (answer.result as { done?: unknown } | undefined)?.done;
    const query = this.ledger.queries.get(queryId);
    if (!durable || !query || typeof done !== 'number') return;
    const steps = new Set(
      durable.flatMap((e) => (e.type === 'activity_scheduled' && e.name === 'step' ? [e.cmd] : [])),
    );
    const completed = durable.filter((e) => e.type === 'activity_completed' && steps.has(e.cmd)).length;
    if (done > completed)
      this.ledger.violation(
        5,
        'query-shows-undurable',
        `${this.ledger.workflowOf.get(query.runId)} run ${query.runId}: query 'progress' answered ${done} steps done while the durable history held ${completed} completions`,
      );
  }
}

/** The workflow id a call addresses by id alone (its newest run), if it is one of those. */
function byWorkflowId(method: string, args: unknown[]): string | undefined {
  if (method === 'enqueue' || method === 'retryNow' || method === 'terminate' || method === 'postQuery')
    return args[0] as string;
  if (method === 'describe' && args[1] === undefined) return args[0] as string;
  if (method === 'start' && !(args[0] as StartRequest).newRun) return (args[0] as StartRequest).workflowId;
  return undefined;
}

/** The id a simulated signal carries in its payload. */
export function signalId(payload: Json | undefined): string | undefined {
  const id = (payload as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** Calls that may terminate runs: a terminate, and every close (by its children's parent-close policy). */
/** The run id a start or a continue-as-new makes its run under, if the call makes one. */
function madeRun(method: string, args: unknown[]): string | undefined {
  if (method === 'start') return (args[0] as StartRequest).runId;
  if (method === 'continueAsNew') return (args[0] as ContinueRequest).newRunId;
  return undefined;
}

function closes(method: string, args: unknown[]): boolean {
  if (method === 'terminate' || method === 'continueAsNew' || method === 'reset') return true;
  return method === 'commit' && (args[0] as { close?: unknown }).close !== undefined;
}
