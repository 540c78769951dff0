"""The dashboard's pages, their JSON and the public verification page.

`/` (overview), `/siklus/<code>`, `/unit/<kode>`, `/dokumen/<id>`, `/capaian`,
`/register/<keluar|masuk>` (+ `.xlsx`), `/operator`, `/api/status`, `/api/siklus/<code>` and
`/verifikasi[/<code>]` (public). Each page asks `who` first and shows only what that person may
see (pages.py decides what; the data comes from the store and daemon/operator/views.py).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from daemon.core.model import Period
from daemon.core.verification import normalise_code
from daemon.mail.compose import CONTENT_TYPES
from daemon.operator import views
from daemon.web import pages
from daemon.web.chart import bars
from daemon.web.people import Person
from daemon.web.site import Site


def page_routes(site: Site) -> list[Route]:
    """The pages' routes, in the order the application lists them."""
    office, env, render, not_found, who = (
        site.office, site.env, site.render, site.not_found, site.who
    )
    status_for, cycle_data = site.status_for, site.cycle_data

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
        name = (
            f"Register-{'Keluar' if which == 'keluar' else 'Masuk'}"
            f"{'-' + str(year) if year else ''}.xlsx"
        )
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

    return [
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
    ]


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
