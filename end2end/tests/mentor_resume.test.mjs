// A résumé on the career form: its skills read and shown with where they
// were found, ticked by the person before anything joins the form; bad
// files refused with a reason; for someone signed in, on a phone in the
// dark, what they confirm is saved to their profile.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { BASE_URL, launch, openPage, hydrated, screenshot } from "./browser.mjs";
import { waitForLink } from "./outbox.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const fixture = (path) => fileURLToPath(new URL(`../../server/tests/data/${path}`, import.meta.url));
const ROSA = fixture("resumes/rosa-martinez.txt");
const SAM = fixture("resumes/sam-lee.docx");
const chipsOf = (page) =>
  page.getByRole("list", { name: "Your skills", exact: true }).getByRole("listitem").allInnerTexts().then((t) => t.map((s) => s.replace(/\s*×$/, "")));

test("anyone can read skills from a résumé, untick what isn't theirs, and get roles from the rest", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + "/mentor");
  await hydrated(page, errors);
  await page.locator("#resume-file").setInputFiles(ROSA);

  const found = page.getByRole("group", { name: /skills found in rosa-martinez\.txt/ });
  await found.waitFor();
  // Each skill shows the sentence it came from.
  assert.match(await found.getByText(/dashboards in Tableau/).first().innerText(), /Built weekly dashboards in Tableau/);
  const tableau = found.getByRole("checkbox", { name: /^Tableau\b/ });
  assert.equal(await tableau.isChecked(), true, "found skills start ticked");
  assert.equal(await chipsOf(page).then((c) => c.length), 0, "nothing joins the form before it is confirmed");
  await page.emulateMedia({ colorScheme: "light" });
  await screenshot(page, "mentor-resume-found-light");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "mentor-resume-found-dark");

  // Keyboard: Git is unticked with the space bar.
  const git = found.getByRole("checkbox", { name: /^Git\b/ });
  await git.focus();
  await page.keyboard.press("Space");
  assert.equal(await git.isChecked(), false);
  const experience = found.getByRole("checkbox", { name: /Set my experience to “More than 5 years”/ });
  assert.equal(await experience.isChecked(), true);
  const add = found.getByRole("button", { name: /^Add \d+ skills$/ });
  const count = Number((await add.innerText()).match(/\d+/)[0]);
  await add.click();

  await page.locator("[data-test=resume-added]", { hasText: /^Added \d+ skills from rosa-martinez\.txt\. Experience set to “More than 5 years”/ }).waitFor();
  const chips = await chipsOf(page);
  assert.equal(chips.length, count);
  assert.ok(chips.includes("Tableau") && chips.includes("Customer service"), `${chips}`);
  assert.ok(!chips.includes("Git"), "an unticked skill stays out");
  assert.equal(await page.getByRole("radio", { name: /More than 5 years/ }).isChecked(), true);

  await page.getByLabel("What kind of work would you like to do?").fill("Analyse data to help a business decide");
  await page.getByRole("button", { name: "Show my roles" }).click();
  await page.getByRole("heading", { name: "Roles for you" }).waitFor();
  assert.match(await page.locator(".skills-read").innerText(), /Tableau/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a file that isn't a résumé is refused with a reason, and the form keeps what it had", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + "/mentor?interest=teach+children&experience=new&skills=Patience");
  await hydrated(page, errors);
  const input = page.locator("#resume-file");
  await input.setInputFiles(fixture("resumes/not-a-resume.txt"));
  const problem = page.locator("[data-test=resume-problem]");
  await problem.waitFor();
  assert.match(await problem.innerText(), /doesn't look like a résumé/);
  // An image renamed .pdf.
  await input.setInputFiles({ name: "my-cv.pdf", mimeType: "application/pdf", buffer: await import("node:fs").then((fs) => fs.readFileSync(fixture("hostile/image.pdf"))) });
  await page.locator("[data-test=resume-problem]", { hasText: "PNG image" }).waitFor();
  assert.deepEqual(await chipsOf(page), ["Patience"]);
  assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [], "only the refusals' status in the console");
  await context.close();
});

test("someone signed in confirms skills from their Word résumé on a phone, and their profile keeps them", async () => {
  const { page, errors, context } = await openPage(browser, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  await page.emulateMedia({ colorScheme: "dark" });
  const email = `resume-${Date.now()}@example.com`;
  await page.goto(BASE_URL + "/signup?purpose=mentor");
  await hydrated(page, errors);
  await page.getByLabel("Your name", { exact: true }).fill("Sam Lee");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long and private passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
  await page.goto(await waitForLink(email, "/verify"));
  await hydrated(page, errors);
  await page.getByRole("button", { name: "Verify my email" }).click();
  await page.waitForURL(/\/mentor/);
  await hydrated(page, errors);

  await page.locator("#resume-file").setInputFiles(SAM);
  const found = page.getByRole("group", { name: /skills found in sam-lee\.docx/ });
  await found.waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await screenshot(page, "mentor-resume-phone-dark");
  await found.getByRole("button", { name: "Untick all" }).tap();
  await found.getByRole("checkbox", { name: /^React\b/ }).tap();
  await found.getByRole("checkbox", { name: /^JavaScript\b/ }).tap();
  await found.getByRole("button", { name: "Add 2 skills" }).tap();
  await page.locator("[data-test=resume-added]", { hasText: /Saved to your profile\.$/ }).waitFor();

  // The profile now holds them: the bare /mentor opens on it.
  await page.goto(BASE_URL + "/mentor");
  await page.waitForURL(/skills=/);
  await hydrated(page, errors);
  const chips = await chipsOf(page);
  assert.ok(chips.includes("React") && chips.includes("JavaScript"), `${chips}`);
  assert.equal(await page.getByRole("radio", { name: /More than 5 years/ }).isChecked(), true);
  assert.deepEqual(errors, []);
  await context.close();
});
