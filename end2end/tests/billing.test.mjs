// Billing end to end: a new owner upgrades to Pro on the fake Stripe's
// Checkout page (`end2end/fakes/stripe.mjs`, which `cargo xtask test` starts
// beside the server and which delivers its signed webhooks to it), comes
// back to Pro, its limits and its invoice, changes to Enterprise after
// seeing Stripe's proration, opens the Customer Portal and cancels there;
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
  assert.equal(await page.locator("#meter-billing-seats").getAttribute("aria-valuetext"), "1 of 5");
  assert.match(await page.locator(".usage").innerText(), /Bot messages reset on 1 /);
  const plans = page.getByRole("region", { name: "Upgrade" });
  assert.match(await plans.innerText(), /\$49 a month/);
  // Yearly, by keyboard: the period switch is a radio group.
  await page.getByRole("radio", { name: "Monthly" }).focus();
  await page.getByRole("radio", { name: /Yearly/ }).press("Enter");
  assert.match(await plans.innerText(), /\$490 a year/);
  assert.match(await plans.innerText(), /Not sold here with this billing period/, "no yearly Enterprise price here");
  await page.getByRole("radio", { name: "Monthly" }).click();
  assert.match(await plans.innerText(), /Up to 25 team members/);
  await screenshot(page, "billing-free");
  const workspaceHome = billing.replace(/\/billing$/, "");
  // Free's limits elsewhere: five seats, and the widget's link to us, which only a paid plan takes out.
  await page.goto(`${workspaceHome}/team`);
  await hydrated(page);
  assert.equal(await page.locator("#meter-seats").getAttribute("aria-valuetext"), "1 of 5");
  await page.goto(`${workspaceHome}/widget`);
  await hydrated(page);
  const unbranded = page.getByLabel(/Leave out .Powered by Lodestar./);
  assert.ok(await unbranded.isDisabled(), "locked on Free");
  assert.match(await page.locator("#branding-note").innerText(), /Pro and Enterprise plans can take it out/);
  await page.goto(billing);
  await hydrated(page);

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
  // Usage now counts in the paid period, which ends when the plan renews.
  const renews = current.match(/Renews on (.+)$/m)[1];
  assert.match(await page.locator(".usage").innerText(), new RegExp(`Bot messages reset on ${renews}`));
  assert.match(await page.locator(".usage").innerText(), /Bot messages this billing period/i);
  // The first invoice, with Stripe's page for it.
  const invoices = page.getByRole("region", { name: "Invoices" });
  await invoices.getByRole("row").nth(1).waitFor();
  assert.match(await invoices.innerText(), /\$49\.00\s+Paid/);
  assert.equal(await invoices.getByRole("link", { name: /^View invoice / }).count(), 1);
  await waitForMessage(email, { subject: "is now Pro" });
  await screenshot(page, "billing-pro");

  // Changing plan: Stripe's proration shown first; "Keep my plan" changes nothing.
  const change = page.getByRole("region", { name: "Change plan" });
  assert.equal(await change.getByTestId("plan-current").count(), 1, "Pro monthly is marked as the plan");
  await change.getByRole("button", { name: "Switch to Enterprise" }).click();
  const total = change.getByTestId("preview-total");
  await total.waitFor();
  assert.match(await total.innerText(), /^Due now: \$1\d\d\.\d\d$/);
  assert.match(await change.innerText(), /Unused time on Pro after/);
  await screenshot(page, "billing-change-preview");
  await change.getByRole("button", { name: "Keep my plan" }).click();
  await change.getByRole("button", { name: "Switch to Enterprise" }).click();
  await change.getByRole("button", { name: "Confirm: switch to Enterprise" }).click();
  await page.getByText("Your plan is now Enterprise, billed monthly.").waitFor();
  assert.equal(await page.getByTestId("plan-name").innerText(), "Enterprise");
  await page.getByRole("region", { name: "Invoices" }).getByRole("row").nth(2).waitFor();
  await waitForMessage(email, { subject: "is now Enterprise" });
  // A paid plan may take the link out of the widget.
  await page.goto(`${workspaceHome}/widget`);
  await hydrated(page);
  await page.getByLabel(/Leave out .Powered by Lodestar./).check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Saved. Your widget shows the changes on its next load.").waitFor();
  await page.goto(billing);
  await hydrated(page);

  // The portal: Stripe's page (the fake's); cancelling there ends the plan at the period's end.
  await page.getByRole("button", { name: "Manage billing" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${FAKE_STRIPE}/portal/`));
  assert.match(await page.locator("body").innerText(), /Opened at: home/);
  await page.getByRole("button", { name: "Cancel plan" }).click();
  // Back from the portal, the page reads the subscription from Stripe: no webhook awaited, no reload.
  await page.waitForURL(`${billing}?portal=back`);
  await hydrated(page);
  await page.getByText(/Your plan ends on/).waitFor();
  assert.match(await page.getByRole("region", { name: "Current plan" }).innerText(), /Ends on /);
  assert.equal(await page.getByRole("button", { name: "Cancel plan" }).count(), 0);
  assert.equal(await page.getByRole("region", { name: "Change plan" }).count(), 0, "an ending plan is renewed before it is changed");
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
  assert.equal(await mentor.locator("#meter-questions").getAttribute("aria-valuetext"), "0 of 10");
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
  assert.equal(await page.locator("#meter-questions").getAttribute("aria-valuetext"), "0 of 500", "the paid period's allowance");
  await screenshot(page, "billing-mentor-pro");
  assert.deepEqual(errors, []);
});
