import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (scripts/setup.sh installs it); playwright-core drives it, it downloads no browser of its own. */
export const CHROMIUM = process.env.REFSTACK_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: run npm run setup (it installs Debian's chromium), or set REFSTACK_CHROMIUM`;
}

export interface PageCheck {
  /** Console errors and uncaught page errors while the page loaded. */
  errors: string[];
  png: Buffer;
  /** What the page's own DOM says once rendered (evaluated in the browser). */
  dom: { sections: string[]; plotted: number; title: string; width: number; height: number };
}

/** Evaluated in the page (a string: this package is compiled without the DOM's types). */
const DOM_SUMMARY = `(() => {
  const sections = [...document.querySelectorAll('section[data-experiment]')].map((s) => s.getAttribute('data-experiment') || '');
  const plotted = [...document.querySelectorAll('svg polyline')].filter((p) => p.getBBox().width > 10).length;
  return { sections, plotted, title: document.title, width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight };
})()`;

/** Opens a local HTML file in headless Chromium, full-page screenshot and a DOM summary; bounded by timeoutMs. */
export async function openInChromium(path: string, timeoutMs = 60_000): Promise<PageCheck> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: timeoutMs });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${path}`, { waitUntil: 'load', timeout: timeoutMs });
    const dom = (await page.evaluate(DOM_SUMMARY)) as PageCheck['dom'];
    const png = await page.screenshot({ fullPage: true, timeout: timeoutMs });
    return { errors, png, dom };
  } finally {
    await browser.close();
  }
}
