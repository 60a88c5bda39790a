// Lodestar widget loader: the one script a site embeds.
// <script src="https://HOST/widget.js" data-key="pk_..." async></script>
(function () {
  var script = document.currentScript;
  if (!script) return;
  var key = script.getAttribute("data-key") || "";
  var base = new URL(".", script.src).href;
  import(base + "widget/lodestar_widget.js")
    .then(function (widget) {
      return widget.default({ module_or_path: base + "widget/lodestar_widget_bg.wasm" }).then(function () {
        widget.mount(key, base);
      });
    })
    .catch(function (error) {
      console.error("Lodestar widget failed to load:", error);
    });
})();
