/*
 * Biliktilik catalog: narrowing the list of programmes on the index page.
 *
 * Progressive enhancement: without script the page is a plain list of every
 * programme and the filter form stays hidden. With script the form appears;
 * each card carries its facets in data-* attributes (organisation, audience,
 * hours class, formats, languages, upcoming cohort), written at build time.
 * The chosen filters are kept in the address (?org=...&format=...), so a
 * narrowed list can be bookmarked or shared; the count is announced politely.
 */
(function () {
  "use strict";

  var FIELDS = ["org", "audience", "hc", "format", "lang", "upcoming"];

  function has(list, value) {
    return (" " + (list || "") + " ").indexOf(" " + value + " ") >= 0;
  }

  function matches(card, f) {
    var d = card.dataset;
    return (!f.org || d.org === f.org) &&
      (!f.audience || d.audience === f.audience) &&
      (!f.hc || d.hc === f.hc) &&
      (!f.format || has(d.formats, f.format)) &&
      (!f.lang || has(d.langs, f.lang)) &&
      (!f.upcoming || d.upcoming === "1");
  }

  function read(form) {
    var f = {};
    FIELDS.forEach(function (name) {
      var el = form.elements[name];
      if (!el) return;
      f[name] = el.type === "checkbox" ? (el.checked ? "1" : "") : el.value;
    });
    return f;
  }

  function setup() {
    var form = document.getElementById("bk-filters");
    var list = document.getElementById("bk-cards");
    if (!form || !list || form.getAttribute("data-ready")) return;
    form.setAttribute("data-ready", "1");
    var cards = Array.prototype.slice.call(list.querySelectorAll(".bk-card"));
    var count = document.getElementById("bk-count");
    var empty = document.getElementById("bk-empty");
    var template = form.getAttribute("data-count") || "{shown} / {total}";

    var params = new URLSearchParams(window.location.search);
    FIELDS.forEach(function (name) {
      var el = form.elements[name];
      var value = params.get(name);
      if (!el || value === null) return;
      if (el.type === "checkbox") el.checked = value === "1";
      else if (Array.prototype.some.call(el.options, function (o) { return o.value === value; }))
        el.value = value;
    });

    function apply() {
      var f = read(form);
      var shown = 0;
      cards.forEach(function (card) {
        var ok = matches(card, f);
        card.hidden = !ok;
        if (ok) shown++;
      });
      if (count)
        count.textContent = template.replace("{shown}", shown).replace("{total}", cards.length);
      if (empty) empty.hidden = shown > 0;
      var query = new URLSearchParams();
      FIELDS.forEach(function (name) { if (f[name]) query.set(name, f[name]); });
      var qs = query.toString();
      if (window.history && window.history.replaceState)
        window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : "") + window.location.hash);
    }

    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
    form.hidden = false;
    /* On a phone the filters start folded (one line), unless the address carries some. */
    var box = document.getElementById("bk-filter-box");
    if (box && window.matchMedia && !window.matchMedia("(min-width: 45em)").matches &&
        !FIELDS.some(function (name) { return params.get(name); }))
      box.open = false;
    apply();
  }

  if (window.document$ && typeof window.document$.subscribe === "function")
    window.document$.subscribe(function () { setTimeout(setup, 0); });
  else if (document.readyState === "loading")
    document.addEventListener("DOMContentLoaded", setup);
  else
    setup();
})();
