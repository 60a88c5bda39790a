// The career mentor as a person meets it: the form with skill suggestions,
// the roles with their readiness, gaps and roadmap, on a laptop and a phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, screenshot, MENTOR_RESULTS } from "./browser.mjs";
import { waitForLink } from "./outbox.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});


test("anyone can describe themselves, pick skills from suggestions by keyboard, and get roles with a plan", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + "/mentor");
  await hydrated(page, errors);
  await page.getByRole("heading", { name: "What you'll get" }).waitFor();

  await page.getByLabel("What kind of work would you like to do?").fill("I'd like to make websites for small businesses");
  await page.getByText("Under 2 years", { exact: true }).click();
  const skills = page.getByRole("combobox", { name: "Skills" });
  await skills.click();
  await skills.pressSequentially("javas");
  const first = page.getByRole("option").first();
  await first.waitFor();
  assert.match(await first.innerText(), /^JavaScript\b/);
  await skills.press("ArrowDown");
  assert.equal(await page.getByRole("option").first().getAttribute("aria-selected"), "true");
  await skills.press("Enter");
  await skills.pressSequentially("HTML, css,");
  await skills.pressSequentially("Teamwork");
  await skills.press("Enter");
  const chips = page.getByRole("list", { name: "Your skills" }).getByRole("listitem");
  assert.deepEqual(await chips.allInnerTexts().then((t) => t.map((s) => s.replace(/\s*×$/, ""))), ["JavaScript", "HTML", "css", "Teamwork"]);
  await page.getByRole("button", { name: "Remove Teamwork" }).click();
  assert.equal(await chips.count(), 3);
  await page.getByLabel("Hours a week for learning").fill("6");

  await page.evaluate(() => (window.__sameDocument = true));
  await page.getByRole("button", { name: "Show my roles" }).click();
  await page.getByRole("heading", { name: "Roles for you" }).waitFor();
  assert.match(page.url(), /interest=I%27d|interest=I'd/);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "submitted without a page load");

  const tabs = page.getByRole("tablist", { name: "Recommended roles" }).getByRole("tab");
  assert.equal(await tabs.count(), 5);
  const titles = await tabs.allInnerTexts();
  assert.ok(titles.slice(0, 3).some((t) => t.includes("Web Developers")), `Web Developers in the top 3: ${titles}`);
  const panel = page.getByRole("tabpanel").filter({ visible: true });
  assert.match(await panel.innerText(), /Readiness[\s\S]*Why this role[\s\S]*Skill gaps, quick wins first[\s\S]*Your roadmap/);
  assert.match(await panel.innerText(), /Weeks at 6 h/i);
  assert.ok((await panel.locator(".roadmap-step").count()) > 0, "the roadmap is drawn");

  // Arrow keys move between roles, as in any tab list.
  await tabs.first().focus();
  await page.keyboard.press("ArrowDown");
  assert.equal(await tabs.nth(1).getAttribute("aria-selected"), "true");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "role-tab-1");
  assert.equal(await page.getByRole("tabpanel").filter({ visible: true }).count(), 1);

  // The address holds the answers: a reload shows the same roles.
  await page.reload();
  await hydrated(page, errors);
  assert.deepEqual(await tabs.allInnerTexts(), titles);
  assert.match(await page.locator(".skills-read").innerText(), /JavaScript/);
  await page.emulateMedia({ colorScheme: "light" });
  await screenshot(page, "mentor-results-light");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "mentor-results-dark");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a blank form says what is missing beside the field", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + "/mentor");
  await hydrated(page, errors);
  await page.getByText("2 to 5 years", { exact: true }).click();
  await page.getByRole("button", { name: "Show my roles" }).click();
  await page.getByText("Tell us what kind of work interests you, or add a few skills you have.").waitFor();
  assert.equal(await page.getByLabel("What kind of work would you like to do?").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByRole("heading", { name: "Roles for you" }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test("on a phone the results fit the screen and the roadmap stays readable", async () => {
  const { page, errors, context } = await openPage(browser, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(BASE_URL + MENTOR_RESULTS);
  await hydrated(page, errors);
  await page.getByRole("heading", { name: "Roles for you" }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const tabs = page.getByRole("tablist", { name: "Recommended roles" }).getByRole("tab");
  await tabs.nth(2).tap();
  assert.equal(await tabs.nth(2).getAttribute("aria-selected"), "true");
  const step = page.getByRole("tabpanel").filter({ visible: true }).locator(".roadmap-step").first();
  const box = await step.boundingBox();
  assert.ok(box && box.width <= 375, "a roadmap row fits the phone");
  await screenshot(page, "mentor-phone-dark");
  assert.deepEqual(errors, []);
  await context.close();
});

test("results found before signing up are kept as the new account's profile", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + MENTOR_RESULTS);
  await hydrated(page, errors);
  const tabs = page.getByRole("tablist", { name: "Recommended roles" }).getByRole("tab");
  const titles = await tabs.allInnerTexts();

  await page.getByRole("link", { name: "Keep these results" }).click();
  await page.waitForURL(/\/signup\?purpose=mentor&career=/);
  const email = `mentor-${Date.now()}@example.com`;
  await page.getByLabel("Your name", { exact: true }).fill("Maya Patel");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long and private passphrase");
  assert.equal(await page.getByRole("radio", { name: "Career mentor for me" }).isChecked(), true);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();

  // The emailed link logs Maya in and her home, the mentor, opens on her results.
  await page.goto(await waitForLink(email, "/verify"));
  await hydrated(page, errors);
  await page.getByRole("button", { name: "Verify my email" }).click();
  await page.waitForURL(/\/mentor\?interest=/);
  await page.getByRole("heading", { name: "Roles for you" }).waitFor();
  assert.deepEqual(await tabs.allInnerTexts(), titles);
  assert.equal(await page.getByLabel("What kind of work would you like to do?").inputValue(), "I want to analyse data and build models");

  // Changing the form and showing roles again saves it.
  await hydrated(page, errors);
  await page.getByLabel("Hours a week for learning").fill("15");
  await page.getByRole("button", { name: "Show my roles" }).click();
  await page.getByText("Saved to your profile.").waitFor();
  await page.goto(BASE_URL + "/mentor");
  await page.waitForURL(/hours=15/);
  assert.deepEqual(errors, []);
  await context.close();
});
