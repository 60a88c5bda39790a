// Accounts, workspaces, team and API keys, end to end in a real browser:
// sign-up with email verification, invitations and roles, a secret key shown
// once, and password reset. Emails are read from the server's outbox.
// Locators use labels and roles, so these tests double as accessibility checks.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, launch, openPage, hydrated, screenshot, WORKSPACE_HOME } from "./browser.mjs";
import { waitForLink } from "./outbox.mjs";
import { PASSWORD, signUp, verifyEmail } from "./signup.mjs";
import { execFileSync } from "node:child_process";

const RUN = Date.now().toString(36);
const address = (who) => `${who}-${RUN}@example.com`;

/** The browser logs every 4xx response as a console error; some are expected. */
const unexpected = (errors) => errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e));

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Puts a workspace on a plan straight in the server's SQLite file (as billing will). */
function setPlan(workspace, plan) {
  const script = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("UPDATE workspaces SET plan = ? WHERE id = ?", (sys.argv[3], sys.argv[2]))
db.commit()
`;
  execFileSync("python3", ["-c", script, process.env.LODESTAR_DB ?? "data/lodestar.db", workspace, plan]);
}

async function logIn(page, email, password) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}


test("an owner signs up, invites an agent who joins, names them in a ticket's note (they are emailed and see it under Mentions), and creates a secret key shown once", async () => {
  const owner = await openPage(browser);
  const member = await openPage(browser);
  try {
    const ownerEmail = address("owner");
    const memberEmail = address("agent");
    const workspace = `Acme ${RUN}`;

    // Sign up and confirm the email: that logs the owner in, into their new workspace.
    await signUp(owner.page, { name: "Ada Lovelace", email: ownerEmail, workspace });
    await verifyEmail(owner.page, ownerEmail);
    const workspaceId = owner.page.url().match(WORKSPACE_HOME)[1];
    const workspaceUrl = `${BASE_URL}/app/w/${workspaceId}`;
    const ownerNav = owner.page.getByRole("navigation", { name: "Workspace" });
    await ownerNav.getByText(workspace).waitFor();

    // A new workspace lands on its first steps, none done yet, the first one to do highlighted.
    const steps = owner.page.getByRole("region", { name: "Get your assistant answering" });
    await steps.waitFor();
    assert.match(await steps.innerText(), /0 of 5 done/);
    assert.equal(await steps.getByRole("listitem").count(), 5);
    assert.match(await steps.locator(".first-step-next").innerText(), /Add what your assistant should know/);
    await screenshot(owner.page, "first-steps");
    await steps.getByRole("link", { name: "Add knowledge" }).click();
    await owner.page.waitForURL(`${workspaceUrl}/knowledge`);

    // Signed in, the public pages offer the dashboard instead of "Log in".
    await owner.page.goto(BASE_URL);
    await hydrated(owner.page);
    const header = owner.page.getByRole("banner");
    assert.equal(await header.getByRole("link", { name: "Log in" }).count(), 0);
    // The landing page loads no WASM, so the dashboard arrives as a whole page.
    await header.getByRole("link", { name: "Open dashboard" }).click();
    await owner.page.waitForURL(workspaceUrl);
    await hydrated(owner.page);

    // Invite the member as an agent from the Team page.
    await ownerNav.getByRole("link", { name: "Team", exact: true }).click();
    await owner.page.waitForURL(`${workspaceUrl}/team`);
    await owner.page.getByLabel("Email address", { exact: true }).fill(memberEmail);
    await owner.page.getByLabel("Role", { exact: true }).selectOption("agent");
    await owner.page.getByRole("button", { name: "Send invitation" }).click();
    await owner.page.getByText(/Invitation sent/).waitFor();
    const pending = owner.page.getByRole("region", { name: "Pending invitations" });
    await pending.getByText(memberEmail).waitFor();
    assert.match(await pending.innerText(), /Agent/);
    await screenshot(owner.page, "team-invited");

    // The member opens the emailed invitation, signs up from it and lands in the workspace.
    const invitation = await waitForLink(memberEmail, "/invite/");
    await member.page.goto(invitation);
    await hydrated(member.page);
    await member.page.getByRole("heading", { name: `Join ${workspace}` }).waitFor();
    assert.match(await member.page.getByRole("main").innerText(), new RegExp(`invited ${memberEmail.replace(/[.+]/g, "\\$&")}`));
    await member.page.getByRole("link", { name: "Create an account" }).click();
    await member.page.waitForURL(/\/signup\?invitation=/);
    const emailField = member.page.getByLabel("Email", { exact: true });
    assert.equal(await emailField.inputValue(), memberEmail, "the invited address is filled in");
    assert.equal(await emailField.isEditable(), false, "and locked");
    await member.page.getByLabel("Your name", { exact: true }).fill("Grace Hopper");
    await member.page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await member.page.getByRole("button", { name: "Create account" }).click();
    await member.page.waitForURL(workspaceUrl);

    // An agent sees neither Team nor API keys, and is told why at their addresses.
    const memberNav = member.page.getByRole("navigation", { name: "Workspace" });
    await memberNav.getByRole("link", { name: "Inbox", exact: true }).waitFor();
    assert.equal(await memberNav.getByRole("link", { name: "Team", exact: true }).count(), 0);
    assert.equal(await memberNav.getByRole("link", { name: "API keys", exact: true }).count(), 0);
    assert.ok(await memberNav.getByRole("link", { name: "Settings", exact: true }).isVisible());
    for (const [path, what] of [
      ["keys", "manage API keys"],
      ["team", "manage the team"],
    ]) {
      const response = await member.page.goto(`${workspaceUrl}/${path}`);
      assert.equal(response.status(), 200, path);
      await member.page.getByText(`Your role (Agent) can't ${what}. Ask an owner or admin.`).waitFor();
      await hydrated(member.page);
    }
    await screenshot(member.page, "agent-not-allowed");

    // The owner sees the agent in the team.
    await owner.page.reload();
    await hydrated(owner.page);
    const members = owner.page.getByRole("region", { name: /^Members/ });
    await members.getByText(memberEmail).waitFor();

    // Working together: the owner names the agent in a ticket's note (@ offers the team's names);
    // the agent is emailed, sees the count beside Mentions, and the mention leads to the ticket.
    await ownerNav.getByRole("link", { name: "Tickets", exact: true }).click();
    await owner.page.waitForURL(`${workspaceUrl}/tickets`);
    await owner.page.getByRole("button", { name: "New ticket" }).click();
    await owner.page.getByLabel("Subject").fill(`Refund for order ${RUN}`);
    await owner.page.getByRole("button", { name: "Open ticket" }).click();
    const ticket = owner.page.locator("article.ticket");
    await ticket.locator("#ticket-title", { hasText: `Refund for order ${RUN}` }).waitFor({ timeout: 10_000 });
    const note = ticket.getByLabel("Add an internal note");
    await note.click();
    await note.pressSequentially("Can you call them, @gr");
    await ticket.getByRole("listbox", { name: "Members to mention" }).getByRole("option", { name: "Grace Hopper" }).waitFor();
    await note.press("Enter");
    assert.equal(await note.inputValue(), "Can you call them, @Grace Hopper ");
    await note.pressSequentially("before Friday?");
    await note.press("Control+Enter");
    const written = ticket.locator(".note", { hasText: "before Friday?" });
    await written.locator(".mention", { hasText: "@Grace Hopper" }).waitFor();
    assert.equal(await note.inputValue(), "");
    await screenshot(owner.page, "ticket-notes");

    const emailed = await waitForLink(memberEmail, `/app/w/${workspaceId}/tickets`);
    await member.page.goto(workspaceUrl);
    await hydrated(member.page);
    const mentions = memberNav.getByRole("link", { name: /^Mentions/ });
    await mentions.locator(".nav-count", { hasText: "1" }).waitFor();
    await mentions.click();
    await member.page.waitForURL(`${workspaceUrl}/mentions`);
    const mention = member.page.locator(".mention-item.unread", { hasText: `Ada Lovelace mentioned you on #1 Refund for order ${RUN}` });
    await mention.getByText("Can you call them, @Grace Hopper before Friday?").waitFor();
    await screenshot(member.page, "mentions");
    await mention.getByRole("link").click();
    await member.page.waitForURL(/\/tickets\?t=/);
    assert.equal(new URL(member.page.url()).search, new URL(emailed).search, "the email leads to the same ticket");
    await member.page.locator("article.ticket .note .mention-me", { hasText: "@Grace Hopper" }).waitFor();
    // Opening the ticket read it: the count goes.
    await mentions.locator(".nav-count").waitFor({ state: "detached" });

    // Secret keys are for the REST API, which Pricing lists from Pro: Free offers none.
    await ownerNav.getByRole("link", { name: "API keys", exact: true }).click();
    await owner.page.waitForURL(`${workspaceUrl}/keys`);
    await owner.page.getByText("Secret keys for the REST API come with the Pro plan.").waitFor();
    assert.equal(await owner.page.getByRole("radio", { name: "Secret key" }).count(), 0);

    // On Pro the owner creates a secret key: its secret is shown once, then only its prefix.
    setPlan(workspaceId, "pro");
    await owner.page.reload();
    await hydrated(owner.page);
    await owner.page.getByLabel("Key name", { exact: true }).fill("Billing server");
    await owner.page.getByRole("radio", { name: "Secret key" }).check();
    // Secret keys have no allowed sites: the field goes away.
    await owner.page.getByLabel("Allowed sites", { exact: true }).waitFor({ state: "detached" });
    await owner.page.getByRole("button", { name: "Create key" }).click();
    const panel = owner.page.getByRole("status").filter({ hasText: "You won't see it again" });
    await panel.waitFor();
    const secret = (await owner.page.locator("#new-secret").innerText()).trim();
    assert.ok(secret.length >= 20, `a real secret (${secret.length} characters)`);
    assert.ok(await panel.getByRole("button", { name: /^Copy/ }).isVisible());
    await screenshot(owner.page, "keys-secret-once");

    await owner.page.reload();
    await hydrated(owner.page);
    const row = owner.page.getByRole("listitem").filter({ has: owner.page.getByRole("heading", { name: "Billing server" }) });
    await row.waitFor();
    assert.match(await row.innerText(), /Secret/);
    const display = (await row.locator(".key-display").innerText()).trim();
    let common = 0;
    while (common < display.length && display[common] === secret[common]) common++;
    assert.ok(common >= 4, `the list shows the key's prefix (${display})`);
    assert.ok(display.length < secret.length && !display.includes(secret), "but not the secret");
    assert.equal(await owner.page.locator("#new-secret").count(), 0);
    assert.ok(!(await owner.page.content()).includes(secret), "the secret is never sent again");

    // On a phone the sidebar folds behind the menu button and nothing scrolls sideways.
    const phone = await openPage(browser, {
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      storageState: await owner.context.storageState(),
    });
    try {
      await phone.page.goto(`${workspaceUrl}/team`);
      await hydrated(phone.page);
      const phoneNav = phone.page.getByRole("navigation", { name: "Workspace" });
      assert.ok(!(await phoneNav.isVisible()), "folded");
      const toggle = phone.page.getByRole("button", { name: "Menu", exact: true });
      await toggle.click();
      assert.equal(await toggle.getAttribute("aria-expanded"), "true");
      await phoneNav.getByRole("link", { name: "Settings", exact: true }).click();
      await phone.page.waitForURL(`${workspaceUrl}/settings`);
      await phone.page.getByRole("heading", { name: "Audit log" }).waitFor();
      assert.ok(!(await phoneNav.isVisible()), "folds again after navigating");
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the dashboard overflows by ${overflow}px`);
      await screenshot(phone.page, "mobile-settings");
      assert.deepEqual(phone.errors, []);
    } finally {
      await phone.context.close();
    }

    assert.deepEqual(owner.errors, []);
    assert.deepEqual(member.errors, []);
  } finally {
    await owner.context.close();
    await member.context.close();
  }
});

test("a forgotten password is reset from the emailed link; the old one stops working", async () => {
  const { page, errors, context } = await openPage(browser);
  try {
    const email = address("reset");
    const newPassword = "copper kettle meadow 77";
    await signUp(page, { name: "Katherine Johnson", email, workspace: `Orbits ${RUN}` });
    await verifyEmail(page, email);

    await page.goto(`${BASE_URL}/forgot`);
    await hydrated(page);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
    assert.match(await page.getByRole("status").first().innerText(), /If an account exists/);

    const link = await waitForLink(email, "/reset");
    await page.goto(link);
    await hydrated(page);
    await page.getByLabel("New password", { exact: true }).fill(newPassword);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("heading", { name: "Your password is changed" }).waitFor();
    await page.getByRole("main").getByRole("link", { name: "Log in" }).click();
    await page.waitForURL(`${BASE_URL}/login?reset=1`);
    assert.match(await page.getByRole("status").first().innerText(), /password is changed/);

    // The old password no longer works, and the page says so in plain words.
    await logIn(page, email, PASSWORD);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    const message = (await alert.innerText()).trim();
    assert.match(message, /email and password don't match/i, `a clear message: ${message}`);
    assert.match(new URL(page.url()).pathname, /^\/login$/);

    // The new one does.
    await page.getByLabel("Password", { exact: true }).fill(newPassword);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(WORKSPACE_HOME);
    await page.getByRole("navigation", { name: "Workspace" }).getByText(`Orbits ${RUN}`).waitFor();

    assert.deepEqual(unexpected(errors), [], "only the refused login may log an error");
  } finally {
    await context.close();
  }
});

test("sign-up fits a phone: its fields line up with its heading", async () => {
  const { page, context } = await openPage(browser, { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  try {
    await page.goto(`${BASE_URL}/signup`);
    await hydrated(page);
    const heading = await page.getByRole("heading", { name: "Create your account" }).boundingBox();
    const name = await page.getByLabel("Your name").boundingBox();
    assert.ok(Math.abs(name.x - heading.x) <= 2, `the name field starts at ${name.x}px, the heading at ${heading.x}px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `sign-up overflows by ${overflow}px`);
  } finally {
    await context.close();
  }
});
