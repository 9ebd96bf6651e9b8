import type { BrowserContext, Page } from 'playwright-core';

/**
 * A dashboard page opened in `context` at `url`: signed in with `key` (put in the tab's session
 * storage, as the sign-in page does) unless the key is null, every console error or warning and
 * uncaught exception pushed to `problems` (the tests expect none).
 */
export async function openDashboardPage(context: BrowserContext, url: string, key: string | null, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  const where = new URL(url).pathname;
  if (key !== null) await page.addInitScript((k) => sessionStorage.setItem('anole.apiKey', k), key);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${where}: console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${where}: ${e.message}`));
  await page.goto(url);
  return page;
}
