// Playwright for the storefront's browser tests (tests/browser/run.sh starts the stack and sets
// TICKETING_URL). Debian's chromium, headless: browsers are never downloaded.
import { defineConfig } from '@playwright/test';

const out = process.env.TICKETING_BROWSER_OUT ?? 'test-results';

export default defineConfig({
  testDir: 'specs',
  outputDir: `${out}/playwright`,
  // Generous: on a 2-core machine the stack, chromium and axe-core share the cores.
  timeout: 300_000,
  expect: { timeout: 15_000 },
  // Two at a time: the expiry journey mostly waits for its order to expire.
  workers: 2,
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: `${out}/results.json` }]],
  use: {
    baseURL: process.env.TICKETING_URL ?? 'http://localhost:8080',
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
