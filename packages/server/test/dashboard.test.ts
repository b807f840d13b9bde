import { type Client, NonDeterminismError, toErrorInfo } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseApiKeys } from '../src/auth.ts';
import { act, type Dashboard, openDashboard, status } from './browser.ts';
import { dashboardActivities, dashboardWorkflows } from './fixtures/dashboard-workflows.ts';

const db = useTestDatabase();
const ADMIN = 'dash-admin-key';
const READER = 'dash-reader-key';
let dashboard: Dashboard;
let client: Client;
let url: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dashboard = await openDashboard(db.connectionString, {
    workflows: dashboardWorkflows,
    activities: dashboardActivities,
    apiKeys: parseApiKeys(`${ADMIN}:admin;${READER}:read`),
  });
  ({ client, url, browser, page } = dashboard);
});

afterAll(() => dashboard?.close());

describe('the dashboard', () => {
  it('asks for the key, then lists a started workflow with counts by status', async () => {
    const handle = await client.start('threeSteps', 'book', { id: 'order-1' });
    await handle.result();
    await client.start('approval', undefined, { id: 'order-2' });
    await page.goto(url);
    await page.fill('input[name=apiKey]', ADMIN);
    await page.click('text=Use this key');
    await page.locator('a', { hasText: 'order-1' }).waitFor();
    await page.locator('a', { hasText: 'order-2' }).waitFor();
    await page.locator('[data-status=completed] .count', { hasText: '1' }).waitFor();
    await page.locator('[data-status=running] .count', { hasText: '1' }).waitFor();
    await page.click('[data-status=completed]');
    await page.locator('a', { hasText: 'order-2' }).waitFor({ state: 'detached' });
    expect(await page.locator('table.runs tbody tr').count()).toBe(1);
    await page.click('[data-status=all]');
    await page.locator('a', { hasText: 'order-2' }).waitFor();
  });

  it('draws one timeline bar per activity of a run, with its history', async () => {
    await page.click('a:has-text("order-1")');
    await status(page, 'completed');
    await page.locator('svg.timeline g.row.activity').nth(2).waitFor();
    expect(await page.locator('svg.timeline g.row.activity').count()).toBe(3);
    expect(await page.locator('svg.timeline g.row.activity rect.attempt.completed').count()).toBe(3);
    expect(await page.locator('table.history tbody tr').count()).toBe(
      (await client.history('order-1')).events.length,
    );
  });

  it('shows a run that waits on a signal as waiting for input, and asks only for new events', async () => {
    const historyAsked: string[] = [];
    const asked = (r: Request) => r.url().includes('/order-2/history') && historyAsked.push(r.url());
    page.on('request', asked);
    await page.goto(`${url}/#/workflows/order-2`);
    await status(page, 'running');
    await page.locator('.waiting', { hasText: 'Waiting for input (a signal or a condition)' }).waitFor();
    await page.locator('svg.timeline g.row.input-wait.waiting').waitFor();
    // The next look asks for the events after the last one it has, not the whole history again.
    await page.waitForRequest((r) => r.url().includes('/order-2/history') && /after=\d/.test(r.url()));
    page.off('request', asked);
    expect(historyAsked[0]).not.toContain('after=');
  });

  it('runs a query from its page and shows the answer, or the refusal in the dialog', async () => {
    await page.fill('input[name=queryName]', 'stage');
    await act(page, '.json-form.query button');
    await page.locator('[data-testid=answer]', { hasText: '"awaiting approval"' }).waitFor();
    await page.fill('input[name=queryName]', 'nope');
    await act(page, '.json-form.query button');
    await page.locator('dialog[open] [role=alert]', { hasText: 'REEL_UNKNOWN_QUERY' }).waitFor();
    await page.click('dialog[open] [data-dialog=close]');
    await page.locator('dialog').waitFor({ state: 'detached' });
  });

  it("sends an update from its page and shows the handler's answer, or the validator's refusal", async () => {
    await page.fill('input[name=updateName]', 'note');
    await page.fill('textarea[name=updateJson]', '"fragile"');
    await act(page, '.json-form.update button');
    await page.locator('[data-testid=answer]', { hasText: '1' }).waitFor();
    await page.fill('textarea[name=updateJson]', '42');
    await act(page, '.json-form.update button');
    await page.locator('dialog[open] [role=alert]', { hasText: 'A note is a JSON string.' }).waitFor();
    await page.click('dialog[open] [data-dialog=close]');
    await page.locator('dialog').waitFor({ state: 'detached' });
    const accepted = (await client.history('order-2')).events.filter((e) => e.type === 'update_accepted');
    expect(accepted).toHaveLength(1); // the refused one left nothing in history
  });

  it('sends a signal from its JSON editor, and the run goes on', async () => {
    await page.goto(`${url}/#/workflows/order-2`);
    await status(page, 'running');
    await page.fill('input[name=signalName]', 'approve');
    await page.fill('textarea[name=signalJson]', '{"item": ');
    await page.locator('.json-form.signal .error', { hasText: 'Not JSON' }).waitFor();
    expect(await page.locator('.json-form.signal button').isDisabled()).toBe(true);
    await page.fill('textarea[name=signalJson]', '{"item": "lamp"}');
    await act(page, 'text=Send signal');
    await status(page, 'completed');
    expect(await client.result('order-2')).toBe('shipped lamp');
    await page.locator('.waiting').waitFor({ state: 'detached' });
    expect(await page.locator('svg.timeline g.row.input-wait').count()).toBe(0);
    // Every event, read a few at a time, once each.
    await page
      .locator('table.history tbody tr')
      .nth((await client.history('order-2')).events.length - 1)
      .waitFor();
    expect(await page.locator('table.history tbody tr').count()).toBe(
      (await client.history('order-2')).events.length,
    );
  });

  it('cancels a run from its page', async () => {
    await client.start('approval', undefined, { id: 'order-3' });
    await page.goto(`${url}/#/workflows/order-3`);
    await status(page, 'running');
    await page.click('[data-action=Cancel]');
    // Asked first: cancelling the dialog does nothing.
    await page.click('dialog[open] [data-dialog=close]');
    await page.locator('dialog').waitFor({ state: 'detached' });
    expect((await client.describe('order-3')).status).toBe('running');
    await act(page, '[data-action=Cancel]');
    await status(page, 'cancelled');
    expect((await client.describe('order-3')).status).toBe('cancelled');
  });

  it('resets a run to a chosen event: a new run redoes the rest', async () => {
    const before = await client.describe('order-1');
    const events = (await client.history('order-1')).events;
    const firstDone = events.find((e) => e.type === 'activity_completed');
    await page.goto(`${url}/#/workflows/order-1`);
    await status(page, 'completed');
    // Inside an activity's attempt is no point to reset to: the page shows the API's refusal.
    const scheduled = events.find((e) => e.type === 'activity_scheduled');
    await act(page, `table.history tbody tr:nth-child(${(scheduled?.seq ?? 0) + 1}) [data-action=reset]`);
    await page.locator('dialog[open] [role=alert]', { hasText: 'REEL_INVALID_RESET_POINT' }).waitFor();
    await page.click('dialog[open] [data-dialog=close]');
    await act(page, `table.history tbody tr:nth-child(${(firstDone?.seq ?? 0) + 1}) [data-action=reset]`);
    await page.locator('.facts dt', { hasText: 'Reset from' }).waitFor();
    await status(page, 'completed');
    const after = await client.describe('order-1');
    expect(after.runId).not.toBe(before.runId);
    expect((await client.describe('order-1', { runId: before.runId })).status).toBe('completed');
  });

  it('lists only the latest run of each id when asked: the run a reset took over leaves the list', async () => {
    await page.goto(`${url}/#/workflows`);
    const rows = page.locator('table.runs tbody tr', { hasText: 'order-1' });
    await expect.poll(() => rows.count()).toBe(2);
    await page.check('input[name=latest]');
    await page.click('form.filters button[type=submit]');
    await expect.poll(() => rows.count()).toBe(1);
  });

  it("links a child to its parent and back, and shows a workflow id's runs, each one's page a click away", async () => {
    await (await client.start('family', 'kettle', { id: 'family-1' })).result();
    await page.goto(`${url}/#/workflows/family-1-child`);
    await status(page, 'completed');
    await page.click('[data-testid=parent] a');
    await page.locator('h1', { hasText: /^family-1$/ }).waitFor();
    await page.click('[data-testid=children] a');
    await page.locator('h1', { hasText: 'family-1-child' }).waitFor();

    await (await client.start('counter', 0, { id: 'counter-1' })).result();
    const runs = await client.runs('counter-1');
    await page.goto(`${url}/#/workflows/counter-1`);
    await status(page, 'completed');
    await page.locator('.runs-chain li').nth(2).waitFor();
    expect(await page.locator('.runs-chain li .status').allTextContents()).toEqual([
      'completed',
      'continued',
      'continued',
    ]);
    await page.click('.runs-chain li:nth-child(3) a');
    await status(page, 'continued');
    await page.locator('.facts code', { hasText: runs[2]?.runId ?? 'none' }).waitFor();
    expect(await page.locator('.runs-chain li.current').textContent()).toContain('continued');
  });

  it("shows a parked run's nondeterminism as the code's command beside history's", async () => {
    // A run parked as a worker parks it, with a type no worker here serves, so it stays parked.
    const now = new Date();
    await client.store.registerTypes(['drifting'], now);
    await client.start('drifting', null, { id: 'drift-1' });
    const [lease] = await client.store.claim('test', ['drifting'], 1, now, 60_000);
    if (!lease) throw new Error('expected to claim drift-1');
    const diverged = new NonDeterminismError(
      'drift-1',
      3,
      { kind: 'activity', name: 'charge' },
      { kind: 'timer' },
    );
    await client.store.park(lease, toErrorInfo(diverged), now, new Date(now.getTime() + 3_600_000));
    await page.goto(`${url}/#/workflows/drift-1`);
    await status(page, 'parked');
    await page.locator('.parked table.divergence td.expected', { hasText: 'activity charge' }).waitFor();
    expect(await page.locator('.parked table.divergence td.recorded').textContent()).toBe('timer');
    expect(await page.locator('.parked table.divergence td').first().textContent()).toBe('#3');
  });

  it('pauses, resumes and triggers a schedule from the schedules page', async () => {
    await client.schedules.create({ id: 'nightly', workflow: 'threeSteps', cron: '0 3 * * *', input: 'tea' });
    await page.goto(`${url}/#/schedules`);
    await page.locator('td', { hasText: 'nightly' }).waitFor();
    await act(page, '[data-action=Pause]');
    await page.locator('[data-action=Resume]').waitFor();
    expect((await client.schedules.describe('nightly')).paused).toBe(true);
    await act(page, '[data-action=Resume]');
    await page.locator('[data-action=Pause]').waitFor();
    await act(page, '[data-action=Trigger]');
    await page.locator('td a', { hasText: 'nightly@' }).waitFor();
    expect((await client.schedules.describe('nightly')).recentRuns).toHaveLength(1);
  });

  it('shows a run waiting for a concurrency slot, with its key, and its priority, in the list and on its page', async () => {
    const concurrency = { key: 'dash-slot', limit: 1 };
    await client.start('approval', undefined, { id: 'slot-holder', concurrency });
    await client.start('approval', undefined, { id: 'slot-waiter', concurrency, priority: 7 });
    await page.goto(url);
    const row = page.locator('table.runs tbody tr', { has: page.locator('a', { hasText: 'slot-waiter' }) });
    await row.locator('[data-testid=slot-wait]', { hasText: 'dash-slot' }).waitFor();
    expect(await row.locator('td').nth(3).textContent()).toBe('7');
    await row.locator('a').click();
    await page.locator('.waiting [data-testid=slot-wait]', { hasText: 'dash-slot' }).waitFor();
    expect(await page.locator('[data-testid=priority]').textContent()).toBe('7');
    // It has not started: it waits for no input yet.
    expect(await page.locator('.input-wait').count()).toBe(0);
    for (const id of ['slot-holder', 'slot-waiter']) await client.terminate(id);
  });

  it("shows an attempt waiting for its activity's concurrency slot, with the key", async () => {
    const ids = ['pack-1', 'pack-2'];
    for (const id of ids) await client.start('packing', id, { id });
    // One attempt holds the key's only slot; the other waits for it.
    const waiter = await vi.waitFor(async () => {
      const runs = await Promise.all(ids.map((id) => client.describe(id)));
      const waiting = runs.find((r) => r.pending?.activities[0]?.waitingFor);
      if (!waiting) throw new Error('no attempt waits yet');
      return waiting.workflowId;
    }, 15_000);
    await page.goto(`${url}/#/workflows/${waiter}`);
    const wait = page.locator('.waiting [data-testid=activity-wait]');
    await wait.waitFor();
    expect(await wait.textContent()).toBe('waiting for a slot of dash-pack');
    for (const id of ids) await client.terminate(id);
  });

  it('shows a read-only key no action, and the API refuses the actions anyway', async () => {
    await client.start('approval', undefined, { id: 'order-4' });
    const reader = await browser.newPage();
    try {
      await reader.goto(url);
      await reader.fill('input[name=apiKey]', READER);
      await reader.click('text=Use this key');
      await reader.goto(`${url}/#/workflows/order-4`);
      await status(reader, 'running');
      await reader.locator('svg.timeline').waitFor();
      expect(await reader.locator('[data-action]').count()).toBe(0);
      expect(await reader.locator('.json-form.signal, .json-form.update').count()).toBe(0);
      const refused = await reader.evaluate(async (key) => {
        const res = await fetch('v1/workflows/order-4/cancel', {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: '{}',
        });
        return { status: res.status, body: (await res.json()) as { error: { code: string } } };
      }, READER);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('REEL_FORBIDDEN');
      expect((await client.describe('order-4')).status).toBe('running');
    } finally {
      await reader.close();
    }
  });
});
