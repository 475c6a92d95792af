import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect, inject } from 'vitest';

/** Where the journeys keep their screenshots (`.ci/run` prints it). */
export const SCREENSHOTS = path.resolve(import.meta.dirname, 'screenshots');

/** The demo logins' password (`amss dev` prints it; src/app/demo-data.ts). */
export const DEMO_PASSWORD = 'ChangeMe123!';

/** The two screen sizes every page is looked at: a laptop and a tablet in the hangar. */
export const VIEWPORTS = [
  { width: 1440, height: 900 },
  { width: 1024, height: 768 },
] as const;

export const baseURL = (): string => inject('baseURL');

/** A new browser context (its own session storage: another person at another screen). */
export function newContext(browser: Browser): Promise<BrowserContext> {
  // Reduced motion: Mantine skips its transitions, so axe and screenshots never catch a dialog half-faded.
  return browser.newContext({
    reducedMotion: 'reduce',
    baseURL: baseURL(),
    viewport: VIEWPORTS[0],
    timezoneId: 'Europe/Berlin',
    locale: 'en-GB',
  });
}

/** Signs in through the sign-in page as a demo user and waits for the dashboard. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  if (!page.url().includes('/sign-in')) await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
}

/**
 * Screenshots of the page as it is now, at each viewport (full page), named `<name>-<w>x<h>.png`;
 * the page is left at the first viewport.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const viewport of [...VIEWPORTS].reverse()) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(300);
    await page.screenshot({
      path: path.join(SCREENSHOTS, `${name}-${viewport.width}x${viewport.height}.png`),
      fullPage: true,
    });
  }
}

/**
 * How far the table with this test id overflows its scroll area sideways, at a viewport of the
 * given size (0: it fits, nothing is cut off), once the page has taken the new size.
 */
export async function tableOverflowAt(
  page: Page,
  viewport: (typeof VIEWPORTS)[number],
  testId: string,
): Promise<number | string> {
  await page.setViewportSize(viewport);
  await expect.poll(() => page.evaluate<number>('window.innerWidth')).toBe(viewport.width);
  return page.evaluate<number | string>(`(() => {
    const table = document.querySelector('[data-testid="${testId}"]');
    const viewport = table?.closest('.mantine-ScrollArea-viewport');
    return viewport ? viewport.scrollWidth - viewport.clientWidth : 'no scroll container';
  })()`);
}

/** No serious or critical accessibility violation on the page as it is now (axe-core). */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const grave = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    );
  expect(grave).toEqual([]);
}

/** Signs in over the API and answers the access token, for a journey's setup. */
export async function apiToken(email: string, password = DEMO_PASSWORD, orgId?: string): Promise<string> {
  const response = await fetch(`${baseURL()}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, ...(orgId ? { org_id: orgId } : {}) }),
  });
  if (!response.ok)
    throw new Error(`login of ${email} answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** A JSON call to the API as the holder of `token`; throws with the envelope on a refusal. */
export async function apiCall<T>(token: string, method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseURL()}/api/v1${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}
