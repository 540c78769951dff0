"""The **must** rules of SPEC §8, checked the way an outside tester would: over HTTP against the
real server (uvicorn on a free port) with a plain HTTP client, on a demo office whose TW4 cycle is
open past S1 (the Camat approved, the units' form letters are out: open tasks with tokens and
letters with Message-IDs), every route with every method, every document id of the archive, and
every page, JSON answer, XLSX download and document for each role searched for secrets."""

from __future__ import annotations

import http.client
import io
import logging
import re
import subprocess
import zipfile
from email.message import EmailMessage
from email.utils import make_msgid

import httpx
import pytest

from daemon.config import load_config
from daemon.core.verification import signature_code
from daemon.shell.office import OfficeApp
from daemon.store import Store
from daemon.web import create_app, signin
from tests.webkit import LiveServer, demo_office, free_port

pytestmark = pytest.mark.slow  # a demo cycle for the module, a server process

UNITS = {
    "SEK": "sek@kecamatan.test",
    "PEM": "pem@kecamatan.test",
    "TRANTIB": "trantib@kecamatan.test",
    "PMD": "pmd@kecamatan.test",
    "KESOS": "kesos@kecamatan.test",
}
ROLES = ["camat@kecamatan.test", "kasubag@kecamatan.test", "pem@kecamatan.test"]
PAGES = [
    "/",
    "/siklus/PK-2025-TW3",
    "/siklus/PK-2025-TW4",
    "/capaian",
    "/capaian?tahun=2025",
    "/register/keluar",
    "/register/masuk",
    "/register/keluar?tahun=semua",
    "/register/masuk?tahun=semua",
    "/operator",
    "/unit/PEM",
    "/unit/SEK",
    "/api/status",
    "/api/siklus/PK-2025-TW3",
    "/api/siklus/PK-2025-TW4",
]
XLSX = ["/register/keluar.xlsx", "/register/masuk.xlsx", "/register/keluar.xlsx?tahun=semua",
        "/register/masuk.xlsx?tahun=semua"]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """webkit's demo office, then the Camat approves TW4's S1 so the units' S4 tasks are open."""
    o = demo_office(tmp_path_factory)
    cfg = o["cfg"]
    app = OfficeApp(cfg)
    try:
        (task,) = [t for t in app.store.open_tasks("PK-2025-TW4") if t["step"] == "S1"]
        sent = app.store._q1("SELECT message_id FROM outbox WHERE task=?", (task["key"],))
        msg = EmailMessage()
        msg["From"] = cfg.camat.email
        msg["To"] = cfg.mail.alamat
        msg["Subject"] = f"Re: [PK-2025-TW4] [#{task['token']}] Perintah pemantauan kinerja"
        msg["Message-ID"] = make_msgid(domain="kecamatan.test")
        msg["In-Reply-To"] = sent["message_id"]
        msg.set_content("SETUJU")
        app.ingest(bytes(msg))
        for _ in range(2):
            app.run_once()
            app.dispatch()
        open_tasks = app.store.open_tasks("PK-2025-TW4")
        assert {t["recipient"] for t in open_tasks} >= set(UNITS.values()), (
            "the units' tasks must be open"
        )
        o["open_tokens"] = [t["token"] for t in open_tasks]
        o["s11"] = [
            signature_code(app.secret, r["key"])
            for r in app.store._q("SELECT key FROM tasks WHERE step='S11'")
        ]
        o["open_mids"] = sorted(app.store.open_task_message_ids())
        o["docs"] = app.store._q("SELECT id, kind, unit, path FROM documents ORDER BY id")
        o["verif"] = app.store._q1("SELECT kode FROM verifikasi")["kode"]
    finally:
        app.close()
    assert o["open_mids"] and o["s11"] and o["docs"]
    return o


@pytest.fixture(scope="module")
def server(office):
    port = free_port()
    with LiveServer(create_app(office["cfg"], listen=("127.0.0.1", port)), port=port) as srv:
        yield srv


def leaks(text: str, office: dict) -> list[str]:
    """Open tasks' tokens (bracketed or bare, with or without the dash), S11 codes, Message-IDs of
    letters whose task is open (with or without the angle brackets)."""
    found = [t for t in office["open_tokens"] if t in text or t.replace("-", "") in text]
    found += [c for c in office["s11"] if re.search(rf"(?<!\d){c}(?!\d)", text)]
    found += [m for m in office["open_mids"] if m.strip("<>") in text]
    return found


def text_of(data: bytes) -> str:
    if data[:2] == b"PK":
        z = zipfile.ZipFile(io.BytesIO(data))
        return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if data[:4] == b"%PDF":
        return subprocess.run(
            ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
    return data.decode("utf-8", "replace")


def browser(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)


def make_link(office, email: str, base: str) -> str:
    s = Store(office["cfg"].db_path)
    try:
        return signin.create_link(s, email, base, signin.utcnow())
    finally:
        s.close()


def sign_in(server, office, email: str) -> httpx.Client:
    link = make_link(office, email, server.url)
    c = browser(server)
    page = c.get(link)
    assert page.status_code == 200
    form = re.search(r'name="form" value="([0-9a-f]{64})"', page.text).group(1)
    r = c.post("/masuk/tautan", data={"form": form, "tautan": link.rsplit("/", 1)[1]})
    assert r.status_code == 303 and r.headers["location"] == "/"
    return c


def csrf_of(c: httpx.Client) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', c.get("/").text).group(1)


# ============================================================================ no session


def test_every_route_and_method_without_a_session(server, office):
    c = browser(server)
    pages = [p.split("?")[0] for p in PAGES if not p.startswith("/api")] + [
        "/register/keluar.xlsx",
        "/siklus/TIDAK-ADA",
        "/unit/TIDAK",
        "/register/lain",
        "/dokumen/1",
        "/dokumen/999999",
        "/dokumen/abc",
        "/dokumen/..%2f..%2fvar%2fpantau.db",
        "/keluar",
        "/siklus",
        "/siklus/",
        "/siklus/PK-2025-TW3/",
        "/operator/",
        "/capaian/",
        "/tidak-ada",
        "/unit",
        "/dokumen",
    ]
    apis = [
        "/api/status",
        "/api/siklus/PK-2025-TW3",
        "/api/siklus/TIDAK-ADA",
        "/api/status/",
        "/api/tidak-ada",
        "/api/siklus/..%2f..%2fstatus",
    ]
    for method in ("GET", "HEAD", "POST"):
        for p in pages:
            r = c.request(method, p)
            assert (r.status_code, r.headers.get("location")) == (303, "/masuk"), (
                method,
                p,
                r.status_code,
            )
        for p in apis:
            r = c.request(method, p)
            assert r.status_code == 401, (method, p, r.status_code)
            if method != "HEAD":
                assert r.json()["masuk"] == "/masuk"
    # The public ones: the sign-in page, a link's page, verification, static assets (no office
    # data).
    assert c.get("/masuk").status_code == 200
    assert c.get("/masuk/tautan/" + "0" * 64).status_code == 410
    assert c.get("/verifikasi").status_code == 200
    assert c.get("/static/pantau.css").status_code == 200
    for p in ("/static/../var/pantau.db", "/static/%2e%2e/app.py", "/static/..%2fapp.py"):
        r = c.get(p)
        assert r.status_code in (303, 404) and "import" not in r.text, p


def test_a_signed_in_session_gets_trailing_slashes_and_unknown_json_right(server, office):
    c = sign_in(server, office, "camat@kecamatan.test")
    r = c.get("/siklus/PK-2025-TW3/")
    assert (r.status_code, r.headers["location"]) == (307, "/siklus/PK-2025-TW3")
    cookie = f"{signin.SESSION_COOKIE}={c.cookies.get(signin.SESSION_COOKIE)}"
    for path in ("//jahat.test/", "/\\jahat.test/", "///jahat.test//"):  # never an open redirect
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", path, headers={"Cookie": cookie})
        r = conn.getresponse()
        location = r.getheader("location") or "/"
        conn.close()
        assert r.status in (307, 404) and not location.startswith(("//", "/\\")), (
            path,
            r.status,
            location,
        )
    r = c.get("/api/tidak-ada")
    assert r.status_code == 404 and r.json()["error"]
    assert c.get("/api/siklus/TIDAK-ADA").status_code == 404
    assert c.get("/dokumen/999999").status_code == 404


# ============================================================================ the link


def test_a_get_or_head_of_the_link_signs_nobody_in_and_the_link_works_once(server, office):
    link = make_link(office, "sekretaris@kecamatan.test", server.url)
    scanner = browser(server)
    for _ in range(2):  # a mail scanner's HEAD, GET and prefetch
        assert scanner.head(link).status_code == 200
        r = scanner.get(link, headers={"Purpose": "prefetch", "Sec-Purpose": "prefetch"})
        assert r.status_code == 200 and signin.SESSION_COOKIE not in r.headers.get("set-cookie", "")
        assert scanner.get("/").status_code == 303
    person = browser(server)
    page = person.get(link)
    form = re.search(r'name="form" value="([0-9a-f]{64})"', page.text).group(1)
    token = link.rsplit("/", 1)[1]
    assert person.post("/masuk/tautan", data={"form": form, "tautan": token}).status_code == 303
    assert "Sekretaris" in person.get("/").text
    # Used: neither its page nor its button works again, in this browser or another.
    assert person.get(link).status_code == 410
    other = browser(server)
    page = other.get("/masuk")
    form = re.search(r'name="form" value="([0-9a-f]{64})"', page.text).group(1)
    r = other.post("/masuk/tautan", data={"form": form, "tautan": token})
    assert r.status_code == 410 and other.get("/").status_code == 303


def test_a_link_signs_in_only_the_person_it_was_made_for(server, office):
    unit = sign_in(server, office, "pem@kecamatan.test")
    home = unit.get("/").text
    assert "Seksi Pemerintahan" in home and "Camat (" not in home
    assert unit.get("/operator").status_code == 404 and unit.get("/unit/SEK").status_code == 404


# ============================================================================ session and CSRF


def test_keluar_needs_the_sessions_own_csrf_token_and_ends_the_session(server, office):
    a = sign_in(server, office, "camat@kecamatan.test")
    b = sign_in(server, office, "sekretaris@kecamatan.test")
    pre = browser(server)
    pre_token = re.search(r'name="form" value="([0-9a-f]{64})"', pre.get("/masuk").text).group(1)
    for bad in ({}, {"csrf": ""}, {"csrf": csrf_of(b)}, {"csrf": pre_token}, {"csrf": "0" * 64}):
        r = a.post("/keluar", data=bad)
        assert r.status_code == 403, bad
        assert a.get("/").status_code == 200, "a refused keluar must leave the session alive"
    # A foreign Origin with the right token is refused too.
    assert (
        a.post(
            "/keluar", data={"csrf": csrf_of(a)}, headers={"Origin": "https://jahat.test"}
        ).status_code
        == 403
    )
    old = a.cookies.get(signin.SESSION_COOKIE)
    r = a.post("/keluar", data={"csrf": csrf_of(a)})
    assert (r.status_code, r.headers["location"]) == (303, "/masuk")
    # The old cookie, sent again by hand, is refused server-side.
    c = browser(server)
    c.cookies.set(signin.SESSION_COOKIE, old)
    assert c.get("/").status_code == 303 and c.get("/api/status").status_code == 401
    assert b.get("/").status_code == 200


def test_the_session_cookie_is_new_at_sign_in_and_http_only_samesite(server, office):
    c = browser(server)
    c.cookies.set(signin.SESSION_COOKIE, "a" * 64)  # planted before sign-in
    link = make_link(office, "camat@kecamatan.test", server.url)
    page = c.get(link)
    form = re.search(r'name="form" value="([0-9a-f]{64})"', page.text).group(1)
    r = c.post("/masuk/tautan", data={"form": form, "tautan": link.rsplit("/", 1)[1]})
    cookie = [
        h for h in r.headers.get_list("set-cookie") if h.startswith(signin.SESSION_COOKIE + "=")
    ][0]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "a" * 64 not in cookie


# ============================================================================ a unit's session


def test_a_unit_gets_only_its_own_documents_of_the_whole_archive(server, office):
    c = sign_in(server, office, "pem@kecamatan.test")
    mine = {d["id"] for d in office["docs"] if d["unit"] == "PEM"}
    assert mine
    for d in office["docs"]:
        r = c.get(f"/dokumen/{d['id']}")
        assert r.status_code == (200 if d["id"] in mine else 404), d
        if d["id"] not in mine:
            assert d["path"].rsplit("/", 1)[-1] not in r.text


def test_a_unit_sees_no_other_units_data_in_any_page_or_json(server, office):
    c = sign_in(server, office, "pem@kecamatan.test")
    cfg = office["cfg"]
    others = [u for u in cfg.units if u.kode != "PEM"]
    for p in PAGES + XLSX:
        r = c.get(p)
        if p.startswith(("/register", "/operator", "/unit/SEK")):
            assert r.status_code == 404, p
            continue
        assert r.status_code == 200, p
        for u in others:
            for word in (u.email, u.nama, f'"{u.kode}"', f">{u.kode}<", f"/unit/{u.kode}"):
                assert word not in r.text, (p, word)
    for code in ("PK-2025-TW3", "PK-2025-TW4"):
        data = c.get(f"/api/siklus/{code}").json()
        assert [u["code"] for u in data["units"]] == ["PEM"]
        assert {d["unit"] for d in data["documents"]} <= {"PEM"}
    st = c.get("/api/status").json()
    for cyc in st["cycles"]:
        assert set(cyc["units"]) <= {"PEM"}
        assert all(a.get("unit") == "PEM" for a in cyc["awaiting"])


# ============================================================================ no secret anywhere


def test_no_token_s11_code_or_open_message_id_for_any_role_anywhere(server, office, caplog):
    caplog.set_level(logging.DEBUG)
    for email in ROLES:
        c = sign_in(server, office, email)
        for p in PAGES + XLSX:
            r = c.get(p)
            assert not leaks(text_of(r.content), office), (email, p)
            assert not leaks(c.get(p, headers={"X-Pantau-Bagian": "isi"}).text, office), (email, p)
        for d in office["docs"]:
            r = c.get(f"/dokumen/{d['id']}")
            if r.status_code == 200:
                assert not leaks(text_of(r.content), office), (email, d)
    # Everything the server side logged (httpx is this test's own client).
    log = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "web_permintaan" in {getattr(r, "event", "") for r in caplog.records}
    assert not leaks(log, office)
    assert not re.search(r"/masuk/tautan/[0-9a-f]{8}", log)


# ============================================================================ verification


def test_verification_answers_typed_codes_and_says_when_one_is_unknown(server, office):
    c = browser(server)
    kode = office["verif"]
    for typed in (kode, kode.lower(), kode.replace("-", " "), kode.replace("-", "").lower()):
        r = c.get(f"/verifikasi/{typed}")
        assert r.status_code == 200 and kode in r.text and "Laporan terverifikasi" in r.text, typed
    r = c.get("/verifikasi/AAAA-BBBB-CCCC")
    assert r.status_code == 404 and "tidak dikenal" in r.text
    r = c.get("/verifikasi/bukan-kode")
    assert r.status_code == 404 and "tidak dikenal" in r.text
    assert c.get("/verifikasi?kode=" + kode.lower()).status_code == 200


def test_sign_in_requests_are_limited_per_address_and_per_client(office):
    app = create_app(office["cfg"])
    with LiveServer(app) as srv:
        c = browser(srv)

        def ask(email):
            token = re.search(r'name="form" value="([0-9a-f]{64})"', c.get("/masuk").text).group(1)
            return c.post("/masuk", data={"form": token, "email": email}).status_code

        codes = [ask(f"orang{i}@contoh.test") for i in range(signin.RATE_PER_CLIENT + 1)]
        assert codes[:-1] == [200] * signin.RATE_PER_CLIENT and codes[-1] == 429
    assert load_config(office["config"])  # the office is untouched


def test_error_answers_are_in_indonesian(server, office):
    signed = sign_in(server, office, "camat@kecamatan.test")
    anon = browser(server)
    for c, method, path in (
        (signed, "GET", "/keluar"),
        (signed, "POST", "/"),
        (signed, "PUT", "/api/status"),
        (anon, "GET", "/masuk/tautan"),
        (anon, "DELETE", "/masuk"),
        (anon, "POST", "/static/pantau.css"),
        (anon, "POST", "/verifikasi/AAAA"),
    ):
        r = c.request(method, path)
        assert r.status_code == 405, (method, path)
        assert "Not Allowed" not in r.text and "tidak menerima" in r.text, (
            method,
            path,
            r.text[-300:],
        )


def test_pantau_web_logs_in_the_office_time_zone(office):
    """SPEC §7.2: the log's times are in the office's time zone, with its offset."""
    import os
    import sys
    import time

    from tests.webkit import ROOT

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daemon.operator.cli",
            "--config",
            str(office["config"]),
            "web",
            "--port",
            str(port),
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/masuk", timeout=2).status_code == 200
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert office["cfg"].kantor.zona_waktu == "Asia/Jakarta"
    lines = [ln for ln in err.splitlines() if " INFO " in ln]
    assert lines and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00 ", ln) for ln in lines), (
        lines
    )
