import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

/** Debian's Chromium: the tests never download a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the browser tests leave their screenshots, for a person to look at. */
export const SCREENSHOT_DIR = path.join(__dirname, '..', '..', 'screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking'],
  });
}

/** A page that records what a user must never see happen: dialogs, script errors, other origins. */
export interface WatchedPage {
  readonly page: Page;
  readonly dialogs: string[];
  readonly pageErrors: string[];
  /** Requests to anywhere but the UI's own origin. */
  readonly foreignRequests: string[];
}

export async function watchedPage(browser: Browser, origin: string): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const watched: WatchedPage = { page, dialogs: [], pageErrors: [], foreignRequests: [] };
  page.on('dialog', (d) => {
    watched.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => watched.pageErrors.push(e.message));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:') {
      watched.foreignRequests.push(r.url());
    }
  });
  return watched;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
