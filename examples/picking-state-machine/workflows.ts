import type { WorkflowContext } from '@reel/sdk';
import { notifyWarehouse } from './activities.ts';

/** The workflow input: plain JSON. */
export interface Order {
  id: string;
}

/** Where an order stands. `done` and `expired` are final. */
export type PickingState = 'idle' | 'picking' | 'assigned' | 'done' | 'expired';

/** The argument of the 'transition' update: the state to move to, and who moves the order there. */
export interface Transition {
  to: PickingState;
  by: string;
}

/** What the 'transition' update answers and the 'state' query reads: the order's current state. */
export interface OrderState {
  state: PickingState;
  /** Who moved the order to this state ('timeout' for `expired`). */
  by: string;
  /** When it entered this state (ISO 8601). */
  since: string;
  /** When it expires if it does not move on (ISO 8601); none in a state without a timeout. */
  expiresAt?: string;
}

export interface PickingResult {
  state: 'done' | 'expired';
  /** Every state the order went through, oldest first. */
  trail: OrderState[];
}

/** The one state each state may move to by a transition. */
const NEXT: Partial<Record<PickingState, PickingState>> = {
  idle: 'picking',
  picking: 'assigned',
  assigned: 'done',
};

/** How long, in minutes, an order may stay in a state before it expires. */
const TIMEOUT_MINUTES: Partial<Record<PickingState, number>> = { idle: 30, picking: 60 };

/**
 * An order picking flow as a state machine: idle → picking → assigned → done. A picker takes an
 * idle order within 30 minutes and picks it within 60, or it expires. Each move is a 'transition'
 * update, which answers the caller with the new state; its validator refuses a move the current
 * state does not allow, before anything is recorded.
 */
export async function pickingStateMachine(ctx: WorkflowContext, order: Order): Promise<PickingResult> {
  const trail: OrderState[] = [];
  const enter = (state: PickingState, by: string): OrderState => {
    const now = ctx.now();
    const minutes = TIMEOUT_MINUTES[state];
    const expiresAt =
      minutes === undefined ? undefined : new Date(now.getTime() + minutes * 60_000).toISOString();
    trail.push({ state, by, since: now.toISOString(), ...(expiresAt ? { expiresAt } : {}) });
    return current();
  };
  const current = (): OrderState => trail[trail.length - 1] as OrderState;

  ctx.onQuery('state', current);
  ctx.onUpdate('transition', (t: Transition) => enter(t.to, t.by), {
    validate: (t) => {
      const { state } = current();
      const allowed = NEXT[state];
      if (allowed === undefined) throw new Error(`Order ${order.id} is ${state}: it moves no more.`);
      if (t?.to !== allowed) {
        throw new Error(
          `Order ${order.id} cannot go from ${state} to ${String(t?.to)}: from ${state} it can only go to ${allowed}.`,
        );
      }
      if (typeof t.by !== 'string' || t.by === '') {
        throw new Error(`Say who moves order ${order.id} to ${t.to}: { "to": "${t.to}", "by": "<name>" }.`);
      }
    },
  });

  enter('idle', 'system');
  for (let told = 0; ; ) {
    // Updates may move the order while the warehouse is being told: tell it of every state entered.
    for (; told < trail.length; told++) {
      const { state, by } = trail[told] as OrderState;
      await ctx.activity(notifyWarehouse, order.id, `${state} (${by})`);
    }
    const { state, expiresAt } = current();
    if (state === 'done' || state === 'expired') return { state, trail };
    const timeout = expiresAt ? { timeout: Date.parse(expiresAt) - ctx.now().getTime() } : undefined;
    if (!(await ctx.waitFor(() => current().state !== state, timeout))) enter('expired', 'timeout');
  }
}

/** What `reel dev --workflows examples/picking-state-machine/workflows.ts` and `reel worker` run. */
export const workflows = { pickingStateMachine };
export const activities = { notifyWarehouse };
