// The landing page's first render on a running stack, in headless chromium, from the browser's
// own performance timings: first-contentful-paint (the app renders everything: index.html's body
// is empty until its script runs), plus DOMContentLoaded and load. Each run is a new browser
// context, so nothing is cached. Prints one line per run and the median; exits 1 when the median
// first-contentful-paint is over the budget.
//   node first-render.mjs <url> [runs=5] [budget ms=1000]
import { chromium } from 'playwright-core';

const [url, runsArg = '5', budgetArg = '1000'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node first-render.mjs <url> [runs] [budget ms]');
  process.exit(2);
}
const runs = Number(runsArg);
const budget = Number(budgetArg);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
const fcps = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    await page.getByRole('heading', { level: 1, name: 'Tickets for sale' }).waitFor();
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return {
        fcp: fcp ? fcp.startTime : NaN,
        dcl: nav ? nav.domContentLoadedEventEnd : NaN,
        load: nav ? nav.loadEventEnd : NaN,
      };
    });
    fcps.push(t.fcp);
    console.log(
      `  run ${i + 1}: first-contentful-paint ${t.fcp.toFixed(0)} ms, DOMContentLoaded ${t.dcl.toFixed(0)} ms, load ${t.load.toFixed(0)} ms`,
    );
    await context.close();
  }
} finally {
  await browser.close();
}
const sorted = [...fcps].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const ok = median < budget;
console.log(
  `landing first render (median first-contentful-paint of ${runs}): ${median.toFixed(0)} ms (budget ${budget} ms) ${ok ? 'ok' : 'FAIL: over budget'}`,
);
process.exit(ok ? 0 : 1);
