/*
 * Biliktilik theme: keyboard access to horizontally scrolling tables.
 *
 * Material wraps every Markdown table in `.md-typeset__scrollwrap`
 * (overflow-x: auto) at run time. A region that scrolls must be reachable
 * with the keyboard (WCAG 2.1.1; axe rule "scrollable-region-focusable"),
 * so each wrapper whose table is wider than it gets tabindex="0",
 * role="region" and a name (the table caption, else "Кесте N"/"Таблица N").
 * Wrappers that do not scroll are left alone (no useless tab stop).
 *
 * Enabled by `extra_javascript: [assets/javascripts/extra.js]`.
 */
(function () {
  "use strict";

  var LABELS = { kk: "Кесте", ru: "Таблица", en: "Table" };
  /* the visible cue above a table wider than the screen (phones): it scrolls sideways */
  var HINTS = { kk: "Кесте көлденеңінен жылжиды ↔", ru: "Таблица прокручивается вбок ↔", en: "The table scrolls sideways ↔" };

  function hint(el, show) {
    var prev = el.previousElementSibling;
    var has = prev && prev.classList.contains("bk-scroll-hint");
    if (show && !has) {
      var lang = (document.documentElement.lang || "en").split("-")[0];
      var p = document.createElement("p");
      p.className = "bk-scroll-hint";
      p.setAttribute("aria-hidden", "true");  // the region's name already says it is a table
      p.textContent = HINTS[lang] || HINTS.en;
      el.parentNode.insertBefore(p, el);
    } else if (!show && has) {
      prev.parentNode.removeChild(prev);
    }
  }
  var observer = typeof ResizeObserver === "function"
    ? new ResizeObserver(function (entries) {
        entries.forEach(function (entry) { update(entry.target); });
      })
    : null;

  function name(el, index, total) {
    var caption = el.querySelector("caption");
    if (caption && caption.textContent.trim())
      return caption.textContent.trim();
    var lang = (document.documentElement.lang || "en").split("-")[0];
    var label = LABELS[lang] || LABELS.en;
    return total > 1 ? label + " " + (index + 1) : label;
  }

  function update(el) {
    if (el.scrollWidth > el.clientWidth + 1) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", el.getAttribute("data-bk-label"));
      hint(el, true);
    } else {
      hint(el, false);
      el.removeAttribute("tabindex");
      el.removeAttribute("role");
      el.removeAttribute("aria-label");
    }
  }

  function setup() {
    var wraps = document.querySelectorAll(".md-typeset__scrollwrap");
    wraps.forEach(function (el, index) {
      el.setAttribute("data-bk-label", name(el, index, wraps.length));
      update(el);
      if (observer) observer.observe(el);
    });
  }

  /* Material's `document$` emits on load and after instant navigation. */
  if (window.document$ && typeof window.document$.subscribe === "function")
    window.document$.subscribe(function () { setTimeout(setup, 0); });
  else if (document.readyState === "loading")
    document.addEventListener("DOMContentLoaded", setup);
  else
    setup();
  if (!observer)
    window.addEventListener("resize", setup);
})();
