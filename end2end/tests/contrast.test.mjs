// Every button style, in both themes, against WCAG AA: text at least 4.5:1
// against what is behind it. Dashboard pages with the most kinds of button:
// Knowledge (upload, delete confirmations, tabs) and API keys (revoke).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, openPage, logInAsDemo, hydrated } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Contrast of each visible button's text with the colour behind it, measured in the page. */
async function buttonContrasts(page) {
  return page.evaluate(() => {
    const rgba = (value) => {
      const [r, g, b, a = 1] = value.match(/[\d.]+/g).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }) => {
      const channel = (c) => {
        c /= 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    // The first opaque background at or above an element (the page's at the top).
    const backdrop = (el) => {
      for (let node = el; node; node = node.parentElement) {
        const colour = rgba(getComputedStyle(node).backgroundColor);
        if (colour.a > 0.5) return colour;
      }
      return rgba(getComputedStyle(document.documentElement).backgroundColor);
    };
    const buttons = document.querySelectorAll("button, a.button, summary.button, [role=tab]");
    return [...buttons]
      .filter((el) => el.offsetParent !== null && el.textContent.trim() !== "")
      .map((el) => {
        const text = rgba(getComputedStyle(el).color);
        const [a, b] = [luminance(text), luminance(backdrop(el))];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        return { label: el.textContent.trim().slice(0, 40), className: el.className, ratio };
      });
  });
}

for (const scheme of ["light", "dark"]) {
  test(`every button's text meets WCAG AA contrast in the ${scheme} theme`, async () => {
    const { page, context } = await openPage(browser, { colorScheme: scheme });
    try {
      const home = await logInAsDemo(page);
      const failures = [];
      for (const section of ["knowledge", "keys", "widget", "team"]) {
        await page.goto(`${home}/${section}`);
        await hydrated(page);
        const measured = await buttonContrasts(page);
        assert.ok(measured.length > 0, `${section} has buttons`);
        for (const { label, className, ratio } of measured) {
          if (ratio < 4.5) failures.push(`${section}: "${label}" (${className}) ${ratio.toFixed(2)}:1`);
        }
      }
      assert.deepEqual(failures, [], `buttons below 4.5:1 in the ${scheme} theme`);
    } finally {
      await context.close();
    }
  });
}
