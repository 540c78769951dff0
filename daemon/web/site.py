"""The request helpers every route group of the dashboard shares, made once per application.

Rendering a page (or only its "isi" block, for the page's own refresh), the 404 page, who is
asking (the session cookie; a redirect to /masuk or a 401 otherwise), the sign-in form's cookie
and token, the Origin check of every POST, the base of sign-in links (never the request's Host),
and the status and cycle data a person may see. `make_site` builds them as closures over the
`Office` and the Jinja environment; the route modules (routes_signin.py, routes_pages.py) and the
error handlers (guard.py) take them from the `Site` it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from daemon.operator import views
from daemon.web import pages, signin
from daemon.web.context import Office
from daemon.web.people import Person


@dataclass(frozen=True)
class Site:
    """The shared helpers of one dashboard application (see the module docstring)."""

    office: Office
    env: jinja2.Environment
    secure: bool
    render: Callable[..., HTMLResponse]
    not_found: Callable[..., HTMLResponse]
    who: Callable[..., Person | Response]
    form_cookie: Callable[[Request, Response, str], Response]
    form_token: Callable[[Request], str]
    origin_ok: Callable[[Request], bool]
    base_url: Callable[[Request], str]
    status_for: Callable[..., dict]
    cycle_data: Callable[[str, Person], dict | None]


def make_site(
    office: Office, env: jinja2.Environment, listen: tuple[str, int] | None = None
) -> Site:
    """The helpers over `office` and `env`; `listen` is where the server listens (the base of
    sign-in links when the office has no `[web] url`)."""
    secure = office.settings.secure

    def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        t = env.get_template(name)
        ctx.setdefault("person", getattr(request.state, "person", None))
        ctx.setdefault("csrf", getattr(request.state, "csrf", ""))
        ctx["path"] = request.url.path
        if request.headers.get("x-pantau-bagian") == "isi" and "isi" in t.blocks:
            html = "".join(t.blocks["isi"](t.new_context(ctx)))
        else:
            html = t.render(ctx)
        return HTMLResponse(html, status_code=status_code)

    def not_found(request: Request, what: str = "Halaman tidak ditemukan.") -> HTMLResponse:
        return render(request, "pesan.html", 404, judul="Tidak ditemukan", pesan=what)

    # -------------------------------------------------------------- who is asking

    def who(request: Request, json: bool = False) -> Person | Response:
        row = signin.session(office.store, request.cookies.get(signin.SESSION_COOKIE), office.now())
        person = office.people.get(row["email"]) if row else None
        if person is None:
            wants_json = json or request.headers.get("x-pantau-bagian")
            if wants_json:
                return JSONResponse({"error": "perlu masuk", "masuk": "/masuk"}, status_code=401)
            return RedirectResponse("/masuk", status_code=303)
        request.state.person = person
        request.state.csrf = row["csrf"]
        return person

    def form_cookie(request: Request, response: Response, token: str) -> Response:
        if request.cookies.get(signin.FORM_COOKIE) != token:
            response.set_cookie(
                signin.FORM_COOKIE,
                token,
                httponly=True,
                samesite="strict",
                secure=secure,
                path="/masuk",
            )
        return response

    def form_token(request: Request) -> str:
        t = request.cookies.get(signin.FORM_COOKIE, "")
        return t if 20 <= len(t) <= 100 else signin.new_secret()

    def origin_ok(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            return origin is None
        allowed = {f"{request.url.scheme}://{request.url.netloc}"}
        if office.settings.url:
            u = office.settings.url.rstrip("/")
            allowed.add("/".join(u.split("/")[:3]))
        return origin in allowed

    # Never from the request's Host header: a forged Host would put another site's address in
    # the e-mail and hand the link's token to it.
    link_base = office.settings.url.rstrip("/") if office.settings.url else (
        f"http://{listen[0]}:{listen[1]}" if listen else office.settings.base())

    def base_url(request: Request) -> str:
        return link_base

    def status_for(p: Person, mark: tuple | None = None) -> dict:
        data = office.status(mark)
        held = 0
        if not p.sees_all:
            held = sum(1 for r in office.store.held() if (r["sender"] or "").lower() == p.email)
        return pages.status_for(data, p, held)

    def cycle_data(code: str, p: Person) -> dict | None:
        st = office.store.load_cycle(code)
        if st is None:
            return None
        data = views.cycle_show(office.store, st, office.sop, office.cal, now=office.clock.now(),
                                unit_names=office.unit_names)
        return pages.cycle_for(data, office.store.cycle_documents(code), p)

    return Site(
        office=office,
        env=env,
        secure=secure,
        render=render,
        not_found=not_found,
        who=who,
        form_cookie=form_cookie,
        form_token=form_token,
        origin_ok=origin_ok,
        base_url=base_url,
        status_for=status_for,
        cycle_data=cycle_data,
    )


async def off_loop(fn, *args):
    """Run a blocking `fn` (a Store call) in the thread pool, from an async endpoint."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)
