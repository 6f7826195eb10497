/*
 * Biliktilik: the check page (generators/check_pages.py). What is typed is read as a control
 * code the way biliktilik.model.certificates.normalise_control_code reads it (case ignored,
 * spaces and dashes dropped, O -> 0, I and L -> 1, 16 Crockford base32 characters), hashed with
 * WebCrypto (sha256 of "biliktilik-check|" + code) and <site>/check/<hex>.json is fetched: it
 * holds the certificate's verification path sealed with AES-256-GCM, key sha256 of
 * "biliktilik-check-secret|" + code (biliktilik.model.certificates.seal_check_path).
 * No file: this issuer never issued that code.
 */
(function () {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

  function normalise(text) {
    var s = String(text).replace(/[\s\-\u2010-\u2015]+/g, "").toUpperCase()
      .replace(/O/g, "0").replace(/[IL]/g, "1");
    if (s.length !== 16) return null;
    for (var i = 0; i < s.length; i++) if (ALPHABET.indexOf(s.charAt(i)) < 0) return null;
    return s;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function unb64(text) {
    var s = String(text || "").replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = window.atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function setup() {
    var form = document.getElementById("bk-check");
    if (!form || form.getAttribute("data-ready")) return;
    form.setAttribute("data-ready", "1");
    var input = document.getElementById("bk-check-code");
    var result = document.getElementById("bk-check-result");
    var root = new URL(form.getAttribute("data-root") || "./", window.location.href);

    function say(key, verdict) {
      result.textContent = form.getAttribute("data-" + key) || "";
      result.setAttribute("data-verdict", verdict);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = normalise(input.value);
      if (!code) { say("malformed", "malformed"); return; }
      say("wait", "pending");
      var subtle = window.crypto.subtle, encode = function (t) { return new TextEncoder().encode(t); };
      subtle.digest("SHA-256", encode("biliktilik-check|" + code)).then(function (digest) {
        return fetch(new URL("check/" + hex(digest) + ".json", root).href, { cache: "no-store" });
      }).then(function (response) {
        if (response.status === 404) { say("not_issued", "not-issued"); return null; }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      }).then(function (data) {
        if (!data) return null;
        return subtle.digest("SHA-256", encode("biliktilik-check-secret|" + code)).then(function (secret) {
          return subtle.importKey("raw", secret, { name: "AES-GCM" }, false, ["decrypt"]);
        }).then(function (key) {
          return subtle.decrypt({ name: "AES-GCM", iv: unb64(data.n) }, key, unb64(data.c));
        });
      }).then(function (plain) {
        if (!plain) return;
        var path = new TextDecoder().decode(plain);
        if (!/^v\/[A-Za-z0-9_-]+\/$/.test(path)) { say("error", "error"); return; }
        say("found", "found");
        window.location.assign(new URL(path, root).href);
      }).catch(function () { say("error", "error"); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
