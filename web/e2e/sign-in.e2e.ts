import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchBrowser, newContext, screenshots, signIn } from './harness.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('signing in', () => {
  it('sends a visitor to the sign-in page, which is accessible', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto('/fleet');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('Email').waitFor();
    await expectAccessible(page);
    await screenshots(page, 'sign-in');
  });

  it('says in words why a wrong password is refused, and keeps the visitor on the page', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill('scheduler@demo.local');
    await page.getByLabel(/^Password/).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Could not sign in');
    expect(await alert.textContent()).toMatch(/email or password/i);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
  });

  it('signs a scheduler in to the page they asked for, keeps them signed in on reload, and signs them out', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto('/schedule');
    await page.getByLabel('Email').waitFor();
    await signIn(page, 'scheduler@demo.local');
    expect(new URL(page.url()).pathname).toBe('/schedule');
    expect(await page.getByTestId('signed-in-as').textContent()).toContain(
      'scheduler@demo.local · scheduler',
    );
    await page.reload();
    await page.getByTestId('signed-in-as').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
  });
});
