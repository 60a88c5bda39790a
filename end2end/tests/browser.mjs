// Shared set-up for the browser tests: Debian's Chromium through
// playwright-core, and a page that records every console error.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? join(tmpdir(), "lodestar-screenshots");

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

// Each page's console errors, so that `hydrated` can report them whether or
// not its caller kept them.
const consoleErrors = new WeakMap();

/** A fresh page whose console errors and uncaught exceptions are collected. */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  consoleErrors.set(page, errors);
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return { page, errors, context };
}

/**
 * Waits until the WASM has hydrated the page; if it never does, the error
 * names the page, what its console said and which of its bundle's files had
 * arrived (size and milliseconds of each), so a failure explains itself.
 */
export async function hydrated(page, errors = consoleErrors.get(page) ?? []) {
  try {
    await page.waitForSelector("html[data-hydrated]", { timeout: 30_000 });
  } catch (error) {
    const loaded = await page
      .evaluate(() => ({
        state: document.readyState,
        title: document.title,
        bundle: performance
          .getEntriesByType("resource")
          .filter((entry) => /\/pkg[^/]*\//.test(entry.name))
          .map((entry) => `${new URL(entry.name).pathname} ${entry.encodedBodySize} B in ${Math.round(entry.duration)} ms`),
      }))
      .catch(String);
    await screenshot(page, `not-hydrated-${Date.now()}`).catch(() => {});
    throw new Error(`${page.url()} did not hydrate (${JSON.stringify(loaded)}); console: ${JSON.stringify(errors)}`, { cause: error });
  }
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

// Seeded by the server on a development machine's first start (SEED_DEMO).
export const DEMO = { email: "demo@lodestar.localhost", password: "lodestar-demo-2026" };
export const WORKSPACE_HOME = /\/app\/w\/([^/?#]+)$/;

/** A career form's results, as the address holds them. */
export const MENTOR_RESULTS = "/mentor?interest=I+want+to+analyse+data+and+build+models&experience=mid&skills=Python%2C+SQL%2C+Excel&hours=8";

/** Logs in as the demo owner; returns the workspace's dashboard URL. */
export async function logInAsDemo(page) {
  await page.goto(`${BASE_URL}/login`);
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(DEMO.email);
  await page.getByLabel("Password", { exact: true }).fill(DEMO.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(WORKSPACE_HOME);
  return page.url().replace(/[?#].*$/, "");
}
