/*
 * Biliktilik: the 404 page under <site>/v/ (or <site>/ru/v/) is an unknown certificate.
 * A static host serves 404.html for every missing path; this script reads the address and
 * shows the verdict block (data-verdict="unknown", Kazakh and Russian) instead of the plain
 * "not found". Nothing is fetched. templates/overrides/404.html holds the texts.
 */
(function () {
  "use strict";
  var box = document.getElementById("bk-notfound");
  if (!box) return;
  var root = box.getAttribute("data-root") || "/";
  var path = window.location.pathname;
  var certificate = path.indexOf(root + "v/") === 0 || path.indexOf(root + "ru/v/") === 0;
  if (!certificate) return;
  document.getElementById("bk-notfound-page").hidden = true;
  document.getElementById("bk-notfound-certificate").hidden = false;
  document.documentElement.setAttribute("lang", "kk");
  document.title = box.getAttribute("data-title-unknown");
  var meta = document.createElement("meta");
  meta.name = "robots";
  meta.content = "noindex";
  document.head.appendChild(meta);
})();
