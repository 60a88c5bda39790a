// The chat widget on a customer's site, in a real browser: the host page is
// served from another origin than the API and styles everything it can;
// the widget still looks like itself, answers a question from the demo help
// centre with a cited, streamed answer, keeps the conversation across a
// reload, hands off to a person, and works from the keyboard.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFileSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_URL, WORKSPACE_HOME, hydrated, launch, logInAsDemo, openPage, screenshot } from "./browser.mjs";
import { waitForMessage } from "./outbox.mjs";

// The help centre is embedded on a debug build at first start: a ceiling, not a wait.
const ANSWER_TIMEOUT = 120_000;

// A hostile host page: it restyles every element it can reach.
const HOST_PAGE = (key, identity) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Customer site</title>
<style>
  * { font-family: "Comic Sans MS", cursive !important; color: red !important; line-height: 3 !important;
      letter-spacing: 4px !important; box-sizing: content-box !important; }
  button { background: yellow !important; width: 10px !important; border: 6px solid lime !important; }
  div, section { background: pink !important; padding: 30px !important; }
</style></head>
<body><h1>Welcome to our shop</h1><p>Everything is styled aggressively here.</p>
<script src="${BASE_URL}/widget.js" data-key="${key}"${identity ? ` data-identity="${identity}"` : ""} async></script>
</body></html>`;

// The server's data directory: its SQLite file, key and inbound secret.
const DATA_DIR = process.env.LODESTAR_DATA_DIR ?? "data";

let browser;
let host;
let hostUrl;
let hostKey = "";
let workspaceId = "";
let uploadedSource = "";

// A document uploaded for these tests; its name is unique to this run.
const RUN = Date.now().toString(36);
const UPLOAD = {
  name: `gift-wrapping-${RUN}.md`,
  text: "# Gift wrapping\n\nEvery order can be gift wrapped for 4 euros per parcel. Choose gift wrapping at " +
    "checkout and add a card with a message of up to 200 characters. Gift-wrapped parcels never show prices.\n",
  question: "Can you gift wrap my order, and how much does it cost?",
};

/** A visitor on the customer's site with the widget open and greeted. */
async function visitorWithWidget() {
  const visitor = await openPage(browser);
  await visitor.page.goto(hostUrl);
  await visitor.page.locator("lodestar-widget .launcher").click();
  const widget = visitor.page.locator("lodestar-widget");
  await widget.locator(".chip").first().waitFor({ timeout: 30_000 });
  return { ...visitor, widget };
}

/** The visitor asks `question` and waits for the answer (`answered`: what marks it). */
async function ask(visitor, question, answered = ".msg.bot .feedback") {
  await visitor.widget.locator("textarea").fill(question);
  await visitor.page.keyboard.press("Enter");
  await visitor.widget.locator(answered).last().waitFor({ timeout: ANSWER_TIMEOUT });
}

/** Uploads the test document as the signed-in owner and waits until it is ready; returns its source id. */
async function uploadAndWait(page, workspace) {
  const uploaded = await page.evaluate(
    async ({ workspace, name, text }) => {
      const form = new FormData();
      form.append("file", new Blob([text], { type: "text/markdown" }), name);
      const response = await fetch(`/api/w/${workspace}/knowledge/files`, { method: "POST", body: form });
      return { status: response.status, json: await response.json() };
    },
    { workspace, name: UPLOAD.name, text: UPLOAD.text },
  );
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.json));
  const id = uploaded.json[0].source.id;
  await page.waitForFunction(
    async ({ workspace, id }) => {
      const body = new URLSearchParams({ workspace_id: workspace });
      const response = await fetch("/api/knowledge/overview", { method: "POST", body, headers: { accept: "application/json" } });
      const source = (await response.json()).sources.find((s) => s.id === id);
      if (source?.status === "failed") throw new Error(source.error);
      return source?.status === "ready";
    },
    { workspace, id },
    { timeout: ANSWER_TIMEOUT, polling: 500 },
  );
  return id;
}

/** A customer site on its own port: a different origin from the API. */
function startHost() {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      // `/?key=pk_…` embeds another workspace's widget on the same site;
      // `/?identity=…` is a page the site rendered for a signed-in customer.
      const params = new URL(request.url, "http://host").searchParams;
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(HOST_PAGE(params.get("key") ?? hostKey, params.get("identity")));
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/** What the shop's server does for a signed-in customer: an HS256 JWT under the identity secret. */
function signIdentity(secret, claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signed = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
}

/** The newest conversation's flag and visitor email, straight from the server's SQLite file. */
function newestConversation() {
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT flag_reason, visitor_email FROM conversations ORDER BY updated_at DESC LIMIT 1").fetchone()
print(json.dumps({"flag": row[0], "email": row[1]} if row else {}))
`;
  return JSON.parse(execFileSync("python3", ["-c", script, process.env.LODESTAR_DB ?? "data/lodestar.db"], { encoding: "utf8" }));
}

before(async () => {
  browser = await launch();
  host = await startHost();
  hostUrl = `http://127.0.0.1:${host.address().port}`;
  // The demo owner creates a publishable key for the customer site through the app.
  const { page, context } = await openPage(browser);
  const workspace = (await logInAsDemo(page)).match(WORKSPACE_HOME)[1];
  workspaceId = workspace;
  uploadedSource = await uploadAndWait(page, workspace);
  const created = await page.evaluate(
    async ({ workspace, origin }) => {
      const body = new URLSearchParams({ workspace_id: workspace, name: "Browser test site", kind: "publishable", allowed_origins: origin });
      const response = await fetch("/api/keys/create", { method: "POST", body, headers: { accept: "application/json" } });
      return { status: response.status, json: await response.json() };
    },
    { workspace, origin: hostUrl },
  );
  assert.equal(created.status, 200, JSON.stringify(created.json));
  hostKey = created.json.key.display;
  await context.close();
});

after(async () => {
  if (uploadedSource) {
    const { page, context } = await openPage(browser);
    await logInAsDemo(page);
    await page.evaluate(
      async ({ workspace, id }) => {
        const body = new URLSearchParams({ workspace_id: workspace, source_id: id });
        await fetch("/api/knowledge/delete", { method: "POST", body, headers: { accept: "application/json" } });
      },
      { workspace: workspaceId, id: uploadedSource },
    );
    await context.close();
  }
  await browser?.close();
  host?.close();
});

test("the widget keeps its looks on a hostile page, answers with sources, survives a reload and hands off", async () => {
  const { page, errors, context } = await openPage(browser);
  await page.goto(hostUrl);
  const launcher = page.locator("lodestar-widget .launcher");
  await launcher.waitFor({ state: "visible", timeout: 30_000 });

  // The host page's CSS does not reach inside.
  const looks = await launcher.evaluate((el) => {
    const style = getComputedStyle(el);
    return { width: style.width, background: style.backgroundColor, border: style.borderTopWidth };
  });
  assert.equal(looks.width, "56px");
  assert.equal(looks.border, "0px");
  assert.notEqual(looks.background, "rgb(255, 255, 0)");

  await launcher.click();
  const panel = page.locator("lodestar-widget .panel");
  await panel.waitFor({ state: "visible" });
  const font = await panel.evaluate((el) => getComputedStyle(el).fontFamily);
  assert.doesNotMatch(font, /Comic/);
  // On the Free plan the widget says where it comes from, in a new tab.
  const brand = page.locator("lodestar-widget .brand");
  await brand.waitFor();
  assert.equal(await brand.innerText(), "Powered by Lodestar");
  assert.equal(await brand.getAttribute("target"), "_blank");
  assert.match(await brand.getAttribute("href"), /\/\?ref=widget$/);
  // The greeting and starters arrive with the session.
  await page.locator("lodestar-widget .chip").first().waitFor({ timeout: 30_000 });

  const question = "How long does standard delivery take?";
  await page.locator("lodestar-widget textarea").fill(question);
  await page.keyboard.press("Enter");
  const answer = page.locator("lodestar-widget .msg.bot:has(.sources)").last();
  await answer.waitFor({ timeout: ANSWER_TIMEOUT });
  assert.match(await answer.innerText(), /3 to 5 business days/);
  assert.match(await answer.locator(".sources").innerText(), /\[1\] Shipping and delivery/);
  assert.ok((await page.locator("lodestar-widget .feedback button").count()) >= 2, "thumbs up and down");
  await screenshot(page, "widget-answer");

  // A question the uploaded document answers, cited by that document.
  await page.locator("lodestar-widget textarea").fill(UPLOAD.question);
  await page.keyboard.press("Enter");
  const cited = page.locator("lodestar-widget .msg.bot:has(.sources)", { hasText: "4 euros" }).last();
  await cited.waitFor({ timeout: ANSWER_TIMEOUT });
  assert.match(await cited.locator(".sources").innerText(), /\[\d\] [^\n]*(Gift wrapping|gift-wrapping)/i);
  // A file has no address to link to: its citation opens the quoted passage in place,
  // from the source list or from the [n] in the answer.
  const quote = cited.locator(".sources details blockquote");
  assert.equal(await quote.isVisible(), false);
  await cited.locator(".cite").first().click();
  await quote.waitFor({ state: "visible" });
  assert.match(await quote.innerText(), /Every order can be gift wrapped for 4 euros per parcel\./);
  assert.doesNotMatch(await quote.innerText(), /#/);
  await screenshot(page, "widget-quoted-passage");

  // A reload keeps the conversation (the visitor token is in localStorage).
  await page.reload();
  await page.locator("lodestar-widget .launcher").click();
  await page.locator("lodestar-widget .msg.visitor", { hasText: question }).waitFor({ timeout: 30_000 });
  await page.locator("lodestar-widget .msg.bot:has(.sources)").first().waitFor();

  // "Talk to a human" flags the conversation for the team and says what really happens,
  // and asks where the team may write.
  await page.locator("lodestar-widget .human").click();
  const handoff = page.locator("lodestar-widget .handoff");
  // With nobody at the desk the team writes by email; with someone there (a test's inbox
  // may have just closed) the visitor waits in line and leaves an email in case.
  await handoff.getByText(/Our team will follow up by email\. Where should they write to you\?|If you have to leave, where should the team write to you\?/).waitFor();
  assert.equal(newestConversation().flag, "asked_for_human");
  await handoff.getByRole("textbox").fill("not an email");
  await handoff.getByRole("textbox").press("Enter");
  await handoff.getByRole("alert").getByText("Please enter a valid email address.").waitFor();
  await handoff.getByRole("textbox").fill("visitor@example.com");
  await handoff.getByRole("button").click();
  await page.locator("lodestar-widget .status", { hasText: /(will reply|write) to visitor@example\.com/ }).waitFor();
  await handoff.waitFor({ state: "detached" });
  assert.equal(newestConversation().email, "visitor@example.com");
  await screenshot(page, "widget-handoff");
  // After a reload the widget remembers that the team will write.
  await page.reload();
  await page.locator("lodestar-widget .launcher").click();
  await page.locator("lodestar-widget .status", { hasText: /(will reply|write) to visitor@example\.com/ }).waitFor({ timeout: 30_000 });

  const unexpected = errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e));
  assert.deepEqual(unexpected, []);
  await context.close();
});

/** The newest conversation's id, straight from the server's SQLite file. */
function newestConversationId() {
  const script = `
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(db.execute("SELECT id FROM conversations ORDER BY updated_at DESC LIMIT 1").fetchone()[0])
`;
  return execFileSync("python3", ["-c", script, process.env.LODESTAR_DB ?? "data/lodestar.db"], { encoding: "utf8" }).trim();
}

test("the team works the inbox live: a waiting visitor comes first, a person joins from the keyboard, they talk and type both ways, hand back, resolve and get rated", async () => {
  // The agent's inbox is open before the visitor arrives: everything below reaches it live.
  const agent = await openPage(browser);
  const home = await logInAsDemo(agent.page);
  await agent.page.goto(home);
  await hydrated(agent.page, agent.errors);
  await agent.page.getByRole("heading", { name: "Inbox", level: 1 }).waitFor();
  await agent.page.locator(".desk-list .live-state.live-on").waitFor();

  const visitor = await visitorWithWidget();
  const { widget } = visitor;
  await ask(visitor, "How long does standard delivery take?", ".msg.bot:has(.sources)");
  const conversation = newestConversationId();
  const item = agent.page.locator(`.desk-item[data-id="${conversation}"]`);
  await item.waitFor({ timeout: 10_000 });
  // Asking for a person puts it among the waiting, marked, without a reload.
  await widget.locator(".human").click();
  // Someone is at the desk (this agent): the visitor waits in line and may leave an email in case.
  await widget.locator(".status", { hasText: /You're number \d+ in line for a person\./ }).waitFor();
  await widget.locator(".handoff", { hasText: "If you have to leave, where should the team write to you?" }).waitFor();
  await item.locator(".pill.waiting").waitFor({ timeout: 10_000 });
  assert.match(await item.innerText(), /Asked for a person/);
  await item.locator(".desk-unread").waitFor();

  // Open it, and join with the keyboard: the visitor hears it within moments.
  await item.locator("a").click();
  await agent.page.waitForURL(new RegExp(`c=${conversation}`));
  const thread = agent.page.locator(".desk-thread");
  await thread.getByText("How long does standard delivery take?").waitFor();
  await thread.locator(".desk-answering", { hasText: "The assistant is answering." }).waitFor();
  await agent.page.keyboard.press("a");
  await thread.locator(".desk-answering", { hasText: "You're answering." }).waitFor();
  const name = (await agent.page.locator(".user-name").innerText()).trim();
  await widget.locator(".event", { hasText: `${name} joined the chat` }).waitFor({ timeout: 10_000 });

  // While a person answers, "Talk to a human" steps aside.
  await widget.locator(".human").waitFor({ state: "hidden" });

  // "r" goes to the reply box; the visitor sees the person typing; Enter sends, and the visitor sees it live, signed.
  await agent.page.keyboard.press("r");
  await agent.page.keyboard.type("Hi! I can check that order for you.");
  await widget.locator(".agent-typing", { hasText: `${name} is typing…` }).waitFor({ timeout: 10_000 });
  await agent.page.keyboard.type(" Which one is it?");
  await agent.page.keyboard.press("Enter");
  const reply = widget.locator(".msg.agent", { hasText: "Which one is it?" });
  await reply.waitFor({ timeout: 10_000 });
  assert.equal(await reply.locator(".who").innerText(), name);
  await widget.locator(".agent-typing").waitFor({ state: "detached" });
  // The reply box empties once the server has it.
  await agent.page.waitForFunction(() => document.querySelector("#desk-reply").value === "");
  // The visitor's widget showed the reply: the agent sees "Seen" under it.
  await thread.locator(".desk-seen", { hasText: "Seen" }).waitFor({ timeout: 10_000 });
  assert.match(await thread.locator(".desk-seen").evaluate((e) => e.previousElementSibling.textContent), /Which one is it\?/);

  // The visitor's answer reaches the agent live; the assistant stays silent.
  const answers = await widget.locator(".msg.bot").count();
  await widget.locator("textarea").fill("Order 1042, thanks");
  await thread.locator(".desk-typing", { hasText: "The visitor is typing…" }).waitFor({ timeout: 10_000 });
  await visitor.page.keyboard.press("Enter");
  await thread.locator(".from-visitor", { hasText: "Order 1042, thanks" }).waitFor({ timeout: 10_000 });
  await widget.locator(".typing").waitFor({ state: "detached" });
  assert.equal(await widget.locator(".msg.bot").count(), answers, "no answer from the assistant");
  // The agent has it on screen: the visitor sees "Seen" under their message.
  const seenUnder = () => widget.locator(".seen").evaluate((e) => [e.textContent, e.previousElementSibling.textContent]);
  await widget.locator(".seen").waitFor({ timeout: 10_000 });
  assert.deepEqual(await seenUnder(), ["Seen", "Order 1042, thanks"]);
  // The newest line stays in sight in the agent's thread.
  await agent.page.waitForFunction(() => {
    const list = document.querySelector(".desk-transcript");
    return list.scrollHeight - list.scrollTop - list.clientHeight < 2;
  }, null, { timeout: 5_000 });
  await screenshot(visitor.page, "widget-person-joined");
  await screenshot(agent.page, "inbox-conversation");

  // A reload keeps the person's replies and says who is answering; the channel resumes once.
  await visitor.page.reload();
  await visitor.page.locator("lodestar-widget .launcher").click();
  await widget.locator(".msg.agent", { hasText: "Which one is it?" }).waitFor({ timeout: 30_000 });
  await widget.locator(".event", { hasText: `${name} joined the chat` }).waitFor();
  assert.deepEqual(await seenUnder(), ["Seen", "Order 1042, thanks"], "a reload still says Seen");
  await agent.page.locator("#desk-reply").fill("Found it: it ships today.");
  await agent.page.getByRole("button", { name: "Send", exact: true }).click();
  await widget.locator(".msg.agent", { hasText: "it ships today" }).waitFor({ timeout: 10_000 });
  assert.equal(await widget.locator(".msg.agent").count(), 2);
  // "Seen" moves to the newest reply the visitor saw.
  await agent.page.waitForFunction(() => /it ships today/.test(document.querySelector(".desk-seen")?.previousElementSibling?.textContent ?? ""));
  assert.equal(await thread.locator(".desk-seen").count(), 1);

  // Handed back, the assistant answers again.
  await thread.getByRole("button", { name: "Hand back to the assistant" }).click();
  await widget.locator(".event", { hasText: "The assistant is answering again." }).waitFor({ timeout: 10_000 });
  await thread.locator(".desk-answering", { hasText: "The assistant is answering." }).waitFor();
  await widget.locator(".human").waitFor();
  const stored = await widget.locator(".msg.bot .feedback").count();
  await widget.locator("textarea").fill("Can I pay with PayPal?");
  await visitor.page.keyboard.press("Enter");
  await widget.locator(".msg.bot .feedback").nth(stored).waitFor({ timeout: ANSWER_TIMEOUT });

  // Joined again, "e" resolves: the visitor is asked once to rate the person, who sees the rating live.
  await agent.page.keyboard.press("a");
  await thread.locator(".desk-answering", { hasText: "You're answering." }).waitFor();
  await agent.page.keyboard.press("e");
  await thread.locator(".desk-answering", { hasText: "Resolved." }).waitFor();
  const rating = widget.locator(".rating");
  await rating.waitFor({ timeout: 10_000 });
  await rating.getByRole("button", { name: "Send rating" }).click();
  await rating.locator(".handoff-error", { hasText: "Choose from 1 to 5 stars." }).waitFor();
  await rating.getByRole("button", { name: "4 of 5 stars" }).click();
  assert.equal(await rating.locator(".star.on").count(), 4);
  assert.equal(await rating.locator(".handoff-error").innerText(), "", "choosing stars clears the reminder");
  await rating.locator("textarea").fill("Quick and kind");
  await screenshot(visitor.page, "widget-rating-asked");
  await rating.getByRole("button", { name: "Send rating" }).click();
  await rating.getByText("Thanks for your rating!").waitFor();
  await thread.locator(".desk-rating", { hasText: "Rated 4 out of 5" }).waitFor({ timeout: 10_000 });
  assert.match(await thread.locator(".desk-rating").innerText(), /Quick and kind/);
  await thread.locator(".desk-event", { hasText: "The visitor rated this conversation 4 out of 5" }).waitFor();
  await screenshot(visitor.page, "widget-rating");
  // It leaves the open conversations and waits under Resolved.
  await item.waitFor({ state: "detached", timeout: 10_000 });
  await agent.page.getByRole("link", { name: /^Resolved/ }).click();
  await agent.page.waitForURL(/view=resolved/);
  await agent.page.locator(`.desk-item[data-id="${conversation}"]`).waitFor();

  for (const { errors } of [visitor, agent]) {
    assert.deepEqual(errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  }
  await visitor.context.close();
  await agent.context.close();
});

test("an agent asks for a draft grounded in the help centre, edits and sends it, throws another away, and the inbox counts them", async () => {
  const visitor = await visitorWithWidget();
  const { widget } = visitor;
  await ask(visitor, "How long does standard delivery take?", ".msg.bot:has(.sources)");
  await widget.locator(".human").click();
  const conversation = newestConversationId();

  const agent = await openPage(browser, { colorScheme: "dark" });
  const home = await logInAsDemo(agent.page);
  await agent.page.goto(`${home}?c=${conversation}`);
  await hydrated(agent.page, agent.errors);
  const thread = agent.page.locator(".desk-thread");
  await thread.getByText("How long does standard delivery take?").first().waitFor();

  // "d" drafts from the help centre into the reply box, with its sources; nothing reaches the visitor yet.
  const box = agent.page.locator("#desk-reply");
  await agent.page.keyboard.press("d");
  const draft = thread.locator(".desk-draft");
  await draft.waitFor({ timeout: ANSWER_TIMEOUT });
  assert.match(await draft.innerText(), /Drafted offline from \d+ sources? in your knowledge base\./);
  assert.ok((await draft.locator(".sources li").count()) > 0, "the draft names its sources");
  const drafted = await box.inputValue();
  assert.match(drafted, /business days/, "the draft answers from the delivery article");
  assert.doesNotMatch(drafted, /\[\d+\]/, "the sources sit beside the draft, not in the visitor's text");
  assert.equal(await widget.locator(".msg.agent").count(), 0, "a draft is sent by nobody but the agent");
  await screenshot(agent.page, "inbox-draft-dark");

  // Edited and sent with Enter: the visitor gets the edited text, signed by the agent.
  await box.press("End");
  await box.pressSequentially(" Anything else I can help with?");
  await box.press("Enter");
  await widget.locator(".msg.agent", { hasText: "Anything else I can help with?" }).waitFor({ timeout: 10_000 });
  await draft.waitFor({ state: "detached" });
  assert.equal(await box.inputValue(), "");

  // A second draft is thrown away: the box gives back what the agent had written.
  await widget.locator("textarea").fill("Is shipping free on big orders?");
  await visitor.page.keyboard.press("Enter");
  await thread.locator(".from-visitor", { hasText: "Is shipping free on big orders?" }).waitFor({ timeout: 10_000 });
  await box.fill("Let me check");
  await thread.getByRole("button", { name: /Draft a reply/ }).click();
  await draft.waitFor({ timeout: ANSWER_TIMEOUT });
  assert.notEqual(await box.inputValue(), "Let me check");
  await draft.getByRole("button", { name: "Discard draft" }).click();
  await draft.waitFor({ state: "detached" });
  assert.equal(await box.inputValue(), "Let me check");

  // The inbox counts what became of the assistant's drafts, drawn as a bar.
  const use = agent.page.locator(".desk-drafts");
  await use.waitFor({ timeout: 10_000 });
  await use.locator(".draft-legend li.draft-discarded").waitFor({ timeout: 10_000 });
  assert.match(await use.innerText(), /Assistant drafts, last 30 days/);
  assert.match(await use.innerText(), /\d+ edited/);
  assert.ok((await use.locator(".draft-bar rect").count()) >= 2);
  await agent.page.setViewportSize({ width: 390, height: 844 });
  await screenshot(agent.page, "inbox-draft-phone");

  // Resolved, so the tests after this one find no conversation left waiting.
  await agent.page.setViewportSize({ width: 1280, height: 900 });
  await thread.getByRole("button", { name: /Resolve/ }).click();
  await thread.locator(".desk-answering", { hasText: "Resolved." }).waitFor();
  for (const { errors } of [visitor, agent]) {
    assert.deepEqual(errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  }
  await visitor.context.close();
  await agent.context.close();
});

test("a visitor's request for a person becomes a ticket the team assigns, prioritises and solves, with its history; a member opens one by hand, and merges a duplicate into it", async () => {
  const question = `Can I change the delivery address of order ${RUN}?`;
  const visitor = await visitorWithWidget();
  const { widget } = visitor;
  // The greeting is a bot message too: wait for the answer itself, which can be rated.
  await ask(visitor, question);
  await widget.locator(".human").click();
  // Nobody is at the desk: the widget asks where the team should write.
  await widget.locator(".handoff").waitFor({ timeout: 10_000 });

  const agent = await openPage(browser);
  const home = await logInAsDemo(agent.page);
  await agent.page.goto(`${home}/tickets`);
  await hydrated(agent.page, agent.errors);
  await agent.page.getByRole("heading", { name: "Tickets", level: 1 }).waitFor();
  const row = agent.page.locator(".desk-item", { hasText: question });
  await row.waitFor();
  assert.match(await row.innerText(), /Open/);
  await row.locator("a").click();
  await agent.page.waitForURL(/t=/);
  const pane = agent.page.locator("article.ticket");
  await pane.getByText("Escalated from a chat: Asked for a person").waitFor();
  assert.match(await pane.getByRole("link", { name: "Open the conversation" }).getAttribute("href"), /\?c=/);

  // Assigned, made urgent and set pending: each change is saved at once and told in the history.
  const name = (await agent.page.locator(".user-name").innerText()).trim();
  await pane.getByRole("button", { name: "Assign to me" }).click();
  await pane.locator(".desk-answering", { hasText: `Assigned to ${name}` }).waitFor();
  await pane.getByLabel("Priority").selectOption("urgent");
  await pane.locator(".ticket-history li", { hasText: `${name} changed the priority from Normal to Urgent` }).waitFor();
  await pane.getByLabel("Status").selectOption("pending");
  await pane.locator(".ticket-history li", { hasText: "changed the status from Open to Pending" }).waitFor();
  await row.locator(".pill.status-pending").waitFor();
  assert.match(await pane.locator(".ticket-history").innerText(), new RegExp(`${name} assigned it to ${name}`));
  assert.match(await pane.locator(".ticket-history li").last().innerText(), /Lodestar opened the ticket/);
  await screenshot(agent.page, "tickets-worked");
  // The fields show what is saved, after a reload as after a click.
  const fields = async () => [await pane.getByLabel("Status").inputValue(), await pane.getByLabel("Priority").inputValue()];
  assert.deepEqual(await fields(), ["pending", "urgent"]);
  await agent.page.reload();
  await hydrated(agent.page, agent.errors);
  await pane.locator(".ticket-history li").first().waitFor();
  assert.deepEqual(await fields(), ["pending", "urgent"]);
  assert.notEqual(await pane.getByLabel("Assignee").inputValue(), "nobody");

  // Solved, it moves to the Solved view.
  await pane.getByRole("button", { name: "Solve" }).click();
  await pane.locator(".pill.status-solved").waitFor();
  await agent.page.getByRole("link", { name: /^Solved/ }).click();
  await agent.page.waitForURL(/view=solved/);
  await agent.page.locator(".desk-item", { hasText: question }).waitFor();

  // By hand: a subject is needed; then the new ticket opens.
  await agent.page.getByRole("button", { name: "New ticket" }).click();
  await agent.page.getByRole("button", { name: "Open ticket" }).click();
  await agent.page.locator("#ticket-subject-error", { hasText: "Say what the ticket is about." }).waitFor();
  await agent.page.getByLabel("Subject").fill(`Call back about invoice ${RUN}`);
  await agent.page.getByRole("button", { name: "Open ticket" }).click();
  await pane.locator("#ticket-title", { hasText: `Call back about invoice ${RUN}` }).waitFor({ timeout: 10_000 });
  await pane.getByText("Opened by the team").waitFor();
  assert.deepEqual(await fields(), ["open", "normal"]);
  assert.equal(await pane.getByLabel("Assignee").inputValue(), "nobody");

  // Renamed in place (Escape puts it back) and tagged; a tag shows the tickets that have it.
  await pane.getByRole("button", { name: "Rename" }).click();
  await pane.getByLabel("Subject").fill("Not this");
  await pane.getByLabel("Subject").press("Escape");
  await pane.locator("#ticket-title", { hasText: `Call back about invoice ${RUN}` }).waitFor();
  await pane.getByRole("button", { name: "Rename" }).click();
  await pane.getByLabel("Subject").fill(`Call back about invoice ${RUN} before Friday`);
  await pane.getByLabel("Subject").press("Enter");
  await pane.locator(".ticket-history li", { hasText: `${name} changed the subject from Call back about invoice ${RUN} to` }).waitFor();
  await pane.getByLabel("Tags").fill("vip!");
  await pane.getByRole("button", { name: "Add", exact: true }).click();
  await pane.getByText('"vip!" is not one').waitFor();
  await pane.getByLabel("Tags").fill(`#VIP callback-${RUN}`);
  await pane.getByLabel("Tags").press("Enter");
  await pane.locator(".ticket-history li", { hasText: `${name} set the tags to vip, callback-${RUN}` }).waitFor();
  await pane.getByRole("button", { name: `Remove the tag callback-${RUN}` }).click();
  await pane.locator(".ticket-history li > span", { hasText: /set the tags to vip$/ }).waitFor();
  // A duplicate opened by hand is merged into it by number: the duplicate closes, and the page goes on to this one.
  const number = (await pane.locator("#ticket-title").innerText()).match(/^#(\d+)/)[1];
  await agent.page.getByRole("button", { name: "New ticket" }).click();
  await agent.page.getByLabel("Subject").fill(`Invoice ${RUN} again`);
  await agent.page.getByRole("button", { name: "Open ticket" }).click();
  await pane.locator("#ticket-title", { hasText: `Invoice ${RUN} again` }).waitFor({ timeout: 10_000 });
  const duplicate = agent.page.url();
  await pane.getByText("Merge into another ticket").click();
  await pane.getByLabel("Ticket number").fill("#0");
  await pane.getByRole("button", { name: "Merge", exact: true }).click();
  await pane.locator("#merge-into-error", { hasText: "such as 12" }).waitFor();
  await pane.getByLabel("Ticket number").fill(number);
  await pane.getByRole("button", { name: "Merge", exact: true }).click();
  await pane.locator("#ticket-title", { hasText: `#${number} Call back about invoice ${RUN}` }).waitFor({ timeout: 10_000 });
  await pane.locator(".ticket-history li", { hasText: new RegExp(`${name} merged #\\d+ into it`) }).waitFor();
  await agent.page.goto(duplicate);
  await hydrated(agent.page, agent.errors);
  await pane.locator(".merged-into", { hasText: `Merged into #${number}` }).waitFor();
  assert.deepEqual(await fields(), ["closed", "normal"]);
  await pane.getByRole("link", { name: `Open #${number}` }).click();
  await pane.locator("#ticket-title", { hasText: `#${number} Call back` }).waitFor();
  await pane.getByRole("link", { name: "#vip" }).click();
  await agent.page.waitForURL(/tag=vip/);
  await agent.page.locator(".tag-filter", { hasText: "Tagged #vip" }).waitFor();
  await agent.page.locator(".desk-item", { hasText: `Call back about invoice ${RUN} before Friday` }).locator(".tag", { hasText: "#vip" }).waitFor();
  await agent.page.setViewportSize({ width: 390, height: 844 });
  await agent.page.emulateMedia({ colorScheme: "dark" });
  await screenshot(agent.page, "tickets-phone-dark");

  for (const { errors } of [visitor, agent]) {
    assert.deepEqual(errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  }
  await visitor.context.close();
  await agent.context.close();
});

test("an admin keeps canned replies in Settings, and an agent puts one into a reply with /, filled in for the conversation", async () => {
  const owner = await openPage(browser);
  const home = await logInAsDemo(owner.page);
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  const panel = owner.page.locator("section", { has: owner.page.getByRole("heading", { name: "Canned replies" }) });
  const shortcut = `thanks-${RUN}`;
  // A placeholder that does not exist is named, and nothing is kept.
  await panel.getByLabel("Name").fill(shortcut);
  await panel.getByLabel("Reply", { exact: true }).fill("Hi {{visitor.nickname}}");
  await panel.getByRole("button", { name: "Add canned reply" }).click();
  await panel.locator("#canned-body-error", { hasText: "{{visitor.nickname}} is not a placeholder" }).waitFor();
  await panel.getByLabel("Reply", { exact: true }).fill(
    "Thanks for waiting! {{agent.first_name}} from {{workspace.name}} here: I'll write to {{visitor.email | you}} soon.",
  );
  await panel.getByRole("button", { name: "Add canned reply" }).click();
  await panel.getByText("Saved.").waitFor();
  await panel.locator(".canned-item", { hasText: `/${shortcut}` }).waitFor();
  assert.equal(await panel.getByLabel("Name").inputValue(), "", "the form is ready for the next one");
  await screenshot(owner.page, "settings-canned-replies");

  // A visitor asks; in the inbox, / and the name put the reply in, its placeholders filled.
  const visitor = await visitorWithWidget();
  await ask(visitor, `Do you ship to Iceland? Order ${RUN}`);
  await owner.page.goto(home);
  await hydrated(owner.page, owner.errors);
  await owner.page.locator(`.desk-item[data-id="${newestConversationId()}"] a`).click();
  const box = owner.page.getByLabel("Reply to the visitor");
  await box.click();
  await box.pressSequentially(`/${shortcut}`);
  await owner.page.getByRole("option", { name: new RegExp(`/${shortcut}`) }).waitFor();
  await screenshot(owner.page, "inbox-canned-choices");
  await box.press("Enter");
  const name = (await owner.page.locator(".user-name").innerText()).trim();
  const filled = `Thanks for waiting! ${name.split(" ")[0]} from Demo Store here: I'll write to you soon.`;
  assert.equal(await box.inputValue(), filled);
  // Escape closes the list and leaves what is typed; Enter then sends as usual.
  await box.fill("");
  await box.pressSequentially("/");
  const choices = owner.page.getByRole("listbox", { name: "Canned replies" });
  await choices.getByRole("option").first().waitFor();
  await box.press("Escape");
  await choices.waitFor({ state: "detached" });
  assert.equal(await box.inputValue(), "/");
  await box.fill(filled);
  await box.press("Enter");
  await visitor.widget.locator(".msg.agent", { hasText: filled }).waitFor({ timeout: 10_000 });

  // On a phone in the dark, the panel still reads.
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  await owner.page.setViewportSize({ width: 390, height: 844 });
  await owner.page.emulateMedia({ colorScheme: "dark" });
  const item = panel.locator(".canned-item", { hasText: `/${shortcut}` });
  await item.scrollIntoViewIfNeeded();
  await screenshot(owner.page, "settings-canned-replies-phone-dark");
  await item.getByRole("button", { name: `Remove /${shortcut}` }).click();
  await item.waitFor({ state: "detached" });
  for (const { errors } of [visitor, owner]) {
    assert.deepEqual(errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  }
  await visitor.context.close();
  await owner.context.close();
});

test("an admin ranks customer plans and rotates the identity secret; a customer the shop's site identifies reaches the team by name, their plan makes their ticket urgent, and a forged token is only a console warning", async () => {
  const owner = await openPage(browser);
  const home = await logInAsDemo(owner.page);
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  const panel = owner.page.locator("section", { has: owner.page.getByRole("heading", { name: "Identified visitors" }) });
  const plans = panel.getByLabel("Plans that raise priority");
  // A wrong line is named, and nothing is kept.
  await plans.fill("enterprise urgent");
  await panel.getByRole("button", { name: "Save plans" }).click();
  await panel.locator("#identity-plans-error", { hasText: "has no colon" }).waitFor();
  const plan = `Enterprise-${RUN}`;
  await plans.fill(`${plan}: urgent\npro: high`);
  await panel.getByRole("button", { name: "Save plans" }).click();
  await panel.getByText("Saved.").waitFor();

  // The secret is hidden until shown; rotating asks first, then shows a new one.
  const code = panel.locator("#identity-secret");
  assert.match(await code.innerText(), /^lsid_•+$/);
  await panel.getByRole("button", { name: "Show" }).click();
  const before = (await code.innerText()).trim();
  assert.match(before, /^lsid_[A-Za-z0-9_-]{40,}$/);
  await panel.getByRole("button", { name: "Rotate secret" }).click();
  await panel.getByText("stop working at once").waitFor();
  await panel.getByRole("button", { name: "Rotate now" }).click();
  await panel.getByText("Rotated: sign new tokens with the new secret.").waitFor();
  const secret = (await code.innerText()).trim();
  assert.notEqual(secret, before);
  assert.match(secret, /^lsid_/);
  await screenshot(owner.page, "settings-identified-visitors");

  // Dana is signed in on the shop's site: its page carries her token, signed with the new secret.
  const claims = { sub: `cust-${RUN}`, name: "Dana Reyes", email: `dana-${RUN}@example.com`, plan, exp: Math.floor(Date.now() / 1000) + 3600 };
  const visitor = await openPage(browser);
  const warned = [];
  visitor.page.on("console", (message) => message.type() === "warning" && warned.push(message.text()));
  await visitor.page.goto(`${hostUrl}/?identity=${signIdentity(secret, claims)}`);
  await visitor.page.locator("lodestar-widget .launcher").click();
  const widget = visitor.page.locator("lodestar-widget");
  await widget.locator(".chip").first().waitFor({ timeout: 30_000 });
  const question = `My invoice ${RUN} charges me twice`;
  await ask({ ...visitor, widget }, question);
  await widget.locator(".human").click();
  await widget.locator(".status.done").waitFor({ timeout: 10_000 });
  assert.equal(await widget.locator(".handoff").count(), 0, "her email came with her token: nothing to ask");

  // Her ticket starts urgent, says why, and shows who she is.
  await owner.page.goto(`${home}/tickets`);
  await hydrated(owner.page, owner.errors);
  const row = owner.page.locator(".desk-item", { hasText: question });
  await row.waitFor();
  await row.locator("a").click();
  const pane = owner.page.locator("article.ticket");
  await pane.locator(".verified-visitor", { hasText: `Dana Reyes · ${plan} plan · dana-${RUN}@example.com` }).waitFor();
  assert.equal(await pane.getByLabel("Priority").inputValue(), "urgent");
  await pane.locator(".ticket-history li", { hasText: `Lodestar raised the priority to Urgent: the requester is on the ${plan.toLowerCase()} plan` }).waitFor();
  // So does the conversation, under her name.
  await pane.getByRole("link", { name: "Open the conversation" }).click();
  await owner.page.locator("#thread-title", { hasText: "Dana Reyes" }).waitFor();
  await owner.page.locator(".desk-thread .verified-visitor", { hasText: `id cust-${RUN}` }).waitFor();
  await screenshot(owner.page, "inbox-verified-visitor");

  // A token signed with the old secret: the visitor chats anonymously, and the site's developer reads why.
  const forged = await openPage(browser);
  const warning = forged.page.waitForEvent("console", {
    predicate: (message) => message.text().includes("not signed with this workspace's identity secret"),
    timeout: 30_000,
  });
  await forged.page.goto(`${hostUrl}/?identity=${signIdentity(before, claims)}`);
  // The session starts when the panel opens.
  await forged.page.locator("lodestar-widget .launcher").click();
  await warning;
  await forged.page.locator("lodestar-widget .chip").first().waitFor({ timeout: 30_000 });
  assert.equal(await forged.page.locator("lodestar-widget .msg.visitor").count(), 0, "none of Dana's conversation");
  assert.deepEqual(warned, [], "a good token warns of nothing");

  // The panel on a phone in the dark.
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  await owner.page.setViewportSize({ width: 390, height: 844 });
  await owner.page.emulateMedia({ colorScheme: "dark" });
  await panel.scrollIntoViewIfNeeded();
  await screenshot(owner.page, "settings-identified-visitors-phone-dark");
  for (const { errors } of [visitor, owner, forged]) {
    assert.deepEqual(errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  }
  await visitor.context.close();
  await forged.context.close();
  await owner.context.close();
});

test("a member writes to the requester of a ticket opened by hand, from a draft grounded in the help centre; the email goes out, the ticket follows its conversation, and resolving asks for a rating by email", async () => {
  const agent = await openPage(browser);
  const home = await logInAsDemo(agent.page);
  await agent.page.goto(`${home}/tickets`);
  await hydrated(agent.page, agent.errors);
  // After a phone call: a ticket about what the caller asked, with no conversation.
  await agent.page.getByRole("button", { name: "New ticket" }).click();
  await agent.page.getByLabel("Subject").fill(UPLOAD.question);
  await agent.page.getByRole("button", { name: "Open ticket" }).click();
  const pane = agent.page.locator("article.ticket");
  await pane.locator("#ticket-title", { hasText: UPLOAD.question }).waitFor({ timeout: 10_000 });
  const write = pane.locator("section", { has: agent.page.getByRole("heading", { name: "Write to the requester" }) });
  const box = write.getByLabel("Email to the requester");

  // With no address to write to, sending says what is missing.
  await box.fill("Hello!");
  await write.getByRole("button", { name: "Send by email" }).click();
  await write.getByRole("alert").filter({ hasText: "Add the requester's email address" }).waitFor();
  // A draft answers the subject from the help centre, with its source; discarding it gives back what was typed.
  await write.getByRole("button", { name: "Draft a reply" }).click();
  const draft = write.locator(".desk-draft");
  await draft.getByText(/Drafted (offline|by the AI model).* from 1 source/).waitFor({ timeout: ANSWER_TIMEOUT });
  assert.match(await box.inputValue(), /4 euros/);
  await write.getByRole("button", { name: "Discard draft" }).click();
  await draft.waitFor({ state: "detached" });
  assert.equal(await box.inputValue(), "Hello!");
  await write.getByRole("button", { name: "Draft a reply" }).click();
  await draft.waitFor({ timeout: ANSWER_TIMEOUT });
  const requester = `caller-${RUN}@example.com`;
  await write.getByLabel("Requester's email").fill(requester);
  await screenshot(agent.page, "ticket-write-to-requester");
  await box.press("Control+Enter");

  // Sent: the ticket follows the conversation it began, and says so.
  await pane.getByRole("link", { name: "Open the conversation" }).waitFor({ timeout: 10_000 });
  await write.waitFor({ state: "detached" });
  const name = (await agent.page.locator(".user-name").innerText()).trim();
  await pane.locator(".ticket-history li", { hasText: `${name} emailed the requester at ${requester}` }).waitFor();
  // The email goes out with the next sweep (every 30 s), under the ticket's subject.
  const mail = await waitForMessage(requester, { timeout: 60_000 });
  assert.equal(mail.headers.subject, `Re: ${UPLOAD.question}`);
  assert.match(mail.body, /4 euros/);
  // The conversation is the member's, in the inbox, on the email channel.
  await pane.getByRole("link", { name: "Open the conversation" }).click();
  await agent.page.locator("#thread-title", { hasText: requester }).waitFor();
  await agent.page.locator(".desk-thread .desk-answering", { hasText: "You're answering" }).waitFor();

  // Resolved, the requester (on email, with no widget) is asked to rate by email; the link opens a page of ours.
  await agent.page.locator(".desk-thread-actions").getByRole("button", { name: "Resolve" }).click();
  await agent.page.locator(".desk-answering", { hasText: "Resolved." }).waitFor();
  const asked = await waitForMessage(requester, { subject: "How did we do?" });
  const link = asked.body.match(/https?:\/\/\S+\/rate\/\S+\?score=5/)[0];
  const rating = await openPage(browser);
  await rating.page.goto(new URL(new URL(link).pathname + new URL(link).search, BASE_URL).href);
  await rating.page.getByRole("heading", { name: "How did Demo Store do?" }).waitFor();
  assert.equal(await rating.page.getByLabel("5 – Excellent").isChecked(), true, "the score the link chose");
  await rating.page.getByLabel("Anything to add? (optional)").fill("Sorted in one email.");
  await rating.page.setViewportSize({ width: 390, height: 844 });
  await screenshot(rating.page, "rating-by-email-phone");
  await rating.page.getByRole("button", { name: "Send rating" }).click();
  await rating.page.getByText("You rated Demo Store 5 out of 5.").waitFor();
  // The member sees it on the conversation, live.
  await agent.page.locator(".desk-rating", { hasText: "Rated 5 out of 5" }).getByText("Sorted in one email.").waitFor({ timeout: 10_000 });
  assert.deepEqual(agent.errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  await rating.context.close();
  await agent.context.close();
});

test("an admin sets service level targets and ticket categories, and a ticket's deadline counts down on the page's clock: amber at 80 %, red once missed, paused while pending", async () => {
  const owner = await openPage(browser);
  // The page's clock is the test's: minutes pass in an instant, no sleeping.
  await owner.page.clock.install();
  const home = await logInAsDemo(owner.page);
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  const panel = owner.page.locator("section", { has: owner.page.getByRole("heading", { name: "Service level targets" }) });
  await panel.getByText("Counted around the clock").waitFor();
  assert.equal(await panel.getByLabel("Urgent first reply").inputValue(), "30m");
  // A mistake is named with its cell, and nothing is saved.
  await panel.getByLabel("Normal first reply").fill("soonish");
  await panel.getByRole("button", { name: "Save targets" }).click();
  await panel.locator(".field-error li", { hasText: "Normal first reply: \"soonish\" is not a time" }).waitFor();
  assert.equal(await panel.getByLabel("Normal first reply").getAttribute("aria-invalid"), "true");
  await panel.getByLabel("Normal first reply").fill("10m");
  await panel.getByRole("button", { name: "Save targets" }).click();
  await panel.getByText("Saved.").waitFor();
  await screenshot(owner.page, "settings-service-targets");

  // A new ticket: its first reply is due in ten minutes.
  await owner.page.goto(`${home}/tickets`);
  await hydrated(owner.page, owner.errors);
  await owner.page.getByRole("button", { name: "New ticket" }).click();
  await owner.page.getByLabel("Subject").fill(`Targets ${RUN}`);
  await owner.page.getByRole("button", { name: "Open ticket" }).click();
  const pane = owner.page.locator("article.ticket");
  await pane.locator("#ticket-title", { hasText: `Targets ${RUN}` }).waitFor({ timeout: 10_000 });
  const first = pane.locator(".sla-timers li[data-kind=first_reply]");
  await first.locator(".sla-text", { hasText: /First reply due in (9|10) min/ }).waitFor();
  assert.match(await first.getAttribute("class"), /sla-ok/);
  assert.match(await pane.locator(".sla-timers li[data-kind=resolution]").innerText(), /Resolution due in 2[34] h/);
  const row = owner.page.locator(".desk-item", { hasText: `Targets ${RUN}` });

  // Eight and a half minutes on: past 80 % of its time, amber in the pane and in the list.
  await owner.page.clock.fastForward("08:30");
  await owner.page.locator(".desk-item .sla-near").first().waitFor();
  await first.and(owner.page.locator(".sla-near")).waitFor();
  assert.match(await row.locator(".sla").innerText(), /First reply due in (1 min|less than a minute)/);
  // Three more: missed, red, and saying by how much.
  await owner.page.clock.fastForward("03:00");
  await first.and(owner.page.locator(".sla-missed")).waitFor();
  await first.locator(".sla-text", { hasText: /First reply overdue by (1|2) min/ }).waitFor();
  await row.locator(".sla-missed").waitFor();
  await owner.page.emulateMedia({ colorScheme: "dark" });
  await screenshot(owner.page, "tickets-target-missed-dark");

  // Pending pauses the resolution's clock; the pane says how much is left.
  await pane.getByLabel("Status").selectOption("pending");
  await pane.locator(".sla-timers li[data-kind=resolution]", { hasText: /Resolution paused while pending: 2[34] h/ }).waitFor();
  await owner.page.setViewportSize({ width: 390, height: 844 });
  await screenshot(owner.page, "tickets-targets-phone-dark");
  await pane.getByRole("button", { name: "Solve" }).click();
  await pane.locator(".pill.status-solved").waitFor();

  // Categories: a new one with its examples; a mistake is named on its row.
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  const categories = owner.page.locator("section", { has: owner.page.getByRole("heading", { name: "Ticket categories" }) });
  await categories.getByRole("button", { name: "Add a category" }).click();
  const added = categories.locator(".category-row").nth(-2);
  await added.getByLabel("Name").fill("Shipping");
  await categories.getByRole("button", { name: "Save categories" }).click();
  await added.locator(".field-error", { hasText: "Give Shipping at least one example message." }).waitFor();
  await added.getByLabel("Example messages, one per line").fill("Where is my parcel?\nMy delivery is late");
  await added.getByLabel("Priority").selectOption("high");
  await categories.getByRole("button", { name: "Save categories" }).click();
  await categories.getByText("Saved.").waitFor();
  await owner.page.reload();
  await hydrated(owner.page, owner.errors);
  assert.equal(await categories.locator(".category-row").nth(-2).getByLabel("Name").inputValue(), "Shipping");
  await screenshot(owner.page, "settings-ticket-categories");
  await categories.locator(".category-row").nth(-2).getByRole("button", { name: "Remove" }).click();
  await categories.getByRole("button", { name: "Save categories" }).click();
  await categories.getByText("Saved.").waitFor();

  // The other tests expect the usual targets.
  await panel.getByLabel("Normal first reply").fill("4h");
  await panel.getByRole("button", { name: "Save targets" }).click();
  await panel.getByText("Saved.").waitFor();
  assert.deepEqual(owner.errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  await owner.context.close();
});

test("an admin routes tickets to agents at the desk, balanced under a limit: a member set away is left out; a new ticket goes to the member with the inbox open, with its history", async () => {
  const owner = await openPage(browser);
  const home = await logInAsDemo(owner.page);
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  const panel = owner.page.locator("section", { has: owner.page.getByRole("heading", { name: "Ticket routing" }) });
  assert.equal(await panel.getByRole("radio", { name: "By hand" }).isChecked(), true);
  const member = panel.locator("tbody tr").first();
  await member.locator(".presence", { hasText: "Away" }).waitFor();

  // A limit past the largest is named, and nothing is saved.
  await panel.getByRole("radio", { name: "Balanced" }).check();
  await panel.getByLabel("Open tickets per agent, at most").fill("900");
  await panel.getByRole("button", { name: "Save routing" }).click();
  await panel.locator("#routing-capacity-error", { hasText: "from 0 to 500" }).waitFor();
  await panel.getByLabel("Open tickets per agent, at most").fill("5");
  await member.getByRole("checkbox", { name: "Billing" }).check();
  await panel.getByRole("button", { name: "Save routing" }).click();
  await panel.getByText("Saved.").waitFor();
  // Nobody is at the desk yet: what the team has not taken waits.
  await panel.getByText(/No ticket is waiting for an agent\.|\d+ tickets? (is|are) waiting for an agent\./).waitFor();

  // With the inbox open in another tab, the owner is at the desk.
  const desk = await owner.context.newPage();
  await desk.goto(home);
  await hydrated(desk, owner.errors);
  await desk.locator(".live-state.live-on").waitFor();
  await owner.page.reload();
  await hydrated(owner.page, owner.errors);
  await member.locator(".presence-on", { hasText: "At the desk" }).waitFor();
  assert.equal(await member.getByRole("checkbox", { name: "Billing" }).isChecked(), true);
  // Set away in the inbox, the member is out of routing with the inbox still open; back, they are in again.
  await desk.getByRole("button", { name: "Set me away" }).click();
  await desk.getByText("You're away: no new tickets").waitFor();
  await owner.page.reload();
  await hydrated(owner.page, owner.errors);
  await member.locator(".presence", { hasText: "Set to away" }).waitFor();
  await desk.getByRole("button", { name: "Back to available" }).click();
  await desk.getByText("You're available.").waitFor();
  await owner.page.reload();
  await hydrated(owner.page, owner.errors);
  await member.locator(".presence-on", { hasText: "At the desk" }).waitFor();
  await screenshot(owner.page, "settings-ticket-routing");

  // A visitor asks about an invoice; the bot answers, nothing escalates.
  const question = `Where can I download the invoice for order ${RUN}?`;
  const visitor = await visitorWithWidget();
  await ask(visitor, question);

  // The tickets page is open in the first tab; in the inbox, the team makes the conversation a ticket.
  await owner.page.goto(`${home}/tickets`);
  await hydrated(owner.page, owner.errors);
  await owner.page.locator(".live-state.live-on").waitFor();
  await desk.locator(`.desk-item[data-id="${newestConversationId()}"] a`).click();
  const thread = desk.locator("article.desk-thread");
  await thread.getByRole("button", { name: "Create ticket" }).click();
  const link = thread.locator("a.conversation-ticket", { hasText: /Ticket #\d+/ });
  await link.waitFor({ timeout: 10_000 });
  assert.match(await link.innerText(), /Open/);

  // It reaches the tickets page live, sorted as Billing and routed to the one at the desk, as its history says.
  const row = owner.page.locator(".desk-item", { hasText: question });
  await row.waitFor({ timeout: 10_000 });
  await row.locator("a").click();
  const pane = owner.page.locator("article.ticket");
  await pane.locator(".ticket-history li", { hasText: /Lodestar routed it to .+ \(fewest open tickets\)/ }).waitFor({ timeout: 10_000 });
  assert.equal(await pane.getByLabel("Category").inputValue(), "billing");
  assert.notEqual(await pane.getByLabel("Assignee").inputValue(), "nobody");
  // The conversation's link leads to it.
  await link.click();
  await desk.waitForURL(/tickets\?t=/);
  await visitor.context.close();

  // Back to by hand (the other tests assign their tickets themselves), on a phone in the dark.
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  await owner.page.emulateMedia({ colorScheme: "dark" });
  await owner.page.setViewportSize({ width: 390, height: 844 });
  await panel.getByRole("radio", { name: "By hand" }).check();
  await member.getByRole("checkbox", { name: "Billing" }).uncheck();
  await panel.getByRole("button", { name: "Save routing" }).click();
  await panel.getByText("Saved.").waitFor();
  await screenshot(owner.page, "settings-ticket-routing-phone-dark");
  assert.deepEqual(owner.errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  await owner.context.close();
});

test("an admin sets business hours in Settings, and out of hours a visitor who asks for a person learns when the team is back", async () => {
  const owner = await openPage(browser);
  const home = await logInAsDemo(owner.page);
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  const panel = owner.page.locator("section", { has: owner.page.getByRole("heading", { name: "Business hours" }) });
  await panel.getByText("No business hours: visitors can always ask for a person.").waitFor();
  await panel.getByLabel("My team keeps business hours").check();
  // A mistake is named on its day, and nothing is saved.
  await panel.getByLabel("Tuesday").fill("17:00-9:00");
  await panel.getByRole("button", { name: "Save business hours" }).click();
  await panel.locator("#hours-tue-error", { hasText: "Tuesday: 17:00-9:00 ends before it starts" }).waitFor();
  // Open around the clock in UTC, but today and tomorrow are holidays: out of hours now.
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  await panel.getByLabel("Time zone").fill("UTC");
  for (const weekday of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
    await panel.getByLabel(weekday, { exact: true }).fill("0:00-24:00");
  }
  await panel.getByLabel("Holidays").fill(`${day(0)} Inventory day\n${day(1)} Team retreat`);
  await panel.getByRole("button", { name: "Save business hours" }).click();
  await panel.locator(".hours-status", { hasText: "Out of hours" }).waitFor();
  assert.match(await panel.locator(".hours-status").innerText(), new RegExp(`Back ${day(2)} 00:00`));
  await screenshot(owner.page, "settings-business-hours");

  // Nobody is at the desk and the team is out: the widget says when it is back and asks for an email.
  const visitor = await visitorWithWidget();
  const { widget } = visitor;
  await widget.locator(".human").click();
  const away = widget.locator(".status", { hasText: "The team is away until" });
  await away.waitFor({ timeout: 10_000 });
  const said = await away.innerText();
  const back = new Date(`${day(2)}T00:00:00Z`).toLocaleString("en", { weekday: "long", month: "long", day: "numeric", hour: "numeric", minute: "2-digit" });
  assert.ok(said.includes(back), `${said} names ${back}, in the visitor's own time`);
  await widget.locator(".handoff", { hasText: "Where should they write to you?" }).waitFor();
  await screenshot(visitor.page, "widget-team-away");

  // Switched off again (the other tests expect a team without hours); the hours are kept.
  await panel.getByLabel("My team keeps business hours").uncheck();
  await panel.getByRole("button", { name: "Save business hours" }).click();
  await panel.getByText("No business hours: visitors can always ask for a person.").waitFor();
  assert.equal(await panel.getByLabel("Time zone").inputValue(), "UTC");
  for (const { errors } of [visitor, owner]) {
    assert.deepEqual(errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  }
  await visitor.context.close();
  await owner.context.close();
});

/** The reply address a follow-up about `conversation` carries, signed as the server signs it (its key is in its data directory). */
function replyAddress(conversation) {
  const key = readFileSync(join(DATA_DIR, "secret.key"), "utf8").trim();
  const mac = createHmac("sha256", key).update("email-reply").update(Buffer.from([0])).update(conversation).digest("base64url");
  const tag = createHash("sha256").update(mac).digest("hex").slice(0, 20);
  return `reply+${conversation}.${tag}@lodestar.localhost`;
}

/** Posts a visitor's answer by email as an email provider's inbound hook forwards it: raw, signed. */
async function forwardEmail(raw) {
  const secret = readFileSync(join(DATA_DIR, "inbound.secret"), "utf8").trim();
  const at = Math.floor(Date.now() / 1000);
  const signature = createHmac("sha256", secret).update(`${at}.`).update(raw).digest("hex");
  const response = await fetch(`${BASE_URL}/api/email/inbound`, {
    method: "POST",
    headers: { "content-type": "message/rfc822", "x-lodestar-signature": `t=${at},v1=${signature}` },
    body: raw,
  });
  return { status: response.status, json: await response.json() };
}

test("an admin chooses when unseen replies are emailed, and a visitor's answer by email reaches the inbox live; email to the support address becomes a ticket", async () => {
  const owner = await openPage(browser);
  const home = await logInAsDemo(owner.page);
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  const panel = owner.page.locator("section", { has: owner.page.getByRole("heading", { name: "Email follow-up" }) });
  const delay = panel.getByLabel("Email an unseen reply");
  assert.equal(await delay.inputValue(), "10", "ten minutes until chosen");
  await delay.selectOption({ label: "After 5 minutes" });
  await panel.getByRole("button", { name: "Save email follow-up" }).click();
  await panel.getByRole("status").getByText("Saved.").waitFor();
  await panel.getByText("Answers by email come back into the conversation").waitFor();
  await screenshot(owner.page, "settings-email-followup");
  await owner.page.reload();
  await hydrated(owner.page, owner.errors);
  assert.equal(await delay.inputValue(), "5", "kept");

  // A visitor asks for a person, leaves an email and goes.
  const visitor = await visitorWithWidget();
  const { widget } = visitor;
  await ask(visitor, "Can I change the delivery address of my order?");
  await widget.locator(".human").click();
  const handoff = widget.locator(".handoff");
  await handoff.getByRole("textbox").fill("leaver@example.com");
  await handoff.getByRole("button").click();
  await handoff.waitFor({ state: "detached" });
  const conversation = newestConversationId();
  await visitor.context.close();

  // The owner answers from the inbox.
  await owner.page.goto(`${home}?c=${conversation}`);
  await hydrated(owner.page, owner.errors);
  const thread = owner.page.locator(".desk-thread");
  await thread.getByText("Can I change the delivery address of my order?").waitFor();
  await owner.page.locator("#desk-reply").fill("Yes: which address should it go to?");
  await owner.page.keyboard.press("Enter");
  await thread.locator(".from-agent", { hasText: "which address should it go to?" }).waitFor();

  // The answer comes back by email, quoting the follow-up, with a photo attached.
  const raw = [
    "From: Leaver <leaver@example.com>", `To: ${replyAddress(conversation)}`, "Subject: Re: your conversation with Demo Store",
    `Message-ID: <${conversation}-answer@mail.example.com>`, "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"', "",
    "--b1", "Content-Type: text/plain; charset=utf-8", "", "12 Rue de la Paix, Paris please.", "",
    "On Sun, Dec 6, 2026 at 10:02 AM Demo Owner at Demo Store <no-reply@lodestar.localhost> wrote:",
    "> ##- Please type your reply above this line -##", "> Yes: which address should it go to?", "",
    "--b1", "Content-Type: image/jpeg", 'Content-Disposition: attachment; filename="door.jpg"', "Content-Transfer-Encoding: base64", "",
    "/9j/4AAQSkZJRgABAQ==", "--b1--", "",
  ].join("\r\n");
  const forwarded = await forwardEmail(raw);
  assert.equal(forwarded.status, 200, JSON.stringify(forwarded.json));
  assert.equal(forwarded.json.threaded, true);
  // It reaches the open conversation live, marked as come by email, without the quote or the photo.
  const answer = thread.locator(".from-visitor", { hasText: "12 Rue de la Paix, Paris please." });
  await answer.waitFor({ timeout: 10_000 });
  await answer.locator(".channel-email", { hasText: "by email" }).waitFor();
  await answer.getByText("Attachment not accepted by email: door.jpg.").waitFor();
  assert.doesNotMatch(await answer.innerText(), /which address should it go to/);
  // The inbox can show only the conversations that went on by email.
  await owner.page.getByLabel("Channel").selectOption({ label: "Email" });
  await owner.page.waitForURL(/channel=email/);
  // The filtered list replaces the whole one once it has loaded: the other conversations go.
  await owner.page.waitForFunction(() => document.querySelectorAll(".desk-item").length === 1);
  const item = owner.page.locator(`.desk-item[data-id="${conversation}"]`);
  await item.locator(".channel-email", { hasText: "Email" }).waitFor();
  await screenshot(owner.page, "inbox-email-reply");
  // Delivered again by the provider, it is not added twice.
  assert.equal((await forwardEmail(raw)).json.threaded, false);

  // Back to the default for the other tests.
  await owner.page.goto(`${home}/settings`);
  await hydrated(owner.page, owner.errors);
  await delay.selectOption({ label: "After 10 minutes" });
  await panel.getByRole("button", { name: "Save email follow-up" }).click();
  await panel.getByRole("status").getByText("Saved.").waitFor();

  // Email forwarded to the support address shown here becomes a ticket, live on the tickets page.
  const address = (await panel.locator("#support-address").innerText()).trim();
  assert.match(address, /^support\+.+@lodestar\.localhost$/);
  await screenshot(owner.page, "settings-support-address");
  await owner.page.goto(`${home}/tickets`);
  await hydrated(owner.page, owner.errors);
  await owner.page.locator(".live-state.live-on").waitFor();
  const subject = `Parcel ${RUN} arrived damaged`;
  const request = [
    `From: Bea Buyer <bea-${RUN}@example.com>`, `To: ${address}`, `Subject: ${subject}`,
    `Message-ID: <request-${RUN}@mail.example.com>`, "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "",
    "The box was crushed and the mug inside is broken.", "",
  ].join("\r\n");
  assert.equal((await forwardEmail(request)).json.threaded, true);
  const row = owner.page.locator(".desk-item", { hasText: subject });
  await row.waitFor({ timeout: 10_000 });
  await row.locator("a").click();
  const pane = owner.page.locator("article.ticket");
  await pane.getByText("Emailed to the support address").waitFor();
  await pane.getByText(`from bea-${RUN}@example.com`).waitFor();
  assert.equal((await forwardEmail(request)).json.threaded, false, "delivered twice, one ticket");
  assert.deepEqual(owner.errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  await owner.context.close();
});

test("the widget works from the keyboard and returns focus to the launcher", async () => {
  const { page, context } = await openPage(browser);
  await page.goto(hostUrl);
  await page.locator("lodestar-widget .launcher").waitFor({ state: "visible", timeout: 30_000 });
  await page.locator("lodestar-widget .launcher").focus();
  await page.keyboard.press("Enter");
  await page.locator("lodestar-widget .panel").waitFor({ state: "visible" });
  const focused = () => page.evaluate(() => document.querySelector("lodestar-widget").shadowRoot.activeElement?.className ?? "");
  assert.equal(await page.evaluate(() => document.querySelector("lodestar-widget").shadowRoot.activeElement?.tagName), "TEXTAREA");
  // While open, the launcher is the close button and says so.
  assert.equal(await page.locator("lodestar-widget .launcher").getAttribute("aria-label"), "Close chat");
  await page.keyboard.press("Escape");
  await page.locator("lodestar-widget .panel").waitFor({ state: "hidden" });
  assert.equal(await focused(), "launcher");
  assert.equal(await page.locator("lodestar-widget .launcher").getAttribute("aria-expanded"), "false");
  await context.close();
});

test("on a phone the panel fills the screen", async () => {
  const { page, context } = await openPage(browser, { viewport: { width: 375, height: 700 }, isMobile: true, hasTouch: true });
  await page.goto(hostUrl);
  await page.locator("lodestar-widget .launcher").click({ timeout: 30_000 });
  const box = await page.locator("lodestar-widget .panel").boundingBox();
  // Edge to edge and top to bottom (a scrollbar may take a few pixels).
  assert.equal(Math.round(box.x), 0);
  assert.equal(Math.round(box.y), 0);
  assert.ok(box.width >= 367 && box.width <= 383, `width ${box.width}`);
  assert.ok(box.height >= 692 && box.height <= 708, `height ${box.height}`);
  // Nothing covers Send: the launcher steps aside while the panel is open.
  const send = await page.locator("lodestar-widget .send").boundingBox();
  const covering = await page.evaluate(({ x, y }) => {
    const top = document.querySelector("lodestar-widget").shadowRoot.elementFromPoint(x, y);
    return top?.className ?? "";
  }, { x: send.x + send.width / 2, y: send.y + send.height / 2 });
  assert.equal(covering, "send", `the middle of Send shows ${covering}`);
  assert.equal(await page.locator("lodestar-widget .launcher").isVisible(), false);
  // 16 px text in the message box, so iOS does not zoom the page on focus.
  const size = await page.locator("lodestar-widget textarea").evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(size >= 16, `message box text is ${size}px`);
  await page.locator("lodestar-widget .close").click();
  await page.locator("lodestar-widget .launcher").waitFor({ state: "visible" });
  assert.equal(await page.locator("lodestar-widget .launcher").getAttribute("aria-label"), "Open chat");
  await context.close();
});

test("the Widget page saves the widget's looks and previews the real widget, whose test chats stay out of Conversations", async () => {
  const { page, errors, context } = await openPage(browser);
  const workspace = await logInAsDemo(page);
  await page.goto(`${workspace}/widget`);
  await hydrated(page, errors);
  // The Position choice looks like the other fields (no browser-default box), and fields have room.
  const position = page.getByRole("group", { name: "Position" });
  assert.equal(await position.evaluate((el) => getComputedStyle(el).borderTopWidth), "0px");
  const gap = await page.locator(".widget-form .panel").first().evaluate((el) => parseFloat(getComputedStyle(el).rowGap));
  assert.ok(gap >= 12, `fields are ${gap}px apart`);
  await page.getByLabel("Title", { exact: true }).fill("Trail help");
  await page.getByLabel("Colour as a hex code").fill("#0a7c66");
  await page.getByLabel("Avatar").fill("⛺");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Saved. Your widget shows the changes on its next load.").waitFor();
  assert.ok((await page.getByRole("button", { name: /^Copy/ }).count()) >= 1, "embed code with a copy button");

  // The preview is the real widget, reloaded with the saved settings.
  // The saved settings reload the preview (a new src); use that one.
  const reloaded = page.locator('iframe.widget-preview[src$="?v=1"]');
  await reloaded.waitFor();
  await reloaded.scrollIntoViewIfNeeded();
  const preview = page.frameLocator('iframe.widget-preview[src$="?v=1"]');
  await preview.locator("lodestar-widget .launcher").click({ timeout: 30_000 });
  await preview.locator("lodestar-widget .title", { hasText: "Trail help" }).waitFor();
  assert.equal(await preview.locator("lodestar-widget .avatar").innerText(), "⛺");
  await preview.locator("lodestar-widget textarea").fill("Which payment methods do you accept?");
  await preview.locator("lodestar-widget textarea").press("Enter");
  await preview.locator("lodestar-widget .msg.bot:has(.sources)").last().waitFor({ timeout: ANSWER_TIMEOUT });
  await screenshot(page, "widget-page");

  // Chats in the preview are the team's tests: Conversations lists visitors only,
  // and the earlier visitor who asked for a person is waiting there.
  await page.goto(`${workspace}/conversations`);
  await hydrated(page, errors);
  await page.locator(".conversation-link").first().waitFor();
  assert.equal(await page.locator(".conversation-link", { hasText: "Which payment methods" }).count(), 0);
  await page.getByLabel("Waiting for a person").check();
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/flagged=true/);
  const flagged = page.locator(".conversation-link", { hasText: "Asked for a person" }).first();
  await flagged.waitFor();

  // Search from the keyboard, then open the transcript.
  await page.getByLabel("Search", { exact: true }).fill("standard delivery");
  await page.getByLabel("Search", { exact: true }).press("Enter");
  await page.waitForURL(/q=standard/);
  await page.locator(".conversation-link").first().click();
  await page.getByRole("list", { name: "Messages" }).waitFor();
  await page.getByText("How long does standard delivery take?").first().waitFor();
  assert.match(await page.locator(".transcript .sources").first().innerText(), /Shipping and delivery/);
  assert.ok((await page.locator(".transcript .pill").count()) >= 1, "the visitor's sentiment is shown");
  await screenshot(page, "conversation-transcript");
  assert.deepEqual(errors.filter((e) => !/status of 4\d\d/.test(e)), []);
  await context.close();
});

test("Conversations fits a phone", async () => {
  const { page, context } = await openPage(browser, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const workspace = await logInAsDemo(page);
  await page.goto(`${workspace}/conversations`);
  await page.locator(".conversation-link").first().waitFor({ timeout: 30_000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `overflows by ${overflow}px`);
  await context.close();
});

/** Sets a workspace's answers this month straight in the server's SQLite file (as if its visitors had asked). */
function setAnswersThisMonth(workspace, answers) {
  const script = `
import sqlite3, sys, datetime
db = sqlite3.connect(sys.argv[1], timeout=10)
month = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")
db.execute("INSERT INTO usage_monthly (workspace_id, month, bot_messages) VALUES (?, ?, ?) "
           "ON CONFLICT (workspace_id, month) DO UPDATE SET bot_messages = excluded.bot_messages",
           (sys.argv[2], month, int(sys.argv[3])))
db.commit()
`;
  execFileSync("python3", ["-c", script, process.env.LODESTAR_DB ?? "data/lodestar.db", workspace, String(answers)]);
}

test("the team sees when the month's answers are nearly and wholly used, and visitors get a friendly message", async () => {
  const { page, errors, context } = await openPage(browser);
  await logInAsDemo(page);
  // A workspace of its own on the Free plan (100 answers a month), so no other test runs out.
  const created = await page.evaluate(async () => {
    const body = new URLSearchParams({ name: `Quota test ${Date.now().toString(36)}` });
    const response = await fetch("/api/team/create-workspace", { method: "POST", body, headers: { accept: "application/json" } });
    return { status: response.status, json: await response.json() };
  });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const workspace = `${BASE_URL}/app/w/${created.json.id}`;

  setAnswersThisMonth(created.json.id, 85);
  await page.goto(`${workspace}/knowledge`);
  await hydrated(page, errors);
  const notice = page.locator(".quota-notice");
  await notice.waitFor();
  assert.match(await notice.innerText(), /given 85 of the 100 answers/);

  setAnswersThisMonth(created.json.id, 100);
  // Moving to another page asks again.
  await page.getByRole("link", { name: "Widget" }).click();
  await page.waitForURL(/\/widget$/);
  await notice.filter({ hasText: "Your assistant has used its answers for this month" }).waitFor();
  assert.equal(await notice.getAttribute("role"), "status");
  assert.match(await notice.innerText(), /All 100 answers in your plan/);
  await screenshot(page, "quota-used-up");

  // The visitor in the preview gets the friendly message, not an error.
  await page.locator("iframe.widget-preview").scrollIntoViewIfNeeded();
  const preview = page.frameLocator("iframe.widget-preview");
  await preview.locator("lodestar-widget .launcher").click({ timeout: 30_000 });
  await preview.locator("lodestar-widget textarea").fill("How long does delivery take?");
  await preview.locator("lodestar-widget textarea").press("Enter");
  await preview.locator("lodestar-widget .msg.bot", { hasText: "answered all the questions it can this month" }).waitFor({ timeout: ANSWER_TIMEOUT });
  assert.deepEqual(errors.filter((e) => !/status of 4\d\d/.test(e)), []);
  await context.close();
});

test("owners set fair-use limits on the Widget page, and past its share a visitor's widget passes the check by itself", async () => {
  const { page, errors, context } = await openPage(browser);
  await logInAsDemo(page);
  const created = await page.evaluate(async () => {
    const body = new URLSearchParams({ name: `Fair use ${Date.now().toString(36)}` });
    const response = await fetch("/api/team/create-workspace", { method: "POST", body, headers: { accept: "application/json" } });
    return { status: response.status, json: await response.json() };
  });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const workspaceId = created.json.id;
  const workspace = `${BASE_URL}/app/w/${workspaceId}`;
  const key = await page.evaluate(
    async ({ workspace, origin }) => {
      const body = new URLSearchParams({ workspace_id: workspace, name: "Fair use site", kind: "publishable", allowed_origins: origin });
      const response = await fetch("/api/keys/create", { method: "POST", body, headers: { accept: "application/json" } });
      return (await response.json()).key.display;
    },
    { workspace: workspaceId, origin: hostUrl },
  );

  // The plan's defaults are shown; the owner allows one answer per address a day.
  await page.goto(`${workspace}/widget`);
  await hydrated(page, errors);
  const share = page.getByLabel("Answers per visitor address per day");
  assert.equal(await share.getAttribute("placeholder"), "10");
  assert.match(await page.locator("#fair-use-title + p").innerText(), /no one visitor, script or single day/);
  await share.fill("1");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Saved. Your widget shows the changes on its next load.").waitFor();

  // A visitor asks three questions: past the first, the widget shows a little work each time, by itself.
  const visitor = await context.newPage();
  await visitor.goto(`${hostUrl}/?key=${key}`);
  await visitor.locator("lodestar-widget .launcher").click({ timeout: 30_000 });
  const questions = ["Do you ship abroad?", "How do refunds work?", "Can I change my order?"];
  for (const [i, question] of questions.entries()) {
    await visitor.locator("lodestar-widget textarea").fill(question);
    await visitor.keyboard.press("Enter");
    // A stored answer (with its feedback buttons), not the bubble still being typed.
    await visitor.locator("lodestar-widget .msg.bot:has(.feedback)").nth(i).waitFor({ timeout: ANSWER_TIMEOUT });
  }
  assert.doesNotMatch(await visitor.locator("lodestar-widget .status").innerText(), /wrong|quickly|tomorrow|Many questions/i);

  // The Widget page draws today against the ceiling and counts the address that used its share.
  await page.reload();
  await hydrated(page, errors);
  assert.equal(await page.getByLabel("Answers per visitor address per day").inputValue(), "1");
  await page.locator("#meter-today").waitFor();
  assert.match(await page.locator(".meter-tile", { hasText: "Answers today" }).innerText(), /3 of 50/);
  assert.match(await page.locator("#fair-use-at-share").innerText(), /1 visitor address used its whole share today/);
  await page.locator("#fair-use-title").scrollIntoViewIfNeeded();
  await screenshot(page, "widget-fair-use");

  // With refusal chosen instead, the next question past the share is turned away kindly.
  await page.getByLabel("Refuse visitors past their share until tomorrow, instead of the automatic check").check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Saved. Your widget shows the changes on its next load.").waitFor();
  await visitor.locator("lodestar-widget textarea").fill("One more question, please?");
  await visitor.keyboard.press("Enter");
  await visitor.locator("lodestar-widget .status", { hasText: "ask again tomorrow" }).waitFor({ timeout: ANSWER_TIMEOUT });
  assert.equal(await visitor.locator("lodestar-widget textarea").inputValue(), "One more question, please?", "the question is kept");
  assert.deepEqual(errors.filter((e) => !/status of 4\d\d/.test(e)), []);
  await context.close();
});
