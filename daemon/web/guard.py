"""The dashboard's guard: security headers, a request log without tokens, errors that tell nothing.

`Guard` wraps the application (pure ASGI): it adds the security headers (CSP, nosniff, DENY,
no-store) to every answer and logs each request with a sign-in link's token cut out. The error
handlers answer an unknown path, a wrong method or a trailing slash as a page that needs a
session does (SPEC §8: nothing tells which paths exist), and a server error without details.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from daemon.web.site import Site, off_loop

log = logging.getLogger("pantau.web")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ERROR_ID = {
    400: "Permintaan tidak sah.",
    405: "Alamat ini tidak menerima cara permintaan itu (mis. POST).",
    413: "Permintaan terlalu besar.",
    429: "Terlalu banyak permintaan. Tunggu sebentar, lalu coba lagi.",
}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def error_handlers(site: Site) -> dict:
    """Starlette's exception handlers for the dashboard: HTTP errors, then anything else."""
    render, not_found, who = site.render, site.not_found, site.who

    async def http_error(request: Request, exc: HTTPException) -> Response:
        # No route, wrong method or a trailing slash: without a session, every path but the public
        # ones answers as a page that needs one does (303 to /masuk, 401 for /api/), so nothing
        # tells which paths exist.
        path = request.url.path
        if not public(path):
            p = await off_loop(who, request, path.startswith("/api/") or path == "/api")
            if isinstance(p, Response):
                return p
        if exc.status_code == 404 and len(path) > 1 and path.endswith("/"):
            # Relative, never from the Host, one leading slash ("//site" would leave the office).
            return RedirectResponse("/" + path.strip("/"), status_code=307)
        if path.startswith("/api/") and exc.status_code == 404:
            return JSONResponse({"error": "tidak ditemukan"}, status_code=404)
        if exc.status_code == 404:
            return not_found(request)
        what = ERROR_ID.get(
            exc.status_code, f"Permintaan ini tidak dapat dilayani (kode {exc.status_code})."
        )
        if path.startswith("/api/"):
            return JSONResponse({"error": what}, status_code=exc.status_code, headers=exc.headers)
        return render(
            request,
            "pesan.html",
            exc.status_code,
            judul="Permintaan tidak dapat dilayani",
            pesan=what,
        )

    def server_error(request: Request, exc: Exception) -> Response:
        log.error(
            "kesalahan dasbor pada %s: %s",
            _CONTROL.sub("?", request.url.path)[:200],
            type(exc).__name__,
            extra={"event": "web_kesalahan"},
        )
        text = (
            "Terjadi kesalahan di server dasbor. Coba lagi sebentar lagi; jika berulang, beri tahu "
            "operator."
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": text}, status_code=500)
        return HTMLResponse(
            f'<!doctype html><html lang="id"><meta charset="utf-8"><title>Kesalahan</title>'
            f"<p>{text}</p></html>",
            status_code=500,
        )

    return {HTTPException: http_error, Exception: server_error}


def public(path: str) -> bool:
    """The paths SPEC §8 leaves open without a session."""
    return any(path == p or path.startswith(p + "/") for p in ("/masuk", "/verifikasi", "/static"))


class Guard:
    """Pure ASGI middleware: security headers on every answer, and one log line per request in
    which a sign-in link's token never appears (the path is cut after `/masuk/tautan/`)."""

    def __init__(self, app: Starlette):
        self.app = app
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 0}
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", CSP.encode()),
                ]
                if not static:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = headers + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if not static:
                path = scope["path"]
                if path.startswith("/masuk/tautan/"):
                    path = "/masuk/tautan/…"
                client = (scope.get("client") or ("?",))[0]
                log.info(
                    "%s %s %s %.0f ms (%s)",
                    scope["method"],
                    _CONTROL.sub("?", path)[:200],
                    status["code"],
                    (time.perf_counter() - started) * 1000,
                    client,
                    extra={"event": "web_permintaan"},
                )
