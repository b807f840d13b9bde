import { ActivityFailure, type WorkflowContext } from '@reel/sdk';
import { fetchNotifications, fetchOrders, fetchUser, renderDashboard } from './activities.ts';

export interface DashboardResult {
  url: string;
  orders: number;
  /** False when the notification service could not be reached: the page was rendered without them. */
  notifications: boolean;
}

/**
 * Fetches a user, their orders and their notifications at the same time, then renders a page
 * from the three. The user and the orders are required: when one fails for good, the run fails.
 * Notifications are optional: when they fail for good, the page is rendered without them.
 */
export async function buildDashboard(ctx: WorkflowContext, userId: string): Promise<DashboardResult> {
  // Three commands issued together: the three activities run in parallel.
  const [user, orders, notifications] = await Promise.all([
    ctx.activity(fetchUser, userId),
    ctx.activity(fetchOrders, userId),
    ctx.activity(fetchNotifications, userId).catch(withoutIt),
  ]);
  const url = await ctx.activity(renderDashboard, { user, orders, notifications });
  return { url, orders: orders.length, notifications: notifications !== null };
}

/** An optional step that failed for good is left out; anything else (a cancellation) goes on up. */
function withoutIt(err: unknown): null {
  if (err instanceof ActivityFailure) return null;
  throw err;
}

/** What `reel dev --workflows examples/dashboard-builder/workflows.ts` and `reel worker` run. */
export const workflows = { buildDashboard };
export const activities = { fetchUser, fetchOrders, fetchNotifications, renderDashboard };
