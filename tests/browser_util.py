"""Browser helpers for checking the built MkDocs Material catalog in Chromium.

Used by the theme checks described in ``templates/overrides/README.md``:
no request to another host, axe-core WCAG 2.x A/AA, Kazakh/Russian search,
no horizontal page scrolling on a phone.

Requirements: the ``playwright`` Python package (its bundled browsers are NOT
needed: we drive Debian's ``/usr/bin/chromium``) and, for the axe checks,
``npm install --no-save axe-core`` in the repository root (so that
``node_modules/axe-core/axe.min.js`` exists) or ``AXE_CORE_JS=/path/axe.min.js``.

Typical use::

    from tests.browser_util import launch, serve, external_requests, \
        axe_violations, find_axe

    with serve("site") as base, launch() as browser:
        page = browser.new_page()
        assert external_requests(page, base) == []
        assert axe_violations(page, find_axe()) == []

Run ``python tests/browser_util.py SITE_DIR [PATH ...]`` for a quick report.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Checks never reach the network: no host resolves except the loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, "
    "EXCLUDE 127.0.0.1, EXCLUDE [::1]",
]

#: axe-core rule tags checked by :func:`axe_violations` by default.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

#: Hosts that count as "this machine" for :func:`external_requests`.
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

#: URL schemes that never leave the browser.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension"}

PHONE_VIEWPORT = {"width": 375, "height": 667}


# --------------------------------------------------------------------------
# Browser and server
# --------------------------------------------------------------------------

@contextmanager
def launch(headless: bool = True, **kwargs) -> Iterator["Browser"]:  # noqa: F821
    """Start Debian's Chromium through Playwright; yield the Browser.

    Extra keyword arguments go to ``chromium.launch``.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(
            f"Chromium not found at {CHROMIUM}: `apt-get install chromium` "
            "or set CHROMIUM_PATH"
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=headless,
            **kwargs,
        )
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".woff2": "font/woff2",
    }

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


@contextmanager
def serve(directory: str | os.PathLike) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 with a free port.

    Yields the base URL, e.g. ``http://127.0.0.1:41234/`` (trailing slash).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"not a directory: {directory}")
    with http_server(_QuietHandler, directory) as base:
        yield base


@contextmanager
def http_server(handler_class, directory: Path):
    """Serve ``directory`` with ``handler_class`` (a SimpleHTTPRequestHandler taking ``directory=``)
    on 127.0.0.1 with a free port, from now until the block ends; yields the base URL. The folder may
    be filled after the server starts (a site built for the address it is served at)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler_class, directory=str(directory)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

def is_local_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


def all_requests(page, url: str, settle_ms: int = 500) -> list[str]:
    """Load ``url`` in ``page`` and return every request URL it made.

    Listens on the page's browser context, so requests made by the search
    web worker are included. Requests to other hosts are recorded but
    aborted (and :func:`launch` resolves no host name but localhost), so a
    failing check never sends traffic off the machine. Waits for network
    idle plus ``settle_ms``.
    """
    seen: list[str] = []

    def on_request(request):
        seen.append(request.url)

    def route(route):
        # Record, but never send, requests to other hosts.
        if is_local_url(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context = page.context
    context.on("request", on_request)
    context.route("**/*", route)
    try:
        page.goto(url, wait_until="networkidle")
        page.wait_for_timeout(settle_ms)
    finally:
        context.unroute("**/*", route)
        context.remove_listener("request", on_request)
    return seen


def external_requests(page, url: str) -> list[str]:
    """Load ``url``; return the request URLs that go to another host.

    Anything but 127.0.0.1 / localhost / ::1 (and data:, blob: URLs) counts
    as external. An empty list means the page stayed on this machine.
    """
    return [u for u in all_requests(page, url) if not is_local_url(u)]


def find_axe() -> str:
    """Return the path of ``axe.min.js`` or raise FileNotFoundError.

    Looks at ``$AXE_CORE_JS`` first, then
    ``<repo root>/node_modules/axe-core/axe.min.js``.
    """
    env = os.environ.get("AXE_CORE_JS")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js")
    for path in candidates:
        if path.is_file():
            return str(path)
    raise FileNotFoundError(
        "axe-core not found (looked at: "
        + ", ".join(str(p) for p in candidates)
        + "). Install it with `npm install --no-save axe-core` in "
        f"{REPO_ROOT}, or set AXE_CORE_JS to an axe.min.js file."
    )


def axe_violations(page, axe_path: str, tags: list[str] | None = None,
                   exclude: list[str] | None = None) -> list[dict]:
    """Run axe-core on the page as it is now; return its violations.

    ``tags`` defaults to :data:`WCAG_TAGS` (WCAG 2.0/2.1 A and AA).
    ``exclude`` is a list of CSS selectors left out of the check.
    Each violation is axe's dict (``id``, ``impact``, ``help``, ``nodes``...).
    """
    # Evaluated through the DevTools protocol, not added as an inline <script>: the pages'
    # Content-Security-Policy allows no inline script but their own (by hash).
    page.evaluate(Path(axe_path).read_text(encoding="utf-8") + "\n;void 0")
    page.wait_for_function("() => typeof window.axe !== 'undefined'")
    result = page.evaluate(
        """async ([tags, exclude]) => {
            const context = exclude.length
                ? { include: [document], exclude: exclude.map(s => [s]) }
                : document;
            return await window.axe.run(context, {
                runOnly: { type: "tag", values: tags },
                resultTypes: ["violations"],
            });
        }""",
        [tags or WCAG_TAGS, exclude or []],
    )
    return result["violations"]


def format_violations(violations: list[dict]) -> str:
    """Human-readable summary of axe violations (for assertion messages)."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v.get('impact')}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def horizontal_overflow(page) -> int:
    """Pixels by which the page is wider than the viewport (0 = no
    horizontal page scrolling)."""
    return page.evaluate(
        """() => Math.max(document.documentElement.scrollWidth,
                          document.body.scrollWidth) - window.innerWidth"""
    )


def search_results(page, query: str, timeout_ms: int = 15000) -> list[dict]:
    """Type ``query`` into Material's search box; return the results.

    The page must already be loaded. Works on desktop and phone viewports.
    Returns a list of ``{"href": ..., "path": ..., "title": ...}`` for the
    result items (top-level results and their sections), in display order;
    ``path`` is the URL path without the ``?h=`` highlight query and the
    fragment. An empty list when Material reports no matching documents.
    """
    config = page.evaluate(
        "() => JSON.parse(document.getElementById('__config').textContent)"
    )
    placeholder = config["translations"]["search.result.placeholder"]

    box = page.locator("input[data-md-component='search-query']")
    opener = page.locator("header label[for='__search']").first
    if opener.is_visible():  # phone/tablet: the search icon opens an overlay
        opener.click()
    else:
        box.click()
    box.focus()
    # Wait for the search worker to be ready (placeholder shown).
    page.wait_for_function(
        """(text) => {
            const m = document.querySelector('.md-search-result__meta');
            return m && m.textContent.trim() === text;
        }""",
        arg=placeholder,
        timeout=timeout_ms,
    )
    box.fill("")
    box.press_sequentially(query, delay=20)
    # Material reads the query on "keyup". Playwright types characters that
    # are not on its US key map (Cyrillic: Kazakh, Russian) as text input
    # without key events, so finish with a real key press, as a keyboard would.
    box.press("End")
    page.wait_for_function(
        """(placeholder) => {
            const m = document.querySelector('.md-search-result__meta');
            return m && m.textContent.trim() !== placeholder;
        }""",
        arg=placeholder,
        timeout=timeout_ms,
    )
    # Let the last keystroke's result render, then read a stable list.
    js = """() => [...document.querySelectorAll(
                '.md-search-result__list .md-search-result__link')]
              .map(a => ({href: a.href,
                          title: (a.querySelector('h1, h2') || a)
                                   .textContent.trim()}))"""
    previous, deadline = None, time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        page.wait_for_timeout(300)
        current = page.evaluate(js)
        if current == previous:
            break
        previous = current
    for item in current:
        item["path"] = urlsplit(item["href"]).path
    return current


# --------------------------------------------------------------------------
# Command line: python tests/browser_util.py SITE_DIR [PATH ...]
# --------------------------------------------------------------------------

def _main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    site, paths = argv[0], argv[1:] or [""]
    axe = find_axe()
    failed = 0
    with serve(site) as base, launch() as browser:
        for path in paths:
            for viewport in (None, PHONE_VIEWPORT):
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                url = base + path
                label = f"{path or '/'} @ {'phone' if viewport else 'desktop'}"
                external = external_requests(page, url)
                violations = axe_violations(page, axe)
                overflow = horizontal_overflow(page)
                ok = not external and not violations and overflow <= 0
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {label}: "
                      f"{len(external)} external requests, "
                      f"{len(violations)} axe violations, "
                      f"overflow {overflow}px")
                for u in external:
                    print(f"    external: {u}")
                if violations:
                    print(format_violations(violations))
                context.close()
    print(f"pages checked: {len(paths) * 2}, failing: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
