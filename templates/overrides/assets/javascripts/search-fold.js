/*
 * Kazakh words however they are typed (templates/search/folding.yaml, README "Search").
 *
 * Material sends each query to its search worker as {type: 2, data: "query"}. This script
 * (an external file: the pages' CSP allows no new inline script) wraps Worker.postMessage and
 * adds, for every query word, its folded stem: Kazakh letters as their nearest Russian letters
 * (ә->а, ғ->г, қ->к, ң->н, ө->о, ұ/ү->у, һ->х, і and Latin i->и) and Kazakh endings stripped.
 * The build indexes a folded copy of every page (field "fold"), so "уйымдастырушы",
 * "бiлiктiлiк" (Latin i), "биликтилик" and "ұйымдастырушыларға" all find «ұйымдастырушы...».
 * The word as typed stays in the query too, so matches in the page text are highlighted.
 */
(function () {
  "use strict";
  var QUERY = 2;
  var rules = null;
  try {
    var config = JSON.parse(document.getElementById("__config").textContent);
    var base = config.base.replace(/\/?$/, "/");  // "..", "." or "/" (the 404 page): never "//host"
    fetch(new URL(base + "search/folding.json", location.href).href)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (json) {
        if (json) {
          json.suffixes.sort(function (a, b) { return b.length - a.length; });
          rules = json;
        }
      })
      .catch(function () {});
  } catch (e) { /* no Material config: no search on this page */ }

  function fold(word) {
    var out = "";
    var lower = word.toLowerCase();
    for (var i = 0; i < lower.length; i++) {
      var c = lower.charAt(i);
      out += Object.prototype.hasOwnProperty.call(rules.letters, c) ? rules.letters[c] : c;
    }
    return out;
  }

  function stem(word) {
    var changed = true;
    while (changed) {
      changed = false;
      for (var i = 0; i < rules.suffixes.length; i++) {
        var s = rules.suffixes[i];
        if (word.length - s.length >= rules.min_stem && word.slice(-s.length) === s) {
          word = word.slice(0, -s.length);
          changed = true;
          break;
        }
      }
    }
    return word;
  }

  function expand(query) {
    if (!rules || /["+\-~^:*]/.test(query)) return query;  // Lunr syntax: left as typed
    var words = query.trim().split(/\s+/);
    var out = [];
    words.forEach(function (w) {
      if (!w) return;
      out.push(w);
      if (!/[\u0400-\u04FF]/.test(w)) return;  // only Cyrillic words (with a stray Latin i)
      var f = stem(fold(w));
      if (f && out.indexOf(f) < 0) out.push(f);
    });
    return out.join(" ");
  }

  var post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message) {
    if (message && message.type === QUERY && typeof message.data === "string") {
      arguments[0] = { type: message.type, data: expand(message.data) };
    }
    return post.apply(this, arguments);
  };
})();
