// The knowledge base end to end in a real browser: the seeded demo owner
// uploads a PDF and a Markdown file at once, watches both become ready
// without reloading, asks a test question the Markdown file answers, sees an
// unsupported file refused in words, and deletes what it added.
// Processing is awaited through the page's own live updates (no sleeps).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BASE_URL, launch, openPage, hydrated, logInAsDemo, screenshot } from "./browser.mjs";

const RUN = Date.now().toString(36);
const DATA = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "server", "tests", "data");
const HELPCENTRE = join(DATA, "helpcentre");
// Extraction and embedding run on a debug build: generous, but only a ceiling.
const PROCESSING_TIMEOUT = 180_000;

/** The browser logs every 4xx response as a console error; some are expected. */
const unexpected = (errors) => errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e));
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// A 1×1 PNG: an image, whatever its name says.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

/** Every PDF under `dir`, except the deliberately broken ones. */
function pdfsUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === "hostile" ? [] : pdfsUnder(path);
      return entry.name.toLowerCase().endsWith(".pdf") ? [path] : [];
    })
    .sort();
}

/**
 * Copies the fixtures into `dir` under names unique to this run (so rows are
 * told apart from earlier runs'), with the question the Markdown answers.
 */
function prepareFiles(dir) {
  const named = (from, suffix) => {
    const stem = basename(from).replace(/\.[^.]+$/, "");
    const path = join(dir, `${stem}-${RUN}${suffix}`);
    copyFileSync(from, path);
    return path;
  };

  let markdown;
  const twoFactor = join(HELPCENTRE, "two-factor-authentication.md");
  if (existsSync(twoFactor)) {
    markdown = {
      path: named(twoFactor, ".md"),
      question: "How many backup codes do I get with two-factor authentication?",
      expected: /10 backup codes/,
    };
  } else {
    const path = join(dir, `returns-policy-${RUN}.md`);
    writeFileSync(
      path,
      "# Returns policy\n\n## How long do I have?\n\nYou can return any unworn item within 45 days of delivery " +
        "for a full refund. Start a return from the Orders page.\n\n## Who pays for shipping?\n\nReturn " +
        "shipping is free for customers in the EU.\n",
    );
    markdown = { path, question: "How many days do I have to return an item?", expected: /45 days/i };
  }

  const pdfSource = pdfsUnder(HELPCENTRE)[0] ?? pdfsUnder(DATA)[0];
  assert.ok(pdfSource, `a PDF fixture under ${DATA}`);
  const pdf = named(pdfSource, ".pdf");

  const image = join(dir, `scanned-receipt-${RUN}.pdf`);
  writeFileSync(image, PNG);
  return { markdown, pdf, image };
}

const rows = (page) => page.locator('[data-test="source-row"]');

/** Waits until the row for `fileName` has finished processing; returns its status and text. */
async function settled(page, fileName) {
  const done = page
    .locator('[data-test="source-row"]:is([data-status="ready"], [data-status="failed"], [data-status="cancelled"])')
    .filter({ hasText: fileName })
    .first();
  await done.waitFor({ timeout: PROCESSING_TIMEOUT });
  return { status: await done.getAttribute("data-status"), text: await done.innerText() };
}

async function deleteSource(page, fileName) {
  const row = rows(page).filter({ hasText: fileName });
  if ((await row.count()) === 0) return;
  await row.first().locator("summary", { hasText: "Delete" }).click();
  await row.first().getByRole("button", { name: "Yes, delete it" }).click();
  await row.waitFor({ state: "detached" });
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("an owner uploads two files at once, sees them become ready, and tests a question", async () => {
  const { page, errors, context } = await openPage(browser);
  const dir = mkdtempSync(join(tmpdir(), "lodestar-knowledge-"));
  const files = prepareFiles(dir);
  const names = {
    markdown: basename(files.markdown.path),
    pdf: basename(files.pdf),
    image: basename(files.image),
  };
  try {
    const workspaceUrl = await logInAsDemo(page);
    const nav = page.getByRole("navigation", { name: "Workspace" });
    await nav.getByRole("link", { name: "Knowledge", exact: true }).click();
    await page.waitForURL(`${workspaceUrl}/knowledge`);
    await page.getByRole("heading", { name: "Add knowledge" }).waitFor();
    await hydrated(page);
    assert.ok(await page.getByRole("tab", { name: "Upload files" }).isVisible());

    // Two files in one batch through the picker: a PDF and a Markdown file.
    const input = page.locator('[data-test="knowledge-file-input"]');
    await input.setInputFiles([files.pdf, files.markdown.path]);
    const results = page.locator('[data-test="upload-result"]');
    await results.nth(1).waitFor();
    const outcomes = await results.evaluateAll((items) =>
      items.map((item) => ({ outcome: item.dataset.outcome, text: item.innerText })),
    );
    assert.deepEqual(
      outcomes.map((o) => o.outcome),
      ["ok", "ok"],
      `both files are accepted: ${JSON.stringify(outcomes)}`,
    );

    // Both rows turn ready by themselves: the list refreshes while they are processed.
    const [pdfRow, markdownRow] = await Promise.all([settled(page, names.pdf), settled(page, names.markdown)]);
    assert.equal(pdfRow.status, "ready", `the PDF is read:\n${pdfRow.text}`);
    assert.equal(markdownRow.status, "ready", `the Markdown file is read:\n${markdownRow.text}`);
    assert.match(markdownRow.text, /[1-9]\d* passages?/, "its passages are counted");
    // The upload's notice follows: no "reading them now" once they are read.
    await page.locator(".upload-summary", { hasText: "ready to answer from" }).waitFor();
    // Words a tenant should not need.
    const pageText = await page.locator("main").innerText();
    for (const jargon of [/chunk/i, /MiniLM/i, /BM25/i, /SurrealDB/i]) {
      assert.doesNotMatch(pageText, jargon, "the Knowledge page speaks plainly");
    }
    await screenshot(page, "knowledge-ready");

    // Ask what a customer would: the reply a visitor would get, cited from the Markdown file.
    await page.locator('[data-test="test-question-input"]').fill(files.markdown.question);
    await page.locator('[data-test="test-question-submit"]').click();
    const reply = page.locator('[data-test="test-answer"]');
    await reply.waitFor();
    const replied = await reply.innerText();
    assert.equal(await reply.getAttribute("data-answered"), "true", `the knowledge answers it:\n${replied}`);
    assert.match(replied, files.markdown.expected, `the reply answers the question:\n${replied}`);
    assert.match(replied, /\[1\]/, `the reply cites its source:\n${replied}`);
    assert.doesNotMatch(replied, /(^|\s)#{1,6}\s|\*\*/, "no Markdown reaches the reply");
    // The passages and scores behind it wait behind a toggle.
    const first = page.locator('[data-test="passage"]').first();
    assert.equal(await first.isVisible(), false, "details stay folded");
    await page.locator('[data-test="test-details"] > summary').click();
    const best = await first.innerText();
    assert.match(best, /Meaning match\s*\d+%/, `with its scores:\n${best}`);
    await screenshot(page, "knowledge-test-question");

    // The source's own page lists what was read from it.
    await rows(page).filter({ hasText: names.markdown }).first().getByRole("link").first().click();
    await page.waitForURL(new RegExp(`${escape(workspaceUrl)}/knowledge/[^/?#]+$`));
    const documents = page.getByRole("region", { name: /^Documents/ });
    await documents.getByRole("table").waitFor();
    assert.ok((await documents.getByRole("row").count()) >= 2, "a header and at least one document");
    await page.getByRole("link", { name: "← All knowledge" }).click();
    await page.waitForURL(`${workspaceUrl}/knowledge`);

    // An image named .pdf is refused in words, as an upload result or a failed row.
    await input.setInputFiles(files.image);
    const refusal = page
      .locator('[data-test="upload-result"][data-outcome="error"]')
      .filter({ hasText: names.image })
      .or(page.locator('[data-test="source-row"][data-status="failed"]').filter({ hasText: names.image }))
      .first();
    await refusal.waitFor({ timeout: PROCESSING_TIMEOUT });
    const message = await refusal.innerText();
    assert.match(message, /not supported|unsupported|couldn.t read|could not read|can.t read/i, message);
    assert.doesNotMatch(message, /Error\(|panicked|\{"|undefined/, `a human message: ${message}`);

    // On a phone the page is one column and nothing scrolls sideways.
    const phone = await openPage(browser, {
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      storageState: await context.storageState(),
    });
    try {
      await phone.page.goto(`${workspaceUrl}/knowledge`);
      await hydrated(phone.page);
      await rows(phone.page).filter({ hasText: names.markdown }).first().waitFor();
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the knowledge page overflows by ${overflow}px`);
      // Usage leaves room: adding knowledge starts within the first screen.
      await phone.page.evaluate(() => window.scrollTo(0, 0));
      const addTop = await phone.page.getByRole("heading", { name: "Add knowledge" }).evaluate((el) => el.getBoundingClientRect().top);
      assert.ok(addTop < 740, `"Add knowledge" starts ${addTop}px down, below the first screen`);
      await screenshot(phone.page, "knowledge-mobile");
      assert.deepEqual(unexpected(phone.errors), []);
    } finally {
      await phone.context.close();
    }

    // Clean up through the page, which also checks deleting.
    for (const name of [names.image, names.pdf, names.markdown]) await deleteSource(page, name);
    assert.equal(await rows(page).filter({ hasText: RUN }).count(), 0, "this run's sources are gone");

    assert.deepEqual(unexpected(errors), []);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
