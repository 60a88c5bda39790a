import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, screenshot } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the landing page renders for all three audiences, without console errors", async () => {
  const { page, errors, context } = await openPage(browser);
  const response = await page.goto(BASE_URL + "/");
  assert.equal(response.status(), 200);
  assert.match(await page.locator("h1").innerText(), /Answers your customers can trust/);
  for (const audience of ["For businesses", "For your visitors", "For career changers"]) {
    assert.equal(await page.getByText(audience, { exact: true }).count(), 1, audience);
  }
  await hydrated(page);
  await screenshot(page, "landing-desktop");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the landing page is keyboard accessible: the first Tab reaches the skip link", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + "/");
  await hydrated(page);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
  assert.deepEqual(errors, []);
  await context.close();
});

test("after hydration the pricing toggle switches between the plan tables", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + "/pricing");
  await hydrated(page);
  const support = page.locator("#plans-support");
  const mentor = page.locator("#plans-mentor");
  assert.ok(await support.isVisible());
  assert.ok(!(await mentor.isVisible()));

  await page.getByRole("tab", { name: "Career mentor" }).click();
  assert.ok(await mentor.isVisible());
  assert.ok(!(await support.isVisible()));
  assert.match(await mentor.innerText(), /\$19\.99/);
  assert.match(await mentor.innerText(), /500 questions \/ month/);
  assert.equal(await page.getByRole("tab", { name: "Career mentor" }).getAttribute("aria-selected"), "true");

  // Arrow keys move between tabs, as the ARIA tabs pattern expects.
  await page.keyboard.press("ArrowLeft");
  assert.ok(await support.isVisible());
  assert.equal(await page.evaluate(() => document.activeElement?.id), "tab-support");
  assert.match(await support.innerText(), /5,000 bot messages \/ month/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("contact sales shows a field error for a bad email, then stores a good enquiry", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + "/pricing#contact-sales");
  await hydrated(page);
  await page.getByLabel("Your name").fill("Ada Lovelace");
  await page.getByLabel("Work email").fill("ada@analytical");
  await page.getByLabel("How can we help?").fill("We would like the support bot for 30 agents.");
  await page.getByRole("button", { name: "Send message" }).click();

  const emailError = page.locator("#field-email-error");
  await emailError.waitFor({ state: "visible" });
  assert.match(await emailError.innerText(), /valid email address/);
  assert.equal(await page.getByLabel("Work email").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#field-name-error").innerText(), "");

  await page.getByLabel("Work email").fill("ada@analytical.engines");
  await page.getByRole("button", { name: "Send message" }).click();
  const confirmation = page.getByRole("status");
  await confirmation.waitFor();
  assert.match(await confirmation.innerText(), /ada@analytical\.engines/);
  const reference = await page.locator(".reference").innerText();
  assert.match(reference, /^LS-[0-9A-Z]{8}$/);
  await screenshot(page, "pricing-contact-confirmed");
  assert.deepEqual(errors.filter((e) => !e.includes("422")), [], "only the expected 422 may be logged");
  await context.close();

  const { storedLead } = await import("./store.mjs");
  assert.deepEqual(storedLead(reference), {
    name: "Ada Lovelace",
    email: "ada@analytical.engines",
    message: "We would like the support bot for 30 agents.",
  });
});

test("the theme toggle switches themes and the choice survives a reload", async () => {
  const { page, errors, context } = await openPage(browser, { colorScheme: "light" });
  await page.goto(BASE_URL + "/pricing");
  await hydrated(page);
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await page.getByRole("button", { name: "Switch between light and dark theme" }).click();
  assert.equal(await page.locator("html").getAttribute("data-theme"), "dark");
  const dark = await background();
  assert.notEqual(dark, light);
  await page.reload();
  assert.equal(await page.locator("html").getAttribute("data-theme"), "dark", "rendered by the server from the cookie");
  assert.equal(await background(), dark);
  await hydrated(page);
  await screenshot(page, "pricing-dark");
  assert.deepEqual(errors, []);
  await context.close();
});

test("pages fit a 360 px phone without sideways scrolling", async () => {
  const { page, errors, context } = await openPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  for (const path of ["/", "/pricing"]) {
    await page.goto(BASE_URL + path);
    await hydrated(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} overflows by ${overflow}px`);
    assert.ok(await page.getByRole("navigation", { name: "Main" }).isVisible());
    await screenshot(page, `mobile${path === "/" ? "-landing" : path.replace("/", "-")}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("unknown addresses get a helpful 404 page", async () => {
  const { page, context } = await openPage(browser);
  const response = await page.goto(BASE_URL + "/no/such/page");
  assert.equal(response.status(), 404);
  assert.equal(await page.locator("h1").innerText(), "We couldn't find that page");
  assert.ok(await page.getByRole("link", { name: "Go to the home page" }).isVisible());
  await context.close();
});
