import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { Worker, type WorkerOptions } from '@reel/worker';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ApiKey } from '../src/options.ts';
import { startServer } from '../src/server.ts';

/** Debian's Chromium, or the one REEL_CHROMIUM names; never a downloaded browser. */
const CHROMIUM = process.env.REEL_CHROMIUM || '/usr/bin/chromium';
/** Set by `pnpm docs:screenshots`: where the pictures of docs/dashboard.md are written. */
const SCREENSHOTS = process.env.REEL_SCREENSHOTS;

/** A server with a worker on a test database, and a browser page to drive its dashboard. */
export interface Dashboard {
  client: Client;
  url: string;
  browser: Browser;
  page: Page;
  /** Stops them all, and checks that the page's scripts threw nothing. */
  close(): Promise<void>;
}

/** Starts a worker of `workflows`, the server (with `apiKeys`, or none as `reel dev`) and Chromium. */
export async function openDashboard(
  connectionString: string,
  options: Pick<WorkerOptions, 'workflows' | 'activities'> & { apiKeys?: ApiKey[] },
): Promise<Dashboard> {
  const worker = await Worker.create({
    connectionString,
    workflows: options.workflows,
    activities: options.activities,
    handleSignals: false,
    stickyMs: 50,
    logger: recordingLogger(),
  });
  void worker.run();
  const client = new Client({ connectionString });
  const { app, url } = await startServer({ client, apiKeys: options.apiKeys, logger: false, port: 0 });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(8000);
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  // No action may fall back to the browser's own confirm(): it would block the page.
  page.on('dialog', (dialog) => {
    pageErrors.push(new Error(`a browser dialog opened: ${dialog.message()}`));
    void dialog.dismiss();
  });
  const close = async () => {
    await browser.close();
    await app.close();
    await worker.shutdown();
    await client.close();
    expect(pageErrors).toEqual([]);
  };
  return { client, url, browser, page, close };
}

/** Launches the browser the dashboard tests drive, or says how to install one. */
function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set REEL_CHROMIUM to one.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Saves what `page` shows as `name` for docs/dashboard.md, when `pnpm docs:screenshots` runs. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name) });
}

/** Waits until the run's page shows `text` as its status. */
export const status = (page: Page, text: string) =>
  page.locator('[data-testid=status]', { hasText: new RegExp(`^${text}$`) }).waitFor();

/** Clicks the action `selector` and confirms it in the page's dialog. */
export async function act(page: Page, selector: string): Promise<void> {
  await page.click(selector);
  await page.click('dialog[open] [data-dialog=confirm]');
}
