"""The Starlette application of `pantau web` and `serve()` (uvicorn).

Routes (Indonesian paths): `/masuk` (ask for a link), `/masuk/tautan/<token>` (the page with one
button), `/keluar`, `/` (overview), `/siklus/<code>`, `/unit/<kode>`, `/dokumen/<id>`, `/capaian`,
`/register/<keluar|masuk>` (+ `.xlsx`), `/operator`, `/api/status`, `/api/siklus/<code>`,
`/verifikasi/<code>` (public), `/static/*` (public, no office data).

The application is assembled here from its parts: context.py (the `Office` every request
needs), templating.py (the Jinja environment), site.py (the helpers the routes share),
routes_signin.py and routes_pages.py (the routes), guard.py (security headers, request log,
error handlers).

Endpoints are plain functions (Starlette runs them in its thread pool); each thread has its own
Store connection, so a page never waits behind another one's query, and a write that waits for
the daemon's write lock holds up only its own request.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from daemon.config import Config
from daemon.web.context import Office
from daemon.web.guard import Guard, error_handlers
from daemon.web.routes_pages import page_routes
from daemon.web.routes_signin import signin_routes
from daemon.web.settings import WebSettings, web_settings
from daemon.web.site import make_site
from daemon.web.templating import make_env

log = logging.getLogger("pantau.web")
HERE = Path(__file__).parent


def create_app(cfg: Config, settings: WebSettings | None = None,
               listen: tuple[str, int] | None = None) -> Starlette:
    """The dashboard. `listen` is where the server actually listens (`pantau web --host/--port`):
    without `[web] url`, sign-in links point there."""
    office = Office(cfg, settings)
    env = make_env(office)
    site = make_site(office, env, listen)
    routes = [
        *signin_routes(site),
        *page_routes(site),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers=error_handlers(site))
    app.router.redirect_slashes = False  # http_error redirects, after the session check
    app.state.office = office
    return Guard(app)


def server_config(app, host: str, port: int):
    """uvicorn's settings for the dashboard (used by `serve`, the tests and the bench)."""
    import uvicorn

    # uvicorn's own access log would print a sign-in link's token: Guard logs requests instead.
    # Disabled, not only left without handlers: a handler added later (pytest's, an operator's
    # logging set-up) must not bring it back.
    logging.getLogger("uvicorn.access").disabled = True
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        server_header=False,
        lifespan="off",
    )


def serve(cfg: Config, host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    settings = web_settings(cfg)
    host = host or settings.host
    port = port or settings.port
    app = create_app(cfg, settings, listen=(host, port))
    log.info("dasbor Pantau di http://%s:%s (alamat publik: %s)", host, port, settings.url or "-",
             extra={"event": "web_mulai"})
    uvicorn.Server(server_config(app, host, port)).run()
    return 0
