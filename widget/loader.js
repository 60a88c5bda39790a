// Lodestar widget loader: the one script a site embeds.
// <script src="https://HOST/widget.js" data-key="pk_..." async></script>
// A site that knows who is signed in adds data-identity="<token>": a JWT its
// server signs with the workspace's identity secret (Settings).
// It shows the launcher as soon as the workspace's settings arrive, in
// their colour, position and icon, while the WebAssembly that builds the
// chat panel loads beside it; a click before then opens the panel once
// it has. Everything lives in one <lodestar-widget> element's Shadow DOM.
(function () {
  var script = document.currentScript;
  if (!script || document.querySelector("lodestar-widget")) return;
  var key = script.getAttribute("data-key") || "";
  var identity = script.getAttribute("data-identity") || "";
  var base = new URL(".", script.src).href;
  // The panel's code downloads beside the settings, not after them.
  var panel = import(base + "widget/lodestar_widget.js");
  var wasm = fetch(base + "widget/lodestar_widget_bg.wasm");
  var config = fetch(base + "api/widget/v1/" + encodeURIComponent(key) + "/config", { credentials: "omit" })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .catch(function () {
      return null;
    });
  config
    .then(function (config) {
      var settings = (config && config.settings) || {};
      var host = document.createElement("lodestar-widget");
      var shadow = host.attachShadow({ mode: "open" });
      var style = document.createElement("style");
      style.textContent =
        ":host { all: initial; }" +
        "* { box-sizing: border-box; margin: 0; font: inherit; color: inherit; letter-spacing: normal; text-transform: none; }" +
        ".root { --accent: #4f46e5; font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #111827; }" +
        ".launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border-radius: 50%;" +
        " border: 0; background: var(--accent); color: #fff; cursor: pointer; box-shadow: 0 6px 20px rgba(0,0,0,.25);" +
        " font-size: 24px; line-height: 1; z-index: 2147483000; display: grid; place-items: center; padding: 0; }" +
        ".left .launcher { right: auto; left: 20px; }" +
        ".launcher:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible, a:focus-visible {" +
        " outline: 3px solid #a5b4fc; outline-offset: 2px; }";
      var root = document.createElement("div");
      root.className = "root";
      if (/^#[0-9a-fA-F]{6}$/.test(settings.colour || "")) root.style.setProperty("--accent", settings.colour);
      if (settings.position === "left") root.classList.add("left");
      var launcher = document.createElement("button");
      launcher.type = "button";
      launcher.className = "launcher";
      launcher.setAttribute("aria-label", settings.title || "Chat");
      launcher.setAttribute("aria-expanded", "false");
      launcher.textContent = (config && config.launcher) || "\u{1F4AC}";
      launcher.addEventListener("click", function () {
        if (!host.hasAttribute("data-ready")) launcher.setAttribute("data-open", "");
      });
      root.appendChild(launcher);
      shadow.appendChild(style);
      shadow.appendChild(root);
      document.body.appendChild(host);
      return panel.then(function (widget) {
        return widget.default({ module_or_path: wasm }).then(function () {
          widget.mount(key, base, config, identity);
        });
      });
    })
    .catch(function (error) {
      console.error("Lodestar widget failed to load:", error);
    });
})();
