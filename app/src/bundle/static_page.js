// The whole script of a page that loads no WASM (the landing page): what
// its Leptos components do once hydrated, in a few hundred bytes.
(() => {
  const root = document.documentElement;
  // The theme toggle (app/src/theme.rs): flip the theme and remember it.
  for (const button of document.querySelectorAll(".theme-toggle")) {
    button.addEventListener("click", () => {
      const current = root.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
      const next = current === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      document.cookie = `theme=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
    });
  }
  // The skip link (app/src/layout.rs) moves focus, not only the scroll.
  for (const link of document.querySelectorAll(".skip-link")) {
    link.addEventListener("click", (event) => {
      const main = document.getElementById("main");
      if (main) {
        event.preventDefault();
        main.focus();
      }
    });
  }
  // As a hydrated page does: tells styles and browser tests the page is live.
  root.setAttribute("data-hydrated", "");
})();
