// The mentor chat as a person meets it: results kept by signing up, the
// suggested questions answered from them, the history, the month's quota
// reached, and the same chat on a phone in the dark.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, screenshot, logInAsDemo, MENTOR_RESULTS } from "./browser.mjs";
import { waitForLink } from "./outbox.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const PASSWORD = "a long and private passphrase";
const email = `chat-${Date.now()}@example.com`;

test("results kept by signing up are what the mentor answers from, with suggestions, history and the month's quota", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(BASE_URL + MENTOR_RESULTS);
  await hydrated(page, errors);
  const topRole = (await page.getByRole("tablist", { name: "Recommended roles" }).getByRole("tab").first().innerText()).split("\n")[0];
  await page.getByRole("link", { name: "Keep these results" }).click();
  await page.waitForURL(/\/signup\?purpose=mentor&career=/);
  await page.getByLabel("Your name", { exact: true }).fill("Rosa Díaz");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
  await page.goto(await waitForLink(email, "/verify"));
  await hydrated(page, errors);
  await page.getByRole("button", { name: "Verify my email" }).click();
  await page.waitForURL(/\/mentor\?interest=/);

  // The results offer the mentor's questions; one opens the chat with it typed.
  await page.getByRole("heading", { name: "Ask the mentor about these results" }).waitFor();
  await page.getByRole("link", { name: "What should I learn first?" }).click();
  await page.waitForURL(/\/mentor\/chat\?ask=/);
  await hydrated(page, errors);
  await page.getByText(`Hi Rosa. You're aiming at ${topRole}`).waitFor();
  await page.getByText(/^Offline mode: answers are composed on our server/).waitFor();
  const box = page.getByLabel("Your question");
  assert.equal(await box.inputValue(), "What should I learn first?");
  await box.press("Enter");

  const thread = page.getByRole("list", { name: "Conversation" });
  const mentor = thread.locator(".bubble-bot:not(.bubble-pending)");
  await mentor.nth(1).waitFor();
  assert.match(await mentor.nth(1).innerText(), new RegExp(`For ${topRole}, start with the quick wins[\\s\\S]*1\\. .+: about [\\d.]+ weeks`));
  await page.waitForURL(/\/mentor\/chat\?c=/);
  const conversationUrl = page.url();
  assert.equal(await box.inputValue(), "", "the box empties once asked");
  await page.locator(".meter-value", { hasText: "1 of 10 questions this month" }).waitFor();

  // Fresh suggestions: the question just asked is not offered again.
  const suggestions = page.getByRole("group", { name: "Suggested questions" }).getByRole("button");
  assert.ok(!(await suggestions.allInnerTexts()).includes("What should I learn first?"));
  await suggestions.filter({ hasText: "How long until I'm job-ready?" }).click();
  await mentor.nth(2).waitFor();
  assert.match(await mentor.nth(2).innerText(), /At 8 hours a week, the plan for .+ takes about [\d.]+ weeks/);
  await mentor.nth(2).getByText("What this rests on").click();
  await mentor.nth(2).getByText(/Lodestar's learning-hours table/).waitFor();

  // The history keeps it: a new conversation starts empty, the old one reopens whole.
  const history = page.getByRole("navigation", { name: "Your conversations" });
  await page.getByRole("link", { name: "New conversation" }).click();
  await page.waitForURL(/\/mentor\/chat$/);
  await history.getByRole("link", { name: /What should I learn first\?/ }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll(".chat-thread > li").length === 1);
  assert.match(await thread.innerText(), /^Hi Rosa\./, "only the greeting");
  await history.getByRole("link", { name: /What should I learn first\?/ }).click();
  await page.waitForURL(conversationUrl);
  await mentor.nth(2).waitFor();
  assert.equal(await thread.locator(".bubble-visitor").count(), 2);

  // Free has 10 questions a month: the 11th is refused, kept in the box, and says why.
  for (let asked = 3; asked <= 10; asked++) {
    await box.fill(`Why was this role recommended? (${asked})`);
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    await page.locator(".meter-value", { hasText: `${asked} of 10 questions this month` }).waitFor();
  }
  await box.fill("What adjacent roles can I move to?");
  await box.press("Enter");
  const limit = page.getByRole("alert").filter({ hasText: "You've reached your limit" });
  await limit.waitFor();
  assert.match(await limit.innerText(), /your 10 questions for this month on the Free plan\. They come back on 1 \w+ \d{4}/);
  assert.equal(await box.inputValue(), "What adjacent roles can I move to?", "nothing typed is lost");
  assert.equal(await page.locator("#mentor-questions").getAttribute("value"), "10");
  await screenshot(page, "mentor-chat-quota");
  assert.deepEqual(errors.filter((e) => !e.includes("status of 429")), [], "only the refusal's status in the console");
  await context.close();
});

test("on a phone in the dark the chat fits the screen, history below the thread", async () => {
  const { page, errors, context } = await openPage(browser, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${BASE_URL}/login?next=/mentor/chat`);
  await hydrated(page, errors);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/mentor\/chat$/);
  await hydrated(page, errors);
  await page.getByText(/^Hi Rosa\./).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const thread = await page.getByRole("list", { name: "Conversation" }).boundingBox();
  const history = await page.getByRole("navigation", { name: "Your conversations" }).boundingBox();
  assert.ok(history.y > thread.y, "the thread comes first on a phone");
  await screenshot(page, "mentor-chat-phone-dark");
  assert.deepEqual(errors, []);
  await context.close();
});

test("signed out, the chat says what it is and how to get it", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(`${BASE_URL}/mentor/chat`);
  await hydrated(page, errors);
  await page.getByRole("heading", { name: "Talk to your career mentor" }).waitFor();
  await page.getByRole("link", { name: "Create a free account" }).waitFor();
  assert.deepEqual(errors.filter((e) => !e.includes("401")), []);
  await context.close();
});

test("an operator sees who uses the mentor, questions per day drawn, and the limits people hit", async () => {
  const { page, errors, context } = await openPage(browser);
  await logInAsDemo(page); // OPERATOR_EMAILS defaults to the demo login in development
  await page.goto(`${BASE_URL}/ops/mentor`);
  await hydrated(page, errors);
  await page.getByRole("heading", { name: "Career mentor: insights" }).waitFor();
  const chart = page.getByRole("img", { name: /^Questions per day from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}$/ });
  await chart.waitFor();
  assert.equal(await chart.locator("rect").count(), 30, "a bar per day");
  assert.match(await page.locator(".ops-chart figcaption").innerText(), /Questions per day · \d+ in the last 30 days/);
  // This run's chat test asked 10 and was refused once.
  assert.match(await page.getByText(/refused at the monthly allowance/).innerText(), /^[1-9]\d* refused at the monthly allowance/);
  await page.getByRole("heading", { name: "Roles recommended first" }).waitFor();
  await screenshot(page, "mentor-ops");
  assert.deepEqual(errors, []);
  await context.close();
});

test("nobody else can reach the operators' page", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(`${BASE_URL}/login`);
  await hydrated(page, errors);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  await page.goto(`${BASE_URL}/ops/mentor`);
  await hydrated(page, errors);
  await page.getByText("We couldn't find that").waitFor();
  assert.equal(await page.getByRole("img", { name: /Questions per day/ }).count(), 0);
  await context.close();
});
