// biliktilik serve: reload the page when the preview was rebuilt (injected into served HTML only).
(function () {
  var seen = Number(document.currentScript.getAttribute("data-version"));
  function poll() {
    fetch("/__biliktilik/version", {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.version !== seen) { location.reload(); return; }
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 800); });
  }
  poll();
})();
