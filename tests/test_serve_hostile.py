"""``biliktilik serve`` under hostile requests (issue 11 hardening), sent with raw sockets to a real
``serve`` subprocess (started as tests/test_serve.py starts it): the /kk -> / redirect stays on this
server and adds no header, a control character is refused, a path too long for the file system is
a 404 without a traceback, and a client that sends nothing is dropped."""

from __future__ import annotations

import shutil
import socket

import pytest

from tests.conftest import DATA
from tests.test_serve import _get, _state, _wait, serving

pytestmark = pytest.mark.slow


def _raw(base: str, target: str, timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    """(status, headers (lower-case names; a repeated name keeps its last value), raw head) of
    ``GET target`` sent byte for byte, as no HTTP library would send it."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, head


HOSTILE_REDIRECTS = [
    # (request target, where the redirect must lead)
    ("/kk//evil.example/x", "/evil.example/x"),
    ("/kk/%2f%2fevil.example", "/evil.example"),
    ("/kk/%5c%5cevil.example", "/evil.example"),
    ("/kk/%5c/evil.example/", "/evil.example/"),
    ("/kk/../..//evil.example", "/evil.example"),
    ("/kk/programmes/%20x%22%3c/?a=%22<b>", "/programmes/%20x%22%3C/?a=%22%3Cb%3E"),
    ("/kk", "/"),
    ("/kk/ru/", "/ru/"),
]


def test_serve_refuses_hostile_requests(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    with serving(data, tmp_path, "--no-pdf") as (base, proc, stderr):
        # before any build is done: the redirects and refusals need none
        for target, where in HOSTILE_REDIRECTS:
            status, headers, head = _raw(base, target)
            assert status == 302, (target, head)
            assert headers["location"] == where, (target, head)
            assert not headers["location"].startswith("//") and "\\" not in headers["location"]
        for target in ("/kk/%0d%0aSet-Cookie:%20pwn=1%0d%0aX-Injected:%20yes", "/kk/%0aX-Injected:%20yes",
                       "/ru/%00x", "/x%0d%0aX-Injected:%20yes/"):
            status, headers, head = _raw(base, target)
            assert status in (400, 404), (target, head)
            assert "set-cookie" not in headers and "x-injected" not in headers and b"pwn" not in head, head

        # a client that connects and sends nothing is dropped by the server (CLIENT_TIMEOUT), not kept forever
        from biliktilik.build.serve import CLIENT_TIMEOUT

        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as idle:
            idle.settimeout(CLIENT_TIMEOUT + 60)  # a generous bound: without the server's timeout, recv raises
            try:
                got = idle.recv(1024)
            except ConnectionResetError:
                got = b""
            assert got == b""  # the server closed it

        # a path the file system cannot look up: a 404 page, no traceback
        _wait("the first good build", lambda: _state(base, "ok"), server=proc)
        for target in ("/" + "a" * 300 + "/", "/" + "/".join(["b" * 250] * 200), "/ru/" + "c" * 60000):
            status, headers, head = _raw(base, target)
            assert status == 404, (target[:40], head)
        status, html = _get(base + "/" + "d" * 300)
        assert status == 404 and "<html" in html.lower()  # the site's own 404 page
        status, headers, head = _raw(base, "/programmes")
        assert status == 302 and headers["location"] == "/programmes/"
        assert _get(base + "/")[0] == 200
        assert proc.poll() is None
    err = stderr.read_text()
    assert "Traceback" not in err and "File name too long" not in err, err[-3000:]
