"""The sign-in routes of the dashboard: asking for a link, the link's page, signing out.

`/masuk` (GET: the form; POST: send a link, answering the same for known and unknown addresses),
`/masuk/tautan/<token>` (a page with one button, so a mail scanner opening the link does not use
it), `/masuk/tautan` (POST: the session starts) and `/keluar`. Every POST is checked for its
Origin and its form token; the sign-in logic itself (links, sessions, rate limits) is signin.py.
"""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from daemon.web import signin
from daemon.web.site import Site, off_loop

log = logging.getLogger("pantau.web")


def signin_routes(site: Site) -> list[Route]:
    """The sign-in routes, in the order the application lists them."""
    office, render, who, secure = site.office, site.render, site.who, site.secure
    form_cookie, form_token = site.form_cookie, site.form_token
    origin_ok, base_url = site.origin_ok, site.base_url

    def masuk(request: Request) -> Response:
        token = form_token(request)
        return form_cookie(request, render(request, "masuk.html", form=token, email=""), token)

    async def masuk_post(request: Request) -> Response:
        form = await request.form()
        token = form_token(request)
        if not origin_ok(request) or not signin.same(
            form.get("form"), request.cookies.get(signin.FORM_COOKIE)
        ):
            return form_cookie(
                request,
                render(
                    request,
                    "masuk.html",
                    403,
                    form=token,
                    email="",
                    salah="Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
                ),
                token,
            )
        email = str(form.get("email", "")).strip().lower()[:254]
        if "@" not in email:
            return form_cookie(
                request,
                render(
                    request,
                    "masuk.html",
                    400,
                    form=token,
                    email=email,
                    salah="Tuliskan alamat e-mail Anda, mis. camat@kecamatan.go.id.",
                ),
                token,
            )
        client = request.client.host if request.client else "?"
        allowed = await off_loop(signin.allow_request, office.store, email, client, office.now())
        if not allowed:
            return form_cookie(
                request,
                render(
                    request,
                    "masuk.html",
                    429,
                    form=token,
                    email="",
                    salah="Terlalu banyak permintaan tautan. Tunggu 15 menit, lalu coba lagi.",
                ),
                token,
            )
        task = None
        person = office.people.get(email)
        if person is not None:
            link = await off_loop(
                signin.create_link, office.store, email, base_url(request), office.now()
            )
            task = BackgroundTask(signin.send_link, office.cfg, person, link, office.clock.now())
        else:
            log.info("permintaan tautan dasbor untuk alamat yang tidak dikenal",
                     extra={"event": "web_tautan_tidak_dikenal"})
        resp = render(request, "masuk.html", form=token, email="", terkirim=True)
        resp.background = task  # sent after the answer: known and unknown addresses look alike
        return form_cookie(request, resp, token)

    def tautan(request: Request) -> Response:
        link_token = request.path_params["token"]
        token = form_token(request)
        if not signin.link_usable(office.store, link_token, office.now()):
            return render(request, "pesan.html", 410, judul="Tautan tidak berlaku",
                          pesan="Tautan masuk ini sudah dipakai atau sudah lewat 15 menit. "
                                "Minta tautan baru di halaman Masuk.", tautan_masuk=True)
        resp = render(request, "tautan.html", form=token, tautan=link_token)
        return form_cookie(request, resp, token)

    async def tautan_post(request: Request) -> Response:
        form = await request.form()
        if not origin_ok(request) or not signin.same(
            form.get("form"), request.cookies.get(signin.FORM_COOKIE)
        ):
            return render(
                request,
                "pesan.html",
                403,
                judul="Permintaan ditolak",
                pesan="Formulir kedaluwarsa atau tidak berasal dari halaman ini. Buka lagi tautan "
                "dari e-mail Anda.",
            )
        now = office.now()
        email = await off_loop(
            signin.use_link, office.store, str(form.get("tautan", ""))[:100], now
        )
        person = office.people.get(email) if email else None
        if person is None:
            return render(request, "pesan.html", 410, judul="Tautan tidak berlaku",
                          pesan="Tautan masuk ini sudah dipakai atau sudah lewat 15 menit. "
                                "Minta tautan baru di halaman Masuk.", tautan_masuk=True)
        sid, _ = await off_loop(signin.start_session, office.store, email, now,
                            request.cookies.get(signin.SESSION_COOKIE))
        log.info("masuk ke dasbor: %s", email, extra={"event": "web_masuk", "who": email})
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(
            signin.SESSION_COOKIE,
            sid,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
            max_age=int(signin.ABSOLUTE.total_seconds()),
        )
        resp.delete_cookie(signin.FORM_COOKIE, path="/masuk")
        return resp

    async def keluar(request: Request) -> Response:
        p = await off_loop(who, request)
        if isinstance(p, Response):
            return p
        form = await request.form()
        if not origin_ok(request) or not signin.same(form.get("csrf"), request.state.csrf):
            return render(request, "pesan.html", 403, judul="Permintaan ditolak",
                          pesan="Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.")
        await off_loop(
            signin.end_session,
            office.store,
            request.cookies.get(signin.SESSION_COOKIE, ""),
            office.now(),
        )
        log.info("keluar dari dasbor: %s", p.email, extra={"event": "web_keluar", "who": p.email})
        resp = RedirectResponse("/masuk", status_code=303)
        resp.delete_cookie(signin.SESSION_COOKIE, path="/")
        return resp

    return [
        Route("/masuk", masuk, methods=["GET"]),
        Route("/masuk", masuk_post, methods=["POST"]),
        Route("/masuk/tautan/{token}", tautan, methods=["GET"]),
        Route("/masuk/tautan", tautan_post, methods=["POST"]),
        Route("/keluar", keluar, methods=["POST"]),
    ]
