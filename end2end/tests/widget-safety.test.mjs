// The widget's own wall against hostile answers, in a real browser. The
// server already strips markup from answers (server tests prove it); here a
// fake widget API, speaking the real protocol, sends what a compromised or
// buggy server might: script tags, event-handler attributes, `javascript:`
// links and images from other hosts, streamed and stored. The widget must
// show them as inert text, run nothing and load nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { BASE_URL, launch, openPage } from "./browser.mjs";

const HOSTILE = [
  "<script>window.__pwned = 'script'</script>",
  "<img src=x onerror=\"window.__pwned = 'onerror'\">",
  "[Open your account](javascript:window.__pwned='link')",
  "![pixel](https://tracker.example/p.png)",
];

const sse = (name, data) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const message = (author, body, extra = {}) => ({
  id: `m-${Math.random().toString(16).slice(2)}`,
  author,
  body,
  citations: [],
  suggestions: [],
  confidence: 0.9,
  sentiment: null,
  feedback: null,
  note: null,
  created_at: Date.now(),
  ...extra,
});

let browser;
let api;
let origin;

/** The customer page and a fake widget API on one origin; the widget's files come from the real server. */
function startFakeApi() {
  return new Promise((resolve) => {
    const server = createServer(async (request, response) => {
      const url = new URL(request.url, "http://fake");
      if (url.pathname === "/") {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
          <body><h1>Shop</h1><script src="/widget.js" data-key="pk_fake" async></script></body></html>`);
      } else if (url.pathname === "/widget.js" || url.pathname.startsWith("/widget/")) {
        const upstream = await fetch(BASE_URL + url.pathname);
        response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" });
        response.end(Buffer.from(await upstream.arrayBuffer()));
      } else if (url.pathname.endsWith("/config")) {
        response.writeHead(200, { "content-type": "application/json" });
        // A hostile "Powered by" address too: the widget links only to http(s).
        response.end(JSON.stringify({ settings: { title: "Shop help", greeting: "Hi!", starters: [] }, mode: "ai", branding: "javascript:window.__pwned=1" }));
      } else if (url.pathname.endsWith("/session")) {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ token: "vt-fake", messages: [], flagged: false }));
      } else if (url.pathname.endsWith("/messages")) {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(sse("received", { message: message("visitor", "hello") }));
        for (const piece of HOSTILE) response.write(sse("delta", { text: piece + " " }));
        const citations = [{ number: 1, title: "Evil source", url: "javascript:window.__pwned='citation'", source_id: "s" }];
        response.end(sse("done", { message: message("bot", HOSTILE.join(" ") + " [1]", { citations }), flagged: false }));
      } else {
        response.writeHead(404).end();
      }
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

before(async () => {
  browser = await launch();
  api = await startFakeApi();
  origin = `http://127.0.0.1:${api.address().port}`;
});

after(async () => {
  await browser?.close();
  api?.close();
});

test("hostile answers are shown as inert text: no script runs, no link to javascript:, no outside image", async () => {
  const { page, context } = await openPage(browser);
  const outside = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(origin)) outside.push(r.url());
  });
  await page.goto(origin);
  await page.locator("lodestar-widget .launcher").click({ timeout: 30_000 });
  await page.locator("lodestar-widget textarea").fill("hello");
  await page.keyboard.press("Enter");
  const answer = page.locator("lodestar-widget .msg.bot").last();
  await answer.locator(".sources").waitFor({ timeout: 30_000 });

  assert.equal(await page.evaluate(() => window.__pwned), undefined, "nothing the answer carried ran");
  const inside = await page.evaluate(() => {
    const root = document.querySelector("lodestar-widget").shadowRoot;
    return {
      scripts: root.querySelectorAll("script").length,
      images: root.querySelectorAll("img").length,
      handlers: [...root.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => a.name.startsWith("on"))).length,
      // (The "Powered by Lodestar" anchor stays hidden, without an address, when the one given is not http(s).)
      links: [...root.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
    };
  });
  assert.deepEqual({ scripts: inside.scripts, images: inside.images, handlers: inside.handlers }, { scripts: 0, images: 0, handlers: 0 });
  assert.ok(inside.links.every((href) => /^https?:/.test(href)), `links: ${inside.links}`);
  assert.match(await answer.innerText(), /<script>/, "shown as text");
  assert.deepEqual(outside, [], "no request left the page's origin");
  await context.close();
});
