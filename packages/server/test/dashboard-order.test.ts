import { type Client, WorkflowFailedError } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, type Order, workflows } from '../../../examples/order/workflows.ts';
import { act, type Dashboard, openDashboard, screenshot, status } from './browser.ts';

// The order example as `reel dev` serves it (no API keys), followed and acted on from the dashboard.
// `pnpm docs:screenshots` takes docs/dashboard.md's pictures from here.

const db = useTestDatabase();
let dashboard: Dashboard;
let client: Client;
let url: string;
let page: Page;

beforeAll(async () => {
  dashboard = await openDashboard(db.connectionString, { workflows, activities });
  ({ client, url, page } = dashboard);
});

afterAll(() => dashboard?.close());

const order = (id: string, fields: Partial<Order> = {}): Order => ({
  id,
  card: '4242 4242 4242 4242',
  total: 4200,
  shipAfter: '1s',
  ...fields,
});

describe('the order example in the dashboard', () => {
  it("follows each order's story and approves a waiting one from its page", async () => {
    const shipped = await client.start('orderWorkflow', order('1001'), { id: 'order-1001' });
    const rejected = await client.start('orderWorkflow', order('1002'), { id: 'order-1002' });
    const declined = await client.start('orderWorkflow', order('1003', { card: '4000 0000 0000 0000' }), {
      id: 'order-1003',
    });
    await client.signal('order-1001', 'approve', { approved: true, by: 'ops' });
    await client.signal('order-1002', 'approve', { approved: false });
    expect(await shipped.result()).toMatchObject({ status: 'shipped' });
    expect(await rejected.result()).toEqual({ status: 'rejected' });
    await expect(declined.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    await client.start('orderWorkflow', order('1004'), { id: 'order-1004' });

    await page.goto(url);
    await page.locator('a', { hasText: 'order-1004' }).waitFor();
    await page.locator('[data-status=completed] .count', { hasText: '2' }).waitFor();
    await page.locator('[data-status=failed] .count', { hasText: '1' }).waitFor();
    await screenshot(page, 'dashboard-list.png');

    await page.click('a:has-text("order-1003")');
    await status(page, 'failed');
    await page.locator('.error-info', { hasText: 'The card ending 0000 was declined.' }).waitFor();

    await page.goto(`${url}/#/workflows/order-1004`);
    await status(page, 'running');
    // The approval wait has a timeout, so it is a timer: its row is the one highlighted.
    await page.locator('svg.timeline g.row.signal-wait.waiting').waitFor();
    await page.locator('.waiting li', { hasText: 'signal approve, until' }).waitFor();
    await screenshot(page, 'dashboard-workflow.png');

    await page.fill('input[name=signalName]', 'approve');
    await page.fill('textarea[name=signalJson]', '{"approved": true, "by": "ops"}');
    await act(page, 'text=Send signal');
    await status(page, 'completed');
    expect(await client.result('order-1004')).toMatchObject({ status: 'shipped' });
    expect(await page.locator('svg.timeline g.row.activity rect.attempt.completed').count()).toBe(2);
    await screenshot(page, 'dashboard-shipped.png');
  });
});
