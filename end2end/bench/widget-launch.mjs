// How fast the widget appears on the demo shop (/demo) in Chromium: from
// the moment the page starts fetching widget.js until the launcher is
// painted, and until the chat panel's WebAssembly is mounted behind it.
// Each run is a fresh browser context, so nothing comes from the cache.
// `cargo xtask bench` runs it against the release server; it prints
// numbers and asserts nothing.
import { launch, openPage, BASE_URL } from "../tests/browser.mjs";

const RUNS = 15;

// Runs in the page before anything else: notes, on each animation frame,
// when the launcher first has a size and when the panel code has mounted.
const WATCH = () => {
  const marks = {};
  window.__lodestarMarks = marks;
  const look = () => {
    const host = document.querySelector("lodestar-widget");
    const launcher = host?.shadowRoot?.querySelector(".launcher");
    if (marks.launcher === undefined && launcher && launcher.getBoundingClientRect().width > 0) {
      marks.launcher = performance.now();
    }
    if (marks.ready === undefined && host?.hasAttribute("data-ready")) marks.ready = performance.now();
    if (marks.launcher === undefined || marks.ready === undefined) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
};

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

const browser = await launch();
const launcher = [];
const ready = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const { page, context, errors } = await openPage(browser);
    await page.addInitScript(WATCH);
    await page.goto(`${BASE_URL}/demo`);
    await page.waitForFunction(() => window.__lodestarMarks?.ready !== undefined, null, { timeout: 30_000 });
    const marks = await page.evaluate(() => {
      const script = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/widget.js"));
      return { start: script.startTime, ...window.__lodestarMarks };
    });
    // The shop page has no favicon; anything else failing spoils the run.
    const failures = errors.filter((e) => !/status of 404/.test(e));
    if (failures.length) throw new Error(`the demo page logged errors: ${failures.join("; ")}`);
    launcher.push(marks.launcher - marks.start);
    ready.push(marks.ready - marks.start);
    await context.close();
  }
} finally {
  await browser.close();
}
const line = (label, values) =>
  console.log(`  ${label}: p50 ${percentile(values, 0.5).toFixed(0)} ms, max ${Math.max(...values).toFixed(0)} ms (n=${values.length})`);
console.log(`== Widget in Chromium on ${BASE_URL}/demo, cold cache each time`);
line("widget.js requested -> launcher painted", launcher);
line("widget.js requested -> chat panel mounted", ready);
