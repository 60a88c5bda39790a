// Billing end to end: a new owner upgrades to Pro on the fake Stripe's
// Checkout page (`end2end/fakes/stripe.mjs`, which `cargo xtask test` starts
// beside the server and which delivers its signed webhooks to it), comes
// back to Pro and its limits, opens the Customer Portal and cancels there;
// then buys the career mentor's Pro for themselves from the account page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, screenshot } from "./browser.mjs";
import { waitForMessage } from "./outbox.mjs";
import { signUp, verifyEmail } from "./signup.mjs";

const FAKE_STRIPE = process.env.FAKE_STRIPE_URL;
const email = `billing-${Date.now().toString(36)}@example.com`;

let browser;
before(async () => {
  assert.ok(FAKE_STRIPE, "the billing tests need the fake Stripe beside the server: run them with `cargo xtask test`");
  // The fake delivers Stripe's events to this server, as Stripe would.
  const set = await fetch(`${FAKE_STRIPE}/_fake/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: `${BASE_URL}/api/billing/stripe/webhook` }),
  });
  assert.equal(set.status, 200);
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Reloads until `text` shows: what a webhook changes arrives a moment after the page that caused it. */
async function reloadUntil(page, text, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await page.getByText(text).count()) return;
    assert.ok(Date.now() < deadline, `${page.url()} never showed ${text}`);
    await page.reload();
    await hydrated(page);
  }
}

test("an owner upgrades to Pro through Checkout, sees Pro and its limits, cancels in the portal, and buys the mentor's Pro", async () => {
  const { page, errors } = await openPage(browser);
  await signUp(page, { name: "Bea Owner", email, workspace: "Bea's Bikes" });
  await verifyEmail(page, email);
  const billing = `${page.url().replace(/[?#].*$/, "")}/billing`;
  await page.goto(billing);
  await hydrated(page);

  // Free: the plan, its allowance drawn against what is used, and what to buy.
  await page.getByRole("heading", { name: "Current plan" }).waitFor();
  assert.equal(await page.getByTestId("plan-name").innerText(), "Free");
  assert.match(await page.locator("#meter-answers").getAttribute("aria-valuetext"), /^0 of 100$/);
  assert.match(await page.locator(".usage").innerText(), /Bot messages reset on 1 /);
  const plans = page.getByRole("region", { name: "Upgrade" });
  assert.match(await plans.innerText(), /\$49 a month/);
  // Yearly, by keyboard: the period switch is a radio group.
  await page.getByRole("radio", { name: "Monthly" }).focus();
  await page.getByRole("radio", { name: /Yearly/ }).press("Enter");
  assert.match(await plans.innerText(), /\$490 a year/);
  assert.match(await plans.innerText(), /Not sold here with this billing period/, "no yearly Enterprise price here");
  await page.getByRole("radio", { name: "Monthly" }).click();
  await screenshot(page, "billing-free");

  // Checkout on Stripe's page (the fake's), then back.
  await page.getByRole("button", { name: "Upgrade to Pro" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${FAKE_STRIPE}/checkout/`));
  assert.match(await page.locator("body").innerText(), /price_support_pro_month: \$49\.00 per month/);
  await page.getByRole("button", { name: "Pay and subscribe" }).click();
  await page.waitForURL(/\/billing\?checkout=done$/);
  await hydrated(page);
  await page.getByText("Thank you: your plan is active").waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId("plan-name").innerText(), "Pro");
  const current = await page.getByRole("region", { name: "Current plan" }).innerText();
  assert.match(current, /Active/);
  assert.match(current, /\$49 a month/);
  assert.match(current, /5,000 bot messages \/ month · Renews on /);
  assert.match(await page.locator("#meter-answers").getAttribute("aria-valuetext"), /^0 of 5,000$/);
  assert.match(await page.locator("#meter-billing-chunks").getAttribute("aria-valuetext"), /of 100,000$/);
  assert.equal(await page.getByRole("region", { name: "Upgrade" }).count(), 0, "nothing to buy while subscribed");
  await waitForMessage(email, { subject: "is now Pro" });
  await screenshot(page, "billing-pro");

  // The portal: Stripe's page (the fake's); cancelling there ends the plan at the period's end.
  await page.getByRole("button", { name: "Manage billing" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${FAKE_STRIPE}/portal/`));
  assert.match(await page.locator("body").innerText(), /Opened at: home/);
  await page.getByRole("button", { name: "Cancel plan" }).click();
  await page.waitForURL(billing);
  await hydrated(page);
  await reloadUntil(page, /Your plan ends on/);
  assert.match(await page.getByRole("region", { name: "Current plan" }).innerText(), /Ends on /);
  assert.equal(await page.getByRole("button", { name: "Cancel plan" }).count(), 0);
  await waitForMessage(email, { subject: "will end on" });

  // On a phone, in the dark.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "billing-ending-phone-dark");
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The person's own plan, for the career mentor, from the account page.
  await page.goto(`${BASE_URL}/app/account`);
  await hydrated(page);
  const mentor = page.getByRole("region", { name: "Career mentor plan" });
  await mentor.getByRole("heading", { name: "Current plan" }).waitFor();
  assert.equal(await mentor.getByTestId("plan-name").innerText(), "Free");
  assert.match(await mentor.innerText(), /\$19\.99 a month/);
  await mentor.getByRole("button", { name: "Upgrade to Pro" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${FAKE_STRIPE}/checkout/`));
  assert.match(await page.locator("body").innerText(), /price_mentor_pro_month/);
  await page.getByRole("button", { name: "Pay and subscribe" }).click();
  await page.waitForURL(/\/app\/account\?checkout=done$/);
  await hydrated(page);
  await page.getByText("Thank you: your plan is active").waitFor({ timeout: 30_000 });
  assert.equal(await page.getByRole("region", { name: "Career mentor plan" }).getByTestId("plan-name").innerText(), "Pro");
  assert.match(await page.getByRole("region", { name: "Career mentor plan" }).innerText(), /500 questions \/ month/);
  await screenshot(page, "billing-mentor-pro");
  assert.deepEqual(errors, []);
});
