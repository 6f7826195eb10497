/* Biliktilik: checks a certificate's verification page (site/v/<token>/) against what its issuer signed.
   Shared by every page (site/v/verify.js). Order: the page must be on the issuer's site (data-site); the
   issuer's key comes from its did:web document at its own origin (data-didurl, absolute); credential.jwt
   must verify with that key and say exactly what the page shows; the status comes from the issuer's signed
   Bitstring Status Lists; validity is decided on the Kazakhstan day (UTC+5) of the current instant, never
   earlier than the instant the issuer signed its status list (a device clock set back cannot revive an
   expired certificate), and a status list without validUntil or past it is refused (an old list replayed
   cannot hide a revocation). Each JWT is checked with the key its header's kid names, when the did
   document lists it under assertionMethod (key rotation); a key in "biliktilik:revokedKeys" was withdrawn
   and what it signed is unverified, with the day it was withdrawn.
   Only then is data-verdict set: valid | revoked | replaced | expired | unverified. */
(function () {
  "use strict";
  var d = document, main = d.getElementById("cert"), box = d.getElementById("verdict"), sig = d.getElementById("sig");
  if (!main || !box) return;
  var cfg = main.dataset;
  var KZ_MS = 5 * 3600 * 1000;
  var signedNow = 0;  /* ms: the latest validFrom of a status list the issuer signed; "now" is never earlier */

  function Fail(why, slots) { this.why = why; this.slots = slots; }
  function each(root, sel, fn) { var e = root.querySelectorAll(sel); for (var i = 0; i < e.length; i++) fn(e[i]); }
  function sigState(k) { sig.dataset.state = k; each(sig, "[data-m]", function (e) { e.hidden = e.dataset.m !== k; }); }
  function show(verdict, slots, why) {
    var st = d.getElementById("st");
    if (st) st.hidden = true;
    each(box, "[data-m]", function (e) { e.hidden = e.dataset.m !== verdict; });
    each(box, "[data-why]", function (e) { e.hidden = e.dataset.why !== why; });
    each(box, "[data-d]", function (e) { e.textContent = (slots || {})[e.dataset.d] || ""; });
    box.className = "st " + ({valid: "ok", revoked: "bad", replaced: "bad", expired: "old"}[verdict] || "unk");
    if (verdict !== "wait") box.dataset.verdict = verdict;  /* the last thing done, only after the checks */
  }
  function b64(u) {
    if (!/^[A-Za-z0-9_-]*$/.test(u)) throw new Fail("signature");
    return Uint8Array.from(atob(u.replace(/-/g, "+").replace(/_/g, "/")), function (c) { return c.charCodeAt(0); });
  }
  function utf8json(bytes) { return JSON.parse(new TextDecoder("utf-8", {fatal: true}).decode(bytes)); }
  function dm(v) { v = String(v || ""); return v.slice(8, 10) + "." + v.slice(5, 7) + "." + v.slice(0, 4); }
  function kzDay(ms) { return new Date(ms + KZ_MS).toISOString().slice(0, 10); }
  function epoch(iso) { return Math.floor(Date.parse(iso) / 1000); }
  function get(url, why) {
    return fetch(url, {credentials: "omit", redirect: "error", cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Fail(why);
      return r.text();
    }, function () { throw new Fail(why); });
  }

  /* The issuer's did document; returns keyFor(kid, why): a promise of the CryptoKey of that key. */
  function issuerKey() {
    return get(cfg.didurl, "fetch").then(function (text) {
      var doc = JSON.parse(text), keys = {};
      if (!doc || doc.id !== cfg.did) throw new Fail("signature");
      return function keyFor(kid, why) {
        var gone = (Array.isArray(doc["biliktilik:revokedKeys"]) ? doc["biliktilik:revokedKeys"] : []).filter(function (r) {
          return r && r.id === kid;
        })[0];
        if (gone) return Promise.reject(new Fail("withdrawn", {keydate: dm(gone.revoked)}));
        var vm = (doc.verificationMethod || []).filter(function (v) { return v && v.id === kid && v.controller === cfg.did; })[0];
        if (typeof kid !== "string" || kid.indexOf(cfg.did + "#") !== 0 || !vm ||
            !Array.isArray(doc.assertionMethod) || doc.assertionMethod.indexOf(kid) < 0) return Promise.reject(new Fail(why));
        var jwk = vm.publicKeyJwk || {};
        if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") return Promise.reject(new Fail(why));
        if (!keys[kid]) keys[kid] = crypto.subtle.importKey("jwk", {kty: "OKP", crv: "Ed25519", x: jwk.x}, {name: "Ed25519"},
          false, ["verify"]).catch(function () { throw new Fail("browser"); });
        return keys[kid];
      };
    });
  }

  /* A compact JWS signed by one of the issuer's keys (its kid), with typ; returns its payload after checking the OB 3.0 claims. */
  function jwt(keyFor, url, typ, why) {
    return get(url, why).then(function (text) {
      var t = text.trim().split(".");
      if (t.length !== 3) throw new Fail(why);
      var h = utf8json(b64(t[0]));
      if (!h || h.alg !== "EdDSA" || h.typ !== typ) throw new Fail(why);
      return keyFor(h.kid, why).then(function (key) {
        return crypto.subtle.verify({name: "Ed25519"}, key, b64(t[2]), new TextEncoder().encode(t[0] + "." + t[1]));
      }).then(function (ok) {
          if (!ok) throw new Fail(why);
          var c = utf8json(b64(t[1])), iss = typeof c.issuer === "object" ? c.issuer.id : c.issuer;
          var sub = c.credentialSubject && c.credentialSubject.id;
          if (c.iss !== cfg.did || iss !== cfg.did || c.jti !== c.id || c.sub !== sub || c.nbf !== epoch(c.validFrom) ||
              (c.validUntil ? c.exp !== epoch(c.validUntil) : c.exp !== undefined)) throw new Fail(why);
          return c;
        });
    });
  }

  /* What the page must show, from the signed credential: data-v key -> text. */
  function expected(c) {
    var f = c.certificateFacts || {}, h = f.holder || {}, p = (f.programme || {}).title || {}, o = (f.organisation || {}).name || {};
    var w = {name: [h.surname, h.given, h.patronymic].filter(Boolean).join(" "), "title-kk": p.kk, "title-ru": p.ru,
      "org-kk": o.kk, "org-ru": o.ru, hours: String(f.hours), start: dm(f.start), end: dm(f.end), issued: dm(f.issued),
      number: f.number, fp: c.fingerprint}, total = 0, mods = f.modules || [];
    if (f.enterprise !== undefined) w.enterprise = f.enterprise;
    mods.forEach(function (m) {
      w["m" + m.number + "t"] = m.number + ". " + m.title;
      w["m" + m.number + "h"] = String(m.hours);
      w["m" + m.number + "g"] = m.grade === null || m.grade === undefined ? "—" : String(m.grade);
      total += m.hours || 0;
    });
    if (mods.length) w.total = String(total);
    if (c.replaces) w.replaces = c.replaces.number;
    return w;
  }
  function matches(c) {
    var w = expected(c), seen = 0, ok = true;
    each(d, "[data-v]", function (e) { seen++; if (!(e.dataset.v in w) || w[e.dataset.v] !== e.textContent) ok = false; });
    return ok && seen === Object.keys(w).length && c.registrationNumber === w.number;
  }

  function bit(encoded, index) {
    if (typeof encoded !== "string" || encoded[0] !== "u") throw new Fail("status");
    var stream = new Blob([b64(encoded.slice(1))]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer().then(function (buf) {
      var bytes = new Uint8Array(buf);
      if (index < 0 || (index >> 3) >= bytes.length) throw new Fail("status");
      return (bytes[index >> 3] & (0x80 >> (index % 8))) !== 0;
    });
  }
  function statusBit(key, path, purpose, index) {
    var url = cfg.site + path;
    return jwt(key, url, "vc+jwt", "status").then(function (s) {
      var subj = s.credentialSubject || {};
      var from = Date.parse(s.validFrom), until = s.validUntil === undefined ? null : Date.parse(s.validUntil);
      if (s.id !== url || (s.type || []).indexOf("BitstringStatusListCredential") < 0 || subj.statusPurpose !== purpose ||
          !(from > 0) || until === null || !(until >= Math.max(Date.now(), from))) throw new Fail("status");
      if (from > signedNow) signedNow = from;
      return bit(subj.encodedList, index);
    });
  }

  /* The link to the replacing certificate is kept only when that certificate's signed credential says it replaces this one. */
  function checkNext(key, number) {
    var a = d.getElementById("next");
    if (!a) return Promise.resolve();
    var links = box.querySelectorAll("[data-m=replaced] a");
    return jwt(key, new URL("credential.jwt", a.href).href, "JWT", "status").then(function (n) {
      if (!n.replaces || n.replaces.number !== number || (n.certificateFacts || {}).number !== a.textContent) throw new Fail("status");
      each(box, "[data-m=replaced] a", function (e) { if (e.href !== a.href || e.textContent !== a.textContent) throw new Fail("status"); });
    }).catch(function () {
      each(box, "[data-m=replaced] a", function (e) { e.replaceWith(d.createTextNode(e.textContent)); });
      return links;
    });
  }

  function run() {
    if (location.href.indexOf(cfg.site) !== 0 || location.origin !== new URL(cfg.site).origin) throw new Fail("origin");
    if (!window.crypto || !crypto.subtle || !window.DecompressionStream) throw new Fail("browser");
    show("wait");
    sigState("wait");
    return issuerKey().then(function (key) {
      var here = new URL(".", location.href).href;
      return jwt(key, "credential.jwt", "JWT", "signature").then(function (c) {
        if (c.id !== here) throw new Fail("signature");
        if (!matches(c)) throw new Fail("facts");
        sigState("ok");
        var e = c.credentialStatus || {}, index = parseInt(e.statusListIndex, 10);
        if (e.type !== "BitstringStatusListEntry" || e.statusPurpose !== "revocation" ||
            e.statusListCredential !== cfg.site + "status/1" || !(index >= 0)) throw new Fail("status");
        return statusBit(key, "status/1", "revocation", index).then(function (off) {
          if (!off) return null;
          return statusBit(key, "status/2", "message", index).then(function (replaced) {
            if (!replaced) return "revoked";
            return checkNext(key, c.certificateFacts.number).then(function () { return "replaced"; });
          });
        }).then(function (state) {
          if (state) return show(state);
          var today = kzDay(Math.max(Date.now(), signedNow)), from = kzDay(Date.parse(c.validFrom));
          var until = c.validUntil ? kzDay(Date.parse(c.validUntil)) : null;
          if (today < from) throw new Fail("notyet");
          if (until && today > until) {
            return show("expired", {since: dm(kzDay(Date.parse(c.validUntil) + 1000))});
          }
          show("valid", {until: until ? dm(until) : ""});
        });
      });
    });
  }

  function failed(e) {
    var why = e instanceof Fail ? e.why : "fetch";
    if (sig.dataset.state !== "ok") sigState(why === "signature" || why === "facts" || why === "withdrawn" ? "bad" : "na");
    show("unverified", e instanceof Fail ? e.slots : null, why);
  }
  try { Promise.resolve(run()).catch(failed); } catch (e) { failed(e); }
})();
