import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, or the one REEL_CHROMIUM names; never a downloaded browser. */
const CHROMIUM = process.env.REEL_CHROMIUM || '/usr/bin/chromium';
/** Set by `pnpm docs:screenshots`: where the pictures of docs/dashboard.md are written. */
const SCREENSHOTS = process.env.REEL_SCREENSHOTS;

/** Launches the browser the dashboard tests drive, or says how to install one. */
export function launchChromium(): Promise<Browser> {
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
