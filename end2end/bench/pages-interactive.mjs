// How long each page takes to become interactive in Chromium: from the
// start of navigation until the page is live (`html[data-hydrated]`, set
// when its WASM has hydrated, or at once by a page that needs none), on the
// local network and on Lighthouse's mobile "slow 4G" (1.6 Mbit/s, 150 ms
// round trips), where what a page downloads shows. Each run is a fresh
// browser context, so nothing comes from the cache. `cargo xtask
// bench` runs it against the release server with PAGES (space-separated
// paths), SESSION_COOKIE and SIGNED_IN_FROM (the index of the first page that
// needs the session); it prints numbers and asserts nothing.
import { launch, openPage, BASE_URL } from "../tests/browser.mjs";

const RUNS = 5;
const NETWORKS = [
  ["local", null],
  ["slow 4G", { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8) * 0.9, uploadThroughput: (750e3 / 8) * 0.9 }],
];
const pages = (process.env.PAGES ?? "/").split(" ");
const signedInFrom = Number(process.env.SIGNED_IN_FROM ?? pages.length);
const session = process.env.SESSION_COOKIE ?? "";

// Runs in the page before anything else: notes, on each animation frame,
// when it has become live.
const WATCH = () => {
  const look = () => {
    if (document.documentElement?.hasAttribute("data-hydrated")) window.__live = performance.now();
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
};

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

async function timeToInteractive(path, signedIn, network) {
  const { page, context, errors } = await openPage(browser);
  if (signedIn) {
    const [name, ...value] = session.split(";")[0].split("=");
    await context.addCookies([{ name, value: value.join("="), url: BASE_URL }]);
  }
  if (network) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", network);
  }
  await page.addInitScript(WATCH);
  await page.goto(`${BASE_URL}${path}`);
  await page.waitForFunction(() => window.__live !== undefined, null, { timeout: 120_000 });
  const live = await page.evaluate(() => window.__live);
  if (errors.length) throw new Error(`${path} logged errors: ${errors.join("; ")}`);
  await context.close();
  return live;
}

const browser = await launch();
console.log(`== Time to interactive in Chromium on ${BASE_URL}, cold cache each time (n=${RUNS})`);
try {
  for (const [index, path] of pages.entries()) {
    const columns = [];
    for (const [name, network] of NETWORKS) {
      const times = [];
      for (let run = 0; run < RUNS; run++) times.push(await timeToInteractive(path, index >= signedInFrom, network));
      columns.push(`${name}: p50 ${percentile(times, 0.5).toFixed(0).padStart(5)} ms, max ${Math.max(...times).toFixed(0).padStart(5)} ms`);
    }
    const label = path.startsWith("/app/") ? "dashboard Team (signed in)" : path;
    console.log(`  ${label.padEnd(28)} ${columns.join("   ")}`);
  }
} finally {
  await browser.close();
}
