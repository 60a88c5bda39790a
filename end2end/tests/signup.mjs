// Signing up for a business account in the browser, as a new owner does:
// the form, then the emailed link (read from the server's outbox).
import assert from "node:assert/strict";
import { BASE_URL, hydrated, WORKSPACE_HOME } from "./browser.mjs";
import { waitForLink } from "./outbox.mjs";

export const PASSWORD = "lantern orbit willow 42";

/** Signs up for a business account and waits for "Check your inbox", without a Leptos warning on the way. */
export async function signUp(page, { name, email, password = PASSWORD, workspace }) {
  const warnings = [];
  const listen = (message) => message.type() === "warning" && warnings.push(message.text());
  page.on("console", listen);
  await page.goto(`${BASE_URL}/signup`);
  await hydrated(page);
  await page.getByLabel("Your name", { exact: true }).fill(name);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("radio", { name: "Support bot for my business" }).check();
  await page.getByLabel("Workspace name", { exact: true }).fill(workspace);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
  page.off("console", listen);
  assert.deepEqual(warnings, [], "the console stays quiet");
  assert.match(await page.getByRole("status").first().innerText(), new RegExp(email.replace(/[.+]/g, "\\$&")));
}

/** Follows the emailed verification link; confirming it logs the person in and opens their dashboard. */
export async function verifyEmail(page, email) {
  const link = await waitForLink(email, "/verify");
  await page.goto(link);
  await hydrated(page);
  // Opening the link changes nothing; the button does.
  await page.getByRole("button", { name: "Verify my email" }).click();
  await page.waitForURL(WORKSPACE_HOME);
}
