// The public pages load their own small bundle; the dashboard's is fetched
// only when a dashboard page opens (app/src/bundle.rs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO, WORKSPACE_HOME, launch, openPage, hydrated, screenshot } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Every script and WASM the page fetches, by path. */
function recordCode(page) {
  const fetched = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (/\.(js|wasm)$/.test(path)) fetched.push(path);
  });
  return fetched;
}

const isDashboardCode = (path) => path.startsWith("/pkg/");
const isPublicCode = (path) => path.startsWith("/pkg-public/");

test("the landing page loads no WASM, the public pages their own bundle, and the dashboard's arrives with the dashboard", async () => {
  const { page, errors, context } = await openPage(browser);
  const fetched = recordCode(page);
  await page.goto(BASE_URL + "/");
  await hydrated(page, errors);
  assert.deepEqual(fetched, [], "the landing page fetches no script or WASM");
  // Its one script still switches the theme, and remembers it.
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  await page.emulateMedia({ colorScheme: "light" });
  await page.getByRole("button", { name: "Switch between light and dark theme" }).click();
  assert.equal(await theme(), "dark");
  assert.ok((await context.cookies()).some((c) => c.name === "theme" && c.value === "dark"));

  // Log in: a public page, with the public bundle and none of the dashboard's.
  await page.getByRole("link", { name: "Log in" }).first().click();
  await page.waitForURL(/\/login$/);
  await hydrated(page, errors);
  assert.equal(await theme(), "dark", "the theme chosen on the landing page stays");
  assert.ok(fetched.some(isPublicCode), `the public bundle was fetched: ${fetched}`);
  assert.deepEqual(fetched.filter(isDashboardCode), [], "no dashboard code on the log-in page");

  // Between hydrated public pages, navigation keeps the document.
  await page.evaluate(() => (window.__sameDocument = true));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pricing" }).click();
  await page.waitForURL(/\/pricing$/);
  await page.getByRole("tab", { name: "Career mentor" }).click();
  assert.ok(await page.locator("#plans-mentor").isVisible());
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "/pricing was reached without a reload");
  await page.goBack();
  await page.waitForURL(/\/login$/);

  // Logging in leads into the dashboard, which loads its own bundle.
  await page.getByLabel("Email", { exact: true }).fill(DEMO.email);
  await page.getByLabel("Password", { exact: true }).fill(DEMO.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(WORKSPACE_HOME);
  await hydrated(page, errors);
  assert.ok(fetched.some((path) => isDashboardCode(path) && path.endsWith(".wasm")), `dashboard WASM: ${fetched}`);
  await page.getByRole("link", { name: "Knowledge" }).first().click();
  await page.waitForURL(/\/knowledge$/);
  await page.getByRole("heading", { name: "Knowledge", level: 1 }).waitFor();

  // And back to the public pages.
  await page.goBack();
  await page.waitForURL(WORKSPACE_HOME);
  await page.goto(BASE_URL + "/");
  await hydrated(page, errors);
  assert.match(await page.locator("h1").innerText(), /Answers your customers can trust/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a dashboard link followed from a public page loads the dashboard whole", async () => {
  const { page, errors, context } = await openPage(browser);
  // Signed in first, so the link leads somewhere.
  await page.goto(`${BASE_URL}/login`);
  await hydrated(page, errors);
  await page.getByLabel("Email", { exact: true }).fill(DEMO.email);
  await page.getByLabel("Password", { exact: true }).fill(DEMO.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(WORKSPACE_HOME);
  await hydrated(page, errors);

  await page.goto(BASE_URL + "/");
  await hydrated(page, errors);
  const fetched = recordCode(page);
  // The header offers the dashboard to a signed-in person.
  await page.locator('header a[href="/app"]').first().click();
  await page.waitForURL(WORKSPACE_HOME);
  await hydrated(page, errors);
  assert.ok(fetched.some(isDashboardCode), `the dashboard bundle was fetched: ${fetched}`);
  assert.ok(await page.getByRole("navigation", { name: "Workspace" }).isVisible());
  assert.deepEqual(errors, []);
  await context.close();
});

test("a bundle that fails to load leaves the page readable and offers to try again", async () => {
  const { page, context } = await openPage(browser);
  await page.route(/\/pkg-public\/.*\.wasm$/, (route) => route.abort("failed"));
  await page.goto(BASE_URL + "/pricing");
  const alert = page.getByRole("alert").filter({ hasText: "didn't finish loading" });
  await alert.waitFor();
  assert.match(await page.locator("h1").innerText(), /Simple plans/);
  await screenshot(page, "bundle-failed");

  await page.unroute(/\/pkg-public\/.*\.wasm$/);
  await alert.getByRole("button", { name: "Try again" }).click();
  await hydrated(page);
  assert.equal(await page.getByRole("alert").filter({ hasText: "didn't finish loading" }).count(), 0);
  await context.close();
});
