import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, newContext, screenshots, signIn } from './harness.js';
import { useBrowser } from './browser.js';

const browser = useBrowser();

async function signedIn(email: string): Promise<Page> {
  const context = await newContext(browser());
  const page = await context.newPage();
  await signIn(page, email);
  return page;
}

/** The expiry badge's level of the certification row with this number. */
const certificationBadge = (page: Page, number: string) =>
  page.getByTestId('certification').filter({ hasText: number }).getByTestId('expiry-badge');

describe('people', () => {
  it("lets a tenant admin renew the second mechanic's expiring licence, and the badge changes", async () => {
    const page = await signedIn('tenant-admin@demo.local');
    await page.goto('/people');
    const rows = page.getByTestId('person-row');
    await expect.poll(() => rows.count()).toBeGreaterThan(4);
    // mechanics first
    expect(await rows.first().textContent()).toMatch(/Mechanic/);
    const mechanic2 = rows.filter({ hasText: 'mechanic2@demo.local' });
    await expect.poll(() => mechanic2.getByTestId('expiry-badge').getAttribute('data-level')).toBe('soon');
    await expectAccessible(page);
    await screenshots(page, 'people-list');

    await mechanic2.getByRole('link', { name: 'mechanic2@demo.local' }).click();
    await page.getByRole('heading', { name: 'mechanic2@demo.local' }).waitFor();
    const badge = certificationBadge(page, 'DE.66.08813');
    await expect.poll(() => badge.getAttribute('data-level')).toBe('soon');
    expect(await badge.textContent()).toMatch(/Expires in \d+ d/);

    await page.getByRole('button', { name: 'Renew PART66-B1 DE.66.08813' }).click();
    const dialog = page.getByRole('dialog', { name: /Renew EASA PART66-B1/ });
    await dialog.waitFor();
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Renew' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => badge.getAttribute('data-level')).toBe('valid');
    expect(await badge.textContent()).toBe('Valid');

    // the list says so too
    await page.getByRole('link', { name: '← People' }).click();
    await expect
      .poll(() =>
        page
          .getByTestId('person-row')
          .filter({ hasText: 'mechanic2@demo.local' })
          .getByTestId('expiry-badge')
          .getAttribute('data-level'),
      )
      .toBe('valid');

    // the inspector: one licence expired, one within 90 days
    await page.getByRole('link', { name: 'inspector@demo.local' }).click();
    await page.getByRole('heading', { name: 'inspector@demo.local' }).waitFor();
    await expect
      .poll(() => certificationBadge(page, 'DE.66.05119').getAttribute('data-level'))
      .toBe('expired');
    expect(await certificationBadge(page, 'DE.66.05121').getAttribute('data-level')).toBe('upcoming');
    await page.getByTestId('recency-by-type').waitFor();
    await expectAccessible(page);
    await screenshots(page, 'person-profile');
  });

  it('shows a mechanic their own profile, with nothing to change', async () => {
    const page = await signedIn('mechanic@demo.local');
    await page.goto('/people');
    await page.getByRole('heading', { name: 'mechanic@demo.local' }).waitFor();
    expect(page.url()).toMatch(/\/people\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByTestId('certification').count()).toBe(2);
    expect(await certificationBadge(page, 'DE.66.10422').getAttribute('data-level')).toBe('upcoming');
    await page.getByTestId('recency-by-type').getByText('A20N').waitFor();
    expect(await page.getByRole('button', { name: /Add certification|Renew|Log experience/ }).count()).toBe(
      0,
    );
    await expectAccessible(page);
  });
});

describe('directives', () => {
  it('lets the auditor filter by FAA and download the compliance report as PDF and CSV', async () => {
    const page = await signedIn('auditor@demo.local');
    await page.goto('/directives');
    const rows = page.getByTestId('directive-row');
    await expect.poll(() => rows.count()).toBe(4);
    await page.getByRole('tab', { name: 'FAA' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    for (const text of await rows.allTextContents()) expect(text).toMatch(/^FAA/);
    expect(await page.getByRole('button', { name: 'Create directive' }).count()).toBe(0);
    await page.getByTestId('matrix-cell').first().waitFor();
    await expectAccessible(page);
    await screenshots(page, 'directives-list');

    const report = page.getByRole('button', { name: 'FAA compliance report' });
    await report.click();
    const [pdfResponse, pdf] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/reports/directive-compliance')),
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'PDF' }).click(),
    ]);
    expect(pdfResponse.headers()['content-type']).toMatch(/application\/pdf/);
    expect(pdfResponse.url()).not.toMatch(/token|Bearer/i);
    expect(pdf.suggestedFilename()).toMatch(/^directive-compliance-FAA-.*\.pdf$/);
    expect(
      readFileSync(await pdf.path())
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('%PDF');

    await report.click();
    const [csvResponse, csv] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/reports/directive-compliance')),
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'CSV' }).click(),
    ]);
    expect(csvResponse.headers()['content-type']).toMatch(/text\/csv/);
    const lines = readFileSync(await csv.path(), 'utf8').split(/\r?\n/);
    expect(lines[0]).toMatch(/tail_number/);
    expect(lines.some((line) => line.includes('N101DA'))).toBe(true);
  });

  it('lets a tenant admin create a directive and scan the fleet for it', async () => {
    const page = await signedIn('tenant-admin@demo.local');
    await page.goto('/directives');
    await page.getByRole('button', { name: 'Create directive' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a directive' });
    await dialog.getByRole('combobox', { name: 'Authority' }).click();
    await page.getByRole('option', { name: /^FAA/ }).click();
    await dialog.getByRole('textbox', { name: 'Reference number' }).fill('E2E AD 2026-23-01');
    await dialog
      .getByRole('textbox', { name: 'Title' })
      .fill('A320neo: inspect the cargo door latch actuators');
    await dialog.getByRole('combobox', { name: 'Aircraft types it applies to' }).click();
    await page.getByRole('option', { name: /^A20N/ }).click();
    await dialog.getByRole('textbox', { name: 'Within days' }).fill('90');
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Create directive' }).click();

    await page.getByRole('heading', { name: 'FAA E2E AD 2026-23-01' }).waitFor();
    await page.getByText('Not tracked on any aircraft').waitFor();
    await page.getByRole('button', { name: 'Scan fleet' }).click();
    await page.getByText(/Applies to 2 aircraft: 2 newly tracked, 0 already tracked/).waitFor();
    const tracked = page.getByTestId('tracked-aircraft');
    await expect.poll(() => tracked.count()).toBe(2);
    expect(await tracked.allTextContents()).toEqual([
      expect.stringMatching(/N101DA.*Pending/),
      expect.stringMatching(/N102DA.*Pending/),
    ]);
    // The notifications stay on the page (their close buttons are named); the page underneath is what is checked.
    await expectAccessible(page);
    await screenshots(page, 'directive-page');

    // the matrix shows the new column, each cell in colour and in words
    await page.getByRole('link', { name: '← Directives' }).click();
    const matrix = page.getByTestId('compliance-matrix');
    await matrix.getByRole('link', { name: 'FAA E2E AD 2026-23-01' }).waitFor();
    expect(await matrix.getByText('Overdue').count()).toBeGreaterThan(0);
    await expectAccessible(page);
    await screenshots(page, 'compliance-matrix');
  });

  it('tells a mechanic in words why a compliance record with a wrong password is refused', async () => {
    const page = await signedIn('mechanic@demo.local');
    await page.goto('/directives');
    await page.getByRole('link', { name: 'Demo AD 2026-18-04' }).first().click();
    const row = page.getByTestId('tracked-aircraft').filter({ hasText: 'N102DA' });
    await row.getByRole('button', { name: 'Record compliance' }).click();
    const dialog = page.getByRole('dialog', { name: 'Record compliance on N102DA' });
    await dialog
      .getByRole('textbox', { name: 'Method of compliance' })
      .fill('Detailed visual inspection per the AD');
    await dialog.getByLabel('Your password, to sign').fill('not-my-password-1');
    await dialog.getByRole('button', { name: 'Sign and record' }).click();
    const refusal = dialog.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/SIGNATURE_REAUTHENTICATION_FAILED/);
    await expectAccessible(page);
    expect(await page.getByRole('button', { name: /Scan fleet|Edit/ }).count()).toBe(0);
  });
});
