"""The Starlette application of `pantau web` and `serve()` (uvicorn).

Routes (Indonesian paths): `/masuk` (ask for a link), `/masuk/tautan/<token>` (the page with one
button), `/keluar`, `/` (overview), `/siklus/<code>`, `/unit/<kode>`, `/dokumen/<id>`, `/capaian`,
`/register/<keluar|masuk>` (+ `.xlsx`), `/operator`, `/api/status`, `/api/siklus/<code>`,
`/verifikasi/<code>` (public), `/static/*` (public, no office data).

Endpoints are plain functions (Starlette runs them in its thread pool); each thread has its own
Store connection, so a page never waits behind another one's query, and a write that waits for
the daemon's write lock holds up only its own request.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from daemon.config import Config
from daemon.core import formatting as fmt
from daemon.core.model import Period
from daemon.core.sop import load_sop
from daemon.core.verification import normalise_code
from daemon.core.worktime import WorkCalendar, load_extra_days
from daemon.mail.compose import CONTENT_TYPES
from daemon.operator import views
from daemon.operator.report_text import PURPOSE_ID, STATUS_ID, ago
from daemon.shell.clock import Clock
from daemon.store import Store
from daemon.web import pages, signin
from daemon.web.chart import bars
from daemon.web.people import Person, directory
from daemon.web.settings import WebSettings, web_settings

log = logging.getLogger("pantau.web")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
HERE = Path(__file__).parent
DOC_KIND_ID = {
    "form": "formulir kosong",
    "form_received": "formulir diterima",
    "draft_report": "konsep laporan",
    "final_report": "laporan akhir (DOCX)",
    "final_report_pdf": "laporan akhir (PDF)",
    "invitation": "undangan rapat",
    "invitation_ics": "undangan (kalender)",
    "cover_letter": "surat pengantar",
    "emonev_export": "data e-Monev (XLSX)",
    "emonev_export_csv": "data e-Monev (CSV)",
    "nota_dinas": "nota dinas",
    "request_letter": "surat permintaan data",
    "timeliness_summary": "ringkasan ketepatan waktu",
    "signed_pdf": "PDF bertanda tangan",
}
OUTBOX_ID = {
    "antri": "menunggu",
    "mengirim": "sedang dikirim",
    "terkirim": "terkirim",
    "gagal": "gagal",
    "batal": "dibatalkan",
}
ERROR_ID = {
    400: "Permintaan tidak sah.",
    405: "Alamat ini tidak menerima cara permintaan itu (mis. POST).",
    413: "Permintaan terlalu besar.",
    429: "Terlalu banyak permintaan. Tunggu sebentar, lalu coba lagi.",
}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class Office:
    """What every request needs: the configuration, SOP, working calendar, clock and who may sign
    in; a Store per thread."""

    def __init__(self, cfg: Config, settings: WebSettings | None = None):
        self.cfg = cfg
        self.settings = settings or web_settings(cfg)
        self.sop = load_sop(cfg.sop_file)
        off, on = (load_extra_days(cfg.libur_tambahan)
                   if cfg.libur_tambahan and cfg.libur_tambahan.exists() else (set(), set()))
        self.cal = WorkCalendar(
            cfg.kantor.zona_waktu, hours=cfg.jam_kerja, extra_off=off, extra_on=on
        )
        self.people = directory(cfg)
        self.unit_names = {u.kode: u.nama for u in cfg.units}
        self._local = threading.local()
        self.clock = Clock.from_env(cfg.kantor.zona_waktu, self._remember)
        self.tz = self.clock.tz
        self.cache = pages.PageCache()
        self.now = signin.utcnow  # real time for links and sessions (tests replace it)

    def _remember(self, key: str, value: str) -> str:
        s = self.store
        with s.transaction():
            return s.meta_once(key, value)

    @property
    def store(self) -> Store:
        s = getattr(self._local, "store", None)
        if s is None:
            s = self._local.store = Store(self.cfg.db_path)
        return s

    def status(self, mark: tuple | None = None) -> dict:
        s = self.store
        return self.cache.get(
            "status",
            mark or s.change_mark(),
            lambda: views.status(s, self.sop, self.cal, self.clock.now(), self.cfg),
        )


# ============================================================================ templates


def _dt(value: Any, tz) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(tz)
    return pages.when(value, tz)


def _finalize(v: Any) -> Any:
    """Every text a template prints is cleaned of tokens and Message-IDs (markup we drew is not)."""
    if isinstance(v, str) and not isinstance(v, Markup):
        return pages.clean(v)
    return v


def make_env(office: Office) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.ChainableUndefined,
                             finalize=_finalize)
    tz = office.tz

    def saat(v):
        d = _dt(v, tz)
        return f"{fmt.tanggal(d)} {fmt.waktu(d)}" if d else "-"

    def saat_pendek(v):
        d = _dt(v, tz)
        return f"{d.day} {fmt.bulan(d.month)[:3]} {fmt.jam(d)}" if d else "-"

    env.filters.update({
        "saat": saat, "saat_pendek": saat_pendek,
        "tanggal": lambda v: fmt.tanggal(d) if (d := _dt(v, tz)) else "-",
        "angka": lambda v, n=None: fmt.angka(v, n) if v is not None else "-",
        "persen": lambda v: f"{fmt.persen(v)} %" if v is not None else "-",
        "durasi": fmt.format_duration, "status_id": lambda s: STATUS_ID.get(s, s or "-"),
        "jenis_dokumen": lambda k: DOC_KIND_ID.get(k, (k or "").replace("_", " ")),
        "tujuan_id": lambda p: PURPOSE_ID.get(p, p or "-"), "lalu": ago,
        "kirim_id": lambda s: OUTBOX_ID.get(s, s or "-"),
        "peristiwa": lambda e: (e or "").replace("_", " "),
    })
    env.globals.update({"kantor": office.cfg.kantor, "unit_names": office.unit_names})
    return env


# ============================================================================ the application


def create_app(cfg: Config, settings: WebSettings | None = None,
               listen: tuple[str, int] | None = None) -> Starlette:
    """The dashboard. `listen` is where the server actually listens (`pantau web --host/--port`):
    without `[web] url`, sign-in links point there."""
    office = Office(cfg, settings)
    env = make_env(office)
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

    # -------------------------------------------------------------- sign-in

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
        allowed = await _run(signin.allow_request, office.store, email, client, office.now())
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
            link = await _run(
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
        email = await _run(signin.use_link, office.store, str(form.get("tautan", ""))[:100], now)
        person = office.people.get(email) if email else None
        if person is None:
            return render(request, "pesan.html", 410, judul="Tautan tidak berlaku",
                          pesan="Tautan masuk ini sudah dipakai atau sudah lewat 15 menit. "
                                "Minta tautan baru di halaman Masuk.", tautan_masuk=True)
        sid, _ = await _run(signin.start_session, office.store, email, now,
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
        p = await _run(who, request)
        if isinstance(p, Response):
            return p
        form = await request.form()
        if not origin_ok(request) or not signin.same(form.get("csrf"), request.state.csrf):
            return render(request, "pesan.html", 403, judul="Permintaan ditolak",
                          pesan="Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.")
        await _run(
            signin.end_session,
            office.store,
            request.cookies.get(signin.SESSION_COOKIE, ""),
            office.now(),
        )
        log.info("keluar dari dasbor: %s", p.email, extra={"event": "web_keluar", "who": p.email})
        resp = RedirectResponse("/masuk", status_code=303)
        resp.delete_cookie(signin.SESSION_COOKIE, path="/")
        return resp

    # -------------------------------------------------------------- pages

    def overview(request: Request) -> Response:
        p = who(request)
        if isinstance(p, Response):
            return p
        mark = office.store.change_mark()

        def isi() -> Markup:
            st = status_for(p, mark)
            cycles = pages.overview_cycles(st, p)
            closed = [c for c in office.store.cycles() if c["status"] != "running"]
            t = env.get_template("ringkasan.html")
            ctx = {
                "status": st,
                "cycles": cycles,
                "closed": closed[::-1],
                "sekarang": office.clock.now(),
                "person": p,
                "path": "/",
            }
            return Markup("".join(t.blocks["isi"](t.new_context(ctx))))

        # Everyone who sees the same thing shares one rendering (a unit's includes its held count).
        key = ("ringkasan", p.sees_all, p.unit, None if p.sees_all else p.email)
        return render(request, "ringkasan.html", isi_html=office.cache.get(key, mark, isi))

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

    def siklus(request: Request) -> Response:
        p = who(request)
        if isinstance(p, Response):
            return p
        code = request.path_params["code"]
        data = cycle_data(code, p)
        if data is None:
            return not_found(request, f"Siklus {code} tidak ada.")
        try:
            label = Period.parse(data["period"]).label
        except ValueError:
            label = data["period"]
        return render(request, "siklus.html", c=data, label=label)

    def unit_page(request: Request) -> Response:
        p = who(request)
        if isinstance(p, Response):
            return p
        kode = request.path_params["kode"]
        if kode not in office.unit_names or not (p.sees_all or p.unit == kode):
            return not_found(request)
        as_unit = Person(p.email, p.name, "unit", kode)
        cycles = []
        for r in office.store.cycles()[::-1]:
            st = office.store.load_cycle(r["code"])
            u = st.units.get(kode) if st else None
            if u:
                cycles.append(
                    {
                        "code": r["code"],
                        "period": r["period"],
                        "status": r["status"],
                        "unit_status": u.status,
                        "version": u.version,
                        "received": u.received,
                        "rejected": u.rejected,
                    }
                )
        docs = pages.clean(office.store.unit_documents(kode))
        year = _year(request, office.store.kinerja_years())
        ach = pages.achievement(office.store.kinerja_year(year), as_unit) if year else None
        chart = None
        if ach and ach["rows"]:
            last = ach["periods"][-1]["code"]
            chart = Markup(
                bars(
                    [
                        (f"{r['no']}. {r['indikator']}", r["periods"].get(last, {}).get("capaian"))
                        for r in ach["rows"]
                    ],
                    label_width=260,
                    title=f"Capaian {office.unit_names[kode]}",
                )
            )
        return render(
            request,
            "unit.html",
            kode=kode,
            nama=office.unit_names[kode],
            cycles=cycles,
            docs=docs,
            ach=ach,
            tahun=year,
            chart=chart,
        )

    def dokumen(request: Request) -> Response:
        p = who(request)
        if isinstance(p, Response):
            return p
        row = office.store.document_by_id(request.path_params["id"])
        if not pages.may_open(row, p):
            return not_found(request, "Dokumen tidak ditemukan.")
        path = Path(row["path"]).resolve()
        root = office.cfg.arsip_dir.resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return not_found(request, "Berkas dokumen ini tidak ada lagi di arsip.")
        ctype = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        inline = path.suffix.lower() == ".pdf" and not request.query_params.get("unduh")
        return FileResponse(path, media_type=ctype, filename=path.name,
                            content_disposition_type="inline" if inline else "attachment")

    def capaian(request: Request) -> Response:
        p = who(request)
        if isinstance(p, Response):
            return p
        years = office.store.kinerja_years()
        year = _year(request, years)
        ach = pages.achievement(office.store.kinerja_year(year), p) if year else None
        chart = None
        if ach and ach["rows"]:
            last = ach["periods"][-1]
            if p.sees_all:
                items = [
                    (office.unit_names.get(u, u), v.get(last["code"]))
                    for u, v in ach["averages"].items()
                ]
                title = f"Rata-rata capaian per unit, {last['label']}"
            else:
                items = [
                    (
                        f"{r['no']}. {r['indikator']}",
                        r["periods"].get(last["code"], {}).get("capaian"),
                    )
                    for r in ach["rows"]
                ]
                title = f"Capaian per indikator, {last['label']}"
            chart = Markup(bars(items, label_width=260, title=title))
        return render(request, "capaian.html", ach=ach, years=years, tahun=year, chart=chart)

    def register(request: Request) -> Response:
        p = who(request)
        if isinstance(p, Response):
            return p
        which = request.path_params["which"]
        if not p.sees_all or which not in ("keluar", "masuk"):
            return not_found(request)
        years = office.store.register_years()
        year = _year(request, years, allow_all=True)
        cari = request.query_params.get("cari", "")[:100]
        rows = pages.registers(views.register_rows(office.store, which, year), cari)
        return render(
            request, "register.html", which=which, rows=rows, years=years, tahun=year, cari=cari
        )

    def register_xlsx(request: Request) -> Response:
        p = who(request)
        if isinstance(p, Response):
            return p
        which = request.path_params["which"]
        if not p.sees_all or which not in ("keluar", "masuk"):
            return not_found(request)
        year = _year(request, office.store.register_years(), allow_all=True)
        rows = pages.register_download_rows(views.register_rows(office.store, which, year),
                                            office.store.open_task_message_ids())
        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
            tmp = Path(f.name)
        views.register_xlsx(rows, which, str(tmp))
        data = tmp.read_bytes()
        tmp.unlink()
        name = f"Register-{'Keluar' if which == 'keluar' else 'Masuk'}{'-' + str(year) if year else ''}.xlsx"
        return Response(data, media_type=CONTENT_TYPES[".xlsx"],
                        headers={"Content-Disposition": f"attachment; filename=\"{name}\""})

    def operator(request: Request) -> Response:
        p = who(request)
        if isinstance(p, Response):
            return p
        if not p.is_operator:
            return not_found(request)
        st = office.status()
        held = pages.clean(views.triage(office.store, office.cfg))
        outbox = [r for r in office.store.outbox() if r["status"] != "terkirim"]
        recent = [r for r in office.store.outbox() if r["status"] == "terkirim"][-20:][::-1]
        for rows in (outbox, recent):
            for r in rows:
                r.pop("message_id", None)
                r.pop("path", None)
                r["recipients"] = ", ".join(_json_list(r["recipients"]))
        return render(
            request,
            "operator.html",
            status=pages.clean(st),
            held=held,
            outbox=pages.clean(outbox),
            recent=pages.clean(recent),
        )

    # -------------------------------------------------------------- JSON

    def api_status(request: Request) -> Response:
        p = who(request, json=True)
        if isinstance(p, Response):
            return p
        return JSONResponse(status_for(p))

    def api_siklus(request: Request) -> Response:
        p = who(request, json=True)
        if isinstance(p, Response):
            return p
        data = cycle_data(request.path_params["code"], p)
        if data is None:
            return JSONResponse({"error": "siklus tidak ditemukan"}, status_code=404)
        for d in data["documents"]:
            d["url"] = f"/dokumen/{d['id']}"
        return JSONResponse(data)

    # -------------------------------------------------------------- public

    def verifikasi(request: Request) -> Response:
        typed = request.path_params.get("code") or request.query_params.get("kode", "")
        code = normalise_code(typed[:40]) if typed else None
        row = office.store.verification(code) if code else None
        if row is None:
            return render(
                request, "verifikasi.html", 404 if typed else 200, row=None, kode=typed[:40]
            )
        return render(request, "verifikasi.html", row=row, kode=code)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        # No route, wrong method or a trailing slash: without a session, every path but the public
        # ones answers as a page that needs one does (303 to /masuk, 401 for /api/), so nothing
        # tells which paths exist.
        path = request.url.path
        if not public(path):
            p = await _run(who, request, path.startswith("/api/") or path == "/api")
            if isinstance(p, Response):
                return p
        if exc.status_code == 404 and len(path) > 1 and path.endswith("/"):
            # Relative, never from the Host, and one leading slash ("//site" would leave the office).
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
        text = "Terjadi kesalahan di server dasbor. Coba lagi sebentar lagi; jika berulang, beri tahu operator."
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": text}, status_code=500)
        return HTMLResponse(
            f'<!doctype html><html lang="id"><meta charset="utf-8"><title>Kesalahan</title>'
            f"<p>{text}</p></html>",
            status_code=500,
        )

    routes = [
        Route("/masuk", masuk, methods=["GET"]),
        Route("/masuk", masuk_post, methods=["POST"]),
        Route("/masuk/tautan/{token}", tautan, methods=["GET"]),
        Route("/masuk/tautan", tautan_post, methods=["POST"]),
        Route("/keluar", keluar, methods=["POST"]),
        Route("/", overview),
        Route("/siklus/{code}", siklus),
        Route("/unit/{kode}", unit_page),
        Route("/dokumen/{id:int}", dokumen),
        Route("/capaian", capaian),
        Route("/register/{which}.xlsx", register_xlsx),
        Route("/register/{which}", register),
        Route("/operator", operator),
        Route("/api/status", api_status),
        Route("/api/siklus/{code}", api_siklus),
        Route("/verifikasi", verifikasi),
        Route("/verifikasi/{code}", verifikasi),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(
        routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error}
    )
    app.router.redirect_slashes = False  # http_error redirects, after the session check
    app.state.office = office
    return Guard(app)


def public(path: str) -> bool:
    """The paths SPEC §8 leaves open without a session."""
    return any(path == p or path.startswith(p + "/") for p in ("/masuk", "/verifikasi", "/static"))


def _json_list(text: str | None) -> list[str]:
    import json

    try:
        v = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(x) for x in v] if isinstance(v, list) else []


def _year(request: Request, years: list[int], allow_all: bool = False) -> int | None:
    raw = request.query_params.get("tahun", "")
    if raw.isdigit() and len(raw) == 4:
        return int(raw)
    if allow_all and raw == "semua":
        return None
    return years[0] if years else None


async def _run(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


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
