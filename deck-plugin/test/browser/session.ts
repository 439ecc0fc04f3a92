// One headless Chromium page on the host page, the way the browser tests use it: the plugin built,
// the host page built, a server in front, errors collected. Deck's plugin loader is in host.tsx.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { buildHostPage, buildPlugin, builtIndexJs, pluginRoot } from '../build-plugin';
import { startTestServer } from './test-server';
import type { ProxyHandler } from './test-server';

/** The Debian chromium binary and the flags every browser test launches it with. */
export const chromiumPath = '/usr/bin/chromium';
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where Gate serves the plugin's assets (`/plugins/deck/{id}/{version}/`). */
export const pluginPath = '/plugins/deck/Isd.GatesPlugin/0.1.0';

/** Screenshot directory (a CI artefact). */
export const artefacts = path.join(pluginRoot, '..', 'test-results', 'deck-plugin');

/** A running page with the host loaded. */
export interface BrowserSession {
  page: Page;
  context: BrowserContext;
  origin: string;
  /** Uncaught errors and console errors the page raised. */
  pageErrors: string[];
  /** Runs the host's plugin loader on the built index.js; resolves with the plugin's stage keys. */
  loadPlugin(): Promise<string[]>;
  renderEditor(key: string, parameterValues: Record<string, unknown>): Promise<void>;
  renderExecution(key: string, context: Record<string, unknown>): Promise<void>;
  /** Renders an application state the plugin added (Deck's `.../applications/{application}/...` route). */
  renderApplicationView(state: string, application: string): Promise<void>;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

interface HostApi {
  isdHost: {
    load(url: string): Promise<string[]>;
    renderEditor(key: string, values: unknown): Promise<void>;
    renderExecution(key: string, context: unknown): Promise<void>;
    renderApplicationView(state: string, application: string): Promise<void>;
  };
}

/** Builds what is needed, starts the server (with `proxy` behind `/proxies/**`) and opens the host page. */
export async function startBrowserSession(proxy: ProxyHandler): Promise<BrowserSession> {
  mkdirSync(artefacts, { recursive: true });
  await buildPlugin();
  const hostDir = await buildHostPage();
  const server = await startTestServer({
    hostDir,
    hostHtml: path.join(pluginRoot, 'test/browser/host.html'),
    pluginDir: path.dirname(builtIndexJs),
    pluginPath,
    proxy,
  });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // 404s for assets the host does not serve (favicon, fonts) say nothing about the plugin.
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
        pageErrors.push(message.text());
    });
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => 'isdHost' in window, undefined, { timeout: 30_000 });
    const openBrowser = browser;
    return {
      page,
      context,
      origin: server.origin,
      pageErrors,
      loadPlugin: () =>
        page.evaluate((url) => (window as unknown as HostApi).isdHost.load(url), `${pluginPath}/index.js`),
      renderEditor: (key, values) =>
        page.evaluate(([k, v]) => (window as unknown as HostApi).isdHost.renderEditor(k, v), [key, values] as const),
      renderExecution: (key, context) =>
        page.evaluate(([k, c]) => (window as unknown as HostApi).isdHost.renderExecution(k, c), [
          key,
          context,
        ] as const),
      renderApplicationView: (state, application) =>
        page.evaluate(([s, a]) => (window as unknown as HostApi).isdHost.renderApplicationView(s, a), [
          state,
          application,
        ] as const),
      screenshot: async (name) => {
        await page.screenshot({ path: path.join(artefacts, `${name}.png`), fullPage: true });
      },
      close: async () => {
        await openBrowser.close();
        await server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    throw error;
  }
}
