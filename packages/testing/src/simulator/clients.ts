import {
  CancelledError,
  Client,
  checkResetPoint,
  ReelError,
  WorkflowFailedError,
  type WorkflowFn,
  WorkflowTerminatedError,
} from '@reel/sdk';
import { skewedClock } from './clocks.ts';
import { faultStore } from './fault-store.ts';
import type { SeenResult } from './ledger.ts';
import type { Op, TimedOp, WorkflowSpec } from './plan.ts';
import { runAs, SimProcess } from './process.ts';
import type { AuditArg } from './workflows.ts';
import type { World } from './world.ts';

interface ClientProcess {
  proc: SimProcess;
  client: Client;
}

/**
 * The scenario's client processes, running its operations at their planned times: real `Client`s on
 * fault-injecting stores. A crashed client is replaced for the operations that follow; its own
 * operations never return. Outcomes go to the ledger: accepted signals, the results seen.
 */
export class ClientPool {
  private readonly slots: ClientProcess[] = [];
  private readonly all: SimProcess[] = [];
  /** Operations under way, each with the process running it. */
  private readonly pending = new Set<{ proc: SimProcess }>();
  private generation = 0;
  /** Run ids the starts returned, by workflow id: `result()` then follows the chain from there. */
  private readonly firstRuns = new Map<string, string>();

  constructor(private readonly world: World) {}

  schedule(ops: TimedOp[]): void {
    for (const op of ops) this.world.timers.after(undefined, op.at, () => this.run(op));
  }

  processes(): SimProcess[] {
    return [...this.all];
  }

  /** True when every operation has returned, or its process is dead. */
  settled(): boolean {
    return [...this.pending].every((op) => !op.proc.alive);
  }

  private process(slot: number): ClientProcess {
    const current = this.slots[slot];
    if (current?.proc.alive) return current;
    const proc = new SimProcess(`c${slot}.${this.generation++}`, 'client', this.world.timers);
    const clock = skewedClock(
      this.world.plan.clients[slot] ?? { offsetMs: 0, quantumMs: 1, jumps: [] },
      this.world.startMs,
    );
    const fresh = { proc, client: new Client({ store: faultStore(proc, this.world), clock }) };
    this.slots[slot] = fresh;
    this.all.push(proc);
    return fresh;
  }

  private run(timed: TimedOp): void {
    const { proc, client } = this.process(timed.client);
    this.world.ledger.counts.clientOps++;
    const entry = { proc };
    this.pending.add(entry);
    void runAs(proc, () => this.execute(client, timed.op))
      .catch((err) =>
        this.world.trace.record(`${proc.name} ${timed.op.kind} failed: ${(err as Error).message}`),
      )
      .finally(() => this.pending.delete(entry));
  }

  private async execute(client: Client, op: Op): Promise<void> {
    const ledger = this.world.ledger;
    switch (op.kind) {
      case 'start': {
        const handle = await client.start(op.wf.type as unknown as WorkflowFn, op.wf.input, options(op.wf));
        if (handle.runId && !this.firstRuns.has(op.wf.id)) this.firstRuns.set(op.wf.id, handle.runId);
        return;
      }
      case 'signalWithStart': {
        ledger.signals.set(op.sigId, { workflowId: op.wf.id, accepted: false });
        await client.signalWithStart(
          op.wf.type as unknown as WorkflowFn,
          op.wf.input,
          options(op.wf),
          'deposit',
          {
            id: op.sigId,
            n: op.n,
          },
        );
        (ledger.signals.get(op.sigId) as { accepted: boolean }).accepted = true;
        return;
      }
      case 'signal': {
        ledger.signals.set(op.sigId, { workflowId: op.workflowId, accepted: false });
        await client.signal(op.workflowId, op.name, { id: op.sigId, n: op.n });
        (ledger.signals.get(op.sigId) as { accepted: boolean }).accepted = true;
        return;
      }
      case 'cancel':
        return client.cancel(op.workflowId, 'the simulation cancelled it');
      case 'terminate':
        return client.terminate(op.workflowId, 'the simulation terminated it');
      case 'query':
        await client.query(op.workflowId, 'progress', [], { timeout: 3000 });
        return;
      case 'describe':
        await client.describe(op.workflowId);
        return;
      case 'retryNow':
        return client.retryNow(op.workflowId);
      case 'reset': {
        const { events } = await client.history(op.workflowId);
        const valid = events.flatMap((e) => {
          try {
            return [checkResetPoint(op.workflowId, events, e.seq)];
          } catch {
            return [];
          }
        });
        const toEvent = valid[Math.floor(op.point * valid.length)];
        if (toEvent !== undefined) await client.reset(op.workflowId, { toEvent });
        return;
      }
      case 'result':
        ledger.results.push(await this.result(client, op.workflowId, op.timeoutMs));
        return;
      case 'update': {
        const { workflowId, updateId, n } = op;
        const arg: AuditArg = { id: updateId, n };
        const call = { workflowId, updateId, newest: ledger.newest(workflowId) };
        try {
          const result = await client.update(workflowId, 'audit', arg, { updateId, timeout: 5000 });
          ledger.updates.push({ ...call, outcome: { result } });
        } catch (err) {
          if (!(err instanceof ReelError)) throw err;
          ledger.updates.push({ ...call, outcome: { code: err.code } });
        }
        return;
      }
    }
  }

  /** What `result()` returns or throws, from the run the start returned (or the newest one). */
  private async result(client: Client, workflowId: string, timeoutMs: number): Promise<SeenResult> {
    const runId = this.firstRuns.get(workflowId);
    const seen = (status: SeenResult['status'], value?: unknown): SeenResult => ({
      workflowId,
      runId,
      status,
      value,
    });
    try {
      return seen('completed', await client.result(workflowId, { runId, timeout: timeoutMs }));
    } catch (err) {
      if (err instanceof WorkflowTerminatedError) return seen('terminated');
      if (err instanceof CancelledError) return seen('cancelled');
      if (err instanceof WorkflowFailedError) return seen('failed', err.failure.message);
      if (err instanceof ReelError && err.code === 'REEL_TIMEOUT') return seen('timeout');
      throw err;
    }
  }
}

/** How a client starts `wf`: under its id, with its concurrency limit if it has one. */
function options(wf: WorkflowSpec): { id: string; concurrency?: WorkflowSpec['concurrency'] } {
  return wf.concurrency ? { id: wf.id, concurrency: wf.concurrency } : { id: wf.id };
}
