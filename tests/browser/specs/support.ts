// What the journeys share: fresh browsers (one per user), the check every page gets (screenshot
// to the output folder and axe-core: no serious or critical violation), and the steps users
// repeat (sign up, sell).
import { test as base, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { appendFileSync, mkdirSync } from 'node:fs';

const out = process.env.TICKETING_BROWSER_OUT ?? 'test-results';
const shots = `${out}/screenshots`;
mkdirSync(shots, { recursive: true });

export { expect };
export type { Page };

export const PASSWORD = 'password123';

export function uniqueEmail(who: string): string {
  return `${who}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}@example.com`;
}

export function uniqueTitle(what: string): string {
  return `${what} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

// `user()` opens a new browser context (its own cookies: one user) and page. At the end of the
// test every page must have had no uncaught exception and no Content-Security-Policy violation.
export const test = base.extend<{ user: () => Promise<Page> }>({
  user: async ({ browser }, use) => {
    const contexts: Awaited<ReturnType<typeof browser.newContext>>[] = [];
    const problems: string[] = [];
    await use(async () => {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) {
          problems.push(`CSP: ${m.text()}`);
        }
      });
      return page;
    });
    for (const c of contexts) await c.close();
    expect(problems, 'page errors and CSP violations').toEqual([]);
  },
});

// Waits until no request is in flight, saves a screenshot as <name>.png in the output folder,
// and runs axe-core (WCAG 2.1 A and AA, best practices): no serious or critical violation.
// Every violation found is also written to axe.jsonl in the output folder. `report` only
// records and annotates them (for a page that is not the storefront's own).
export async function checkPage(page: Page, name: string, options: { report?: boolean } = {}): Promise<void> {
  await expect(page.locator('html')).not.toHaveAttribute('data-busy');
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: !options.report });
  // Legacy mode runs axe in the page itself instead of finishing in a second blank page: the
  // storefront has no frames, and it halves the time a check takes on 2 cores.
  const results = await new AxeBuilder({ page })
    .setLegacyMode(true)
    .withTags(options.report ? ['wcag2a', 'wcag2aa'] : ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  const found = results.violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`);
  appendFileSync(`${out}/axe.jsonl`, JSON.stringify({ page: name, url: page.url(), violations: found }) + '\n');
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  if (options.report) {
    for (const v of serious) test.info().annotations.push({ type: 'axe', description: v });
    return;
  }
  expect(serious, `axe-core on ${name} (${page.url()})`).toEqual([]);
}

export async function signUp(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/auth/signup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(new RegExp(escape(email)));
}

// Sells a ticket through the form; returns its id (from the ticket page's address).
export async function sell(page: Page, title: string, price: string): Promise<string> {
  await page.getByRole('link', { name: 'Sell a ticket' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sell a ticket' })).toBeVisible();
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Price (USD)').fill(price);
  await page.getByRole('button', { name: 'Sell' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  return new URL(page.url()).pathname.split('/').pop()!;
}

// Opens the ticket from the landing page (newest first: a new ticket is on the first page).
export async function openFromLanding(page: Page, title: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('link', { name: new RegExp(escape(title)) }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

export async function buy(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Purchase' }).click();
  await expect(page).toHaveURL(/\/orders\/[0-9a-f]{24}$/);
  await expect(page.getByTestId('order-status')).toHaveText('Awaiting payment');
  return new URL(page.url()).pathname.split('/').pop()!;
}

export async function payWith(page: Page, card: string): Promise<void> {
  await page.getByRole('button', { name: `Use ${card}` }).click();
  await expect(page.getByLabel('Card number')).toHaveValue(card);
  await page.getByRole('button', { name: /^Pay \$/ }).click();
}

export function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
