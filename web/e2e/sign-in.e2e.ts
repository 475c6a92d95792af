import { describe, expect, it } from 'vitest';
import {
  apiCall,
  apiToken,
  DEMO_PASSWORD,
  expectAccessible,
  newContext,
  screenshots,
  signIn,
} from './harness.js';
import { useBrowser } from './browser.js';

const browser = useBrowser();

describe('signing in', () => {
  it('sends a visitor to the sign-in page, which is accessible', async () => {
    const page = await (await newContext(browser())).newPage();
    await page.goto('/fleet');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('Email').waitFor();
    await expectAccessible(page);
    await screenshots(page, 'sign-in');
  });

  it('says in words why a wrong password is refused, and keeps the visitor on the page', async () => {
    const page = await (await newContext(browser())).newPage();
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
    const page = await (await newContext(browser())).newPage();
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

  it('asks which organization when the email and password open accounts in two, naming both', async () => {
    const admin = await apiToken('admin@demo.local');
    const second = await apiCall<{ id: string }>(admin, 'POST', '/organizations', { name: 'Second Airline' });
    const email = 'shared.planner@demo.local';
    const demo = await apiCall<{ org_id: string }>(await apiToken('scheduler@demo.local'), 'GET', '/auth/me');
    for (const orgId of [demo.org_id, second.id]) {
      await apiCall(admin, 'POST', `/users?org_id=${orgId}`, {
        email,
        role: 'scheduler',
        password: DEMO_PASSWORD,
      });
    }
    const page = await (await newContext(browser())).newPage();
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const organization = page.getByRole('combobox', { name: 'Organization' });
    await organization.waitFor();
    await organization.click();
    const options = page.getByRole('option');
    expect((await options.allTextContents()).sort()).toEqual(['Demo Airline', 'Second Airline']);
    await options.filter({ hasText: 'Second Airline' }).click();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-as').waitFor();
    expect(
      await apiCall<{ org_id: string }>(await apiToken(email, DEMO_PASSWORD, second.id), 'GET', '/auth/me'),
    ).toMatchObject({
      org_id: second.id,
    });
  });

  it('renews an expiring or rejected access token with the refresh token, without sending the user back to sign in', async () => {
    const page = await (await newContext(browser())).newPage();
    await signIn(page, 'scheduler@demo.local');
    // Page scripts as strings: this file is type-checked for Node, without the DOM's types.
    const stored = async () =>
      JSON.parse(await page.evaluate<string>("sessionStorage.getItem('amss.session')")) as {
        accessToken: string;
      };
    const store = (patch: string) =>
      page.evaluate(
        `sessionStorage.setItem('amss.session', JSON.stringify({ ...JSON.parse(sessionStorage.getItem('amss.session')), ${patch} }))`,
      );
    const first = (await stored()).accessToken;
    // An access token about to expire is renewed before the next request …
    await store('expiresAt: Date.now() + 1000');
    await page.reload();
    await page.getByTestId('aog-count').waitFor();
    const renewed = (await stored()).accessToken;
    expect(renewed).not.toBe(first);
    // … and one the server refuses (revoked, or a clock off) is renewed once and the request sent again.
    await store("accessToken: 'not-a-valid-token'");
    await page.reload();
    await page.getByTestId('aog-count').waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect((await stored()).accessToken).not.toBe('not-a-valid-token');
  });
});
