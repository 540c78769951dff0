"""The dashboard's sign-in and who-sees-what (SPEC §8, **must**), over HTTP against the real
application on a demo office: no page without a session, a one-time link that a GET does not use
up, CSRF on every form, no session fixation, sessions that expire and end, a unit that cannot
reach another unit's data by changing an id, rate limits, and no token, S11 code or open task's
Message-ID in any page, JSON answer or log line."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from offices import new_office
from starlette.testclient import TestClient

from daemon.store import Store
from daemon.web import create_app, signin
from daemon.web.settings import WebSettings
from tests.webkit import LiveServer, demo_office, last_link, mails_to, secrets_in

pytestmark = pytest.mark.slow  # a finished demo cycle for the module (tests/README.md)

PAGES = [
    "/",
    "/siklus/PK-2025-TW3",
    "/siklus/PK-2025-TW4",
    "/capaian",
    "/register/keluar",
    "/register/masuk",
    "/operator",
    "/unit/PEM",
    "/unit/SEK",
    "/dokumen/1",
    "/register/keluar.xlsx",
]
APIS = ["/api/status", "/api/siklus/PK-2025-TW3"]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    return demo_office(tmp_path_factory)


@pytest.fixture()
def app(office):
    return create_app(office["cfg"])


_n = iter(range(1, 250))


def client(app, host: str | None = None) -> TestClient:
    """A browser of its own (own cookies, own client address, so rate limits do not mix tests)."""
    return TestClient(
        app, base_url="http://127.0.0.1:8080", client=(host or f"10.0.0.{next(_n)}", 50000)
    )


def form_token(html: str) -> str:
    return re.search(r'name="form" value="([0-9a-f]{64})"', html).group(1)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)


def link_for(office, email: str) -> str:
    with _store(office) as s:
        return signin.create_link(s, email, "http://127.0.0.1:8080", signin.utcnow())


class _store:
    def __init__(self, office):
        self.s = Store(office["cfg"].db_path)

    def __enter__(self):
        return self.s

    def __exit__(self, *exc):
        self.s.close()


def sign_in(c: TestClient, office, email: str) -> TestClient:
    link = link_for(office, email)
    path = link.split("8080", 1)[1]
    page = c.get(path)
    assert page.status_code == 200 and "Masuk" in page.text
    r = c.post(
        "/masuk/tautan",
        data={"form": form_token(page.text), "tautan": path.rsplit("/", 1)[1]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    return c


# ============================================================================ no session


def test_every_page_needs_a_session(app):
    c = client(app)
    for p in PAGES:
        r = c.get(p, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/masuk", p
    for p in APIS:
        r = c.get(p)
        assert r.status_code == 401 and r.json()["masuk"] == "/masuk", p
    # The refresh of a page's changing part is refused with 401, so the browser reloads to /masuk.
    assert c.get("/", headers={"X-Pantau-Bagian": "isi"}).status_code == 401
    # A made-up session cookie is no session.
    c.cookies.set(signin.SESSION_COOKIE, "0" * 64)
    assert c.get("/", follow_redirects=False).status_code == 303
    # Public: the sign-in page, the verification page, static assets.
    c = client(app)
    assert c.get("/masuk").status_code == 200
    assert c.get("/static/pantau.css").status_code == 200
    assert c.get("/verifikasi").status_code == 200


def test_security_headers(app):
    r = client(app).get("/masuk")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert (
        r.headers["referrer-policy"] == "same-origin"
    )  # no token leaves in a Referer; Origin still sent
    assert r.headers["cache-control"] == "no-store"


# ============================================================================ links


def test_masuk_sends_a_link_by_email_and_says_the_same_for_unknown_addresses(app, office):
    c = client(app)
    before = len(mails_to(office, "sekretaris@kecamatan.test"))
    page = c.get("/masuk")
    known = c.post(
        "/masuk", data={"form": form_token(page.text), "email": "Sekretaris@Kecamatan.test"}
    )
    page2 = c.get("/masuk")
    unknown = c.post(
        "/masuk", data={"form": form_token(page2.text), "email": "penyusup@contoh.test"}
    )
    assert known.status_code == unknown.status_code == 200
    strip = lambda t: re.sub(r'value="[0-9a-f]{64}"', "", t)  # noqa: E731
    assert strip(known.text) == strip(unknown.text)
    assert "Jika alamat itu terdaftar di Pantau, tautan masuk telah dikirim" in known.text
    assert len(mails_to(office, "sekretaris@kecamatan.test")) == before + 1
    assert not (office["maildir"] / "penyusup@contoh.test").exists()
    link = last_link(office, "sekretaris@kecamatan.test")
    assert link and link.startswith("http://127.0.0.1:8080/masuk/tautan/")
    # The link's page has one button; opening it signs nobody in.
    path = link.split("8080", 1)[1]
    page = c.get(path)
    assert page.text.count("<button") == 1 and 'action="/masuk/tautan"' in page.text
    assert c.get("/", follow_redirects=False).status_code == 303
    assert c.get(path).status_code == 200  # not used up by the GET (mail scanners)
    r = c.post(
        "/masuk/tautan",
        data={"form": form_token(page.text), "tautan": path.rsplit("/", 1)[1]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    home = c.get("/")
    assert home.status_code == 200 and "Sekretaris (" in home.text
    # Used once: the page and the button now refuse it.
    again = c.get(path)
    assert again.status_code == 410 and "sudah dipakai" in again.text
    r = c.post(
        "/masuk/tautan",
        data={"form": form_token(page.text), "tautan": path.rsplit("/", 1)[1]},
        follow_redirects=False,
    )
    assert r.status_code in (403, 410)


def test_link_expires_after_15_minutes(app, office):
    c = client(app)
    link = link_for(office, "camat@kecamatan.test")
    path = link.split("8080", 1)[1]
    page = c.get(path)
    office_state = app.app.state.office
    real = office_state.now
    office_state.now = lambda: real() + timedelta(minutes=16)
    try:
        assert c.get(path).status_code == 410
        r = c.post(
            "/masuk/tautan",
            data={"form": form_token(page.text), "tautan": path.rsplit("/", 1)[1]},
            follow_redirects=False,
        )
        assert r.status_code == 410
        assert c.get("/", follow_redirects=False).status_code == 303
    finally:
        office_state.now = real


def test_rate_limits_per_address_and_per_client(app, office):
    codes = []
    for i in range(4):  # one address, asked from four different clients
        c = client(app, f"10.1.0.{i}")
        page = c.get("/masuk")
        codes.append(
            c.post(
                "/masuk", data={"form": form_token(page.text), "email": "pmd@kecamatan.test"}
            ).status_code
        )
    assert codes == [200, 200, 200, 429]
    assert (
        len(
            [p for p in mails_to(office, "pmd@kecamatan.test") if b"Tautan masuk" in p.read_bytes()]
        )
        == 3
    )
    # Many addresses from one client: the 11th in 15 minutes is refused.
    c = client(app, "10.2.0.1")
    codes = []
    for i in range(11):
        page = c.get("/masuk")
        codes.append(
            c.post(
                "/masuk", data={"form": form_token(page.text), "email": f"x{i}@contoh.test"}
            ).status_code
        )
    assert codes[:10] == [200] * 10 and codes[10] == 429


# =========================================================================== CSRF, fixation, expiry


def test_csrf_is_required_on_every_form(app, office):
    c = client(app)
    # Asking for a link without the page's token, or from another site.
    assert c.post("/masuk", data={"email": "camat@kecamatan.test"}).status_code == 403
    page = c.get("/masuk")
    r = c.post("/masuk", data={"form": form_token(page.text), "email": "camat@kecamatan.test"},
               headers={"Origin": "https://jahat.test"})
    assert r.status_code == 403
    # Using a link from another site's form: refused, and the link is still usable afterwards.
    link = link_for(office, "camat@kecamatan.test")
    token = link.rsplit("/", 1)[1]
    other = client(app)
    r = other.post(
        "/masuk/tautan", data={"form": "a" * 64, "tautan": token}, follow_redirects=False
    )
    assert r.status_code == 403
    assert other.get("/", follow_redirects=False).status_code == 303
    assert c.get(link.split("8080", 1)[1]).status_code == 200
    # Signing out without the session's token does not sign out.
    sign_in(c, office, "camat@kecamatan.test")
    assert c.post("/keluar", data={}).status_code == 403
    assert c.post("/keluar", data={"csrf": "b" * 64}).status_code == 403
    assert c.get("/").status_code == 200
    home = c.get("/")
    r = c.post("/keluar", data={"csrf": csrf_token(home.text)}, headers={"Origin": "https://jahat.test"})
    assert r.status_code == 403 and c.get("/").status_code == 200


def test_no_session_fixation_and_keluar_ends_the_session(app, office):
    c = client(app)
    planted = "f" * 64
    c.cookies.set(signin.SESSION_COOKIE, planted, domain="127.0.0.1")
    sign_in(c, office, "kasubag@kecamatan.test")
    sid = c.cookies.get(signin.SESSION_COOKIE)
    assert sid and sid != planted
    # The planted value gives nothing to whoever planted it.
    attacker = client(app)
    attacker.cookies.set(signin.SESSION_COOKIE, planted)
    assert attacker.get("/", follow_redirects=False).status_code == 303
    # Signing in again (another person on the same browser) replaces and ends the old session.
    sign_in(c, office, "camat@kecamatan.test")
    assert c.cookies.get(signin.SESSION_COOKIE) != sid
    stale = client(app)
    stale.cookies.set(signin.SESSION_COOKIE, sid)
    assert stale.get("/", follow_redirects=False).status_code == 303
    # keluar (POST + CSRF) ends it for good.
    sid2 = c.cookies.get(signin.SESSION_COOKIE)
    home = c.get("/")
    r = c.post("/keluar", data={"csrf": csrf_token(home.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/masuk"
    replay = client(app)
    replay.cookies.set(signin.SESSION_COOKIE, sid2)
    assert replay.get("/", follow_redirects=False).status_code == 303
    assert replay.get("/api/status").status_code == 401


def test_session_cookie_flags_and_expiry(office):
    app = create_app(office["cfg"], WebSettings(url="https://pantau.kecamatan.test"))
    c = TestClient(app, base_url="https://pantau.kecamatan.test")
    link = link_for(office, "camat@kecamatan.test")
    token = link.rsplit("/", 1)[1]
    page = c.get(f"/masuk/tautan/{token}")
    r = c.post(
        "/masuk/tautan",
        data={"form": form_token(page.text), "tautan": token},
        follow_redirects=False,
    )
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith(signin.SESSION_COOKIE)][
        0
    ].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert c.get("/").status_code == 200
    st = app.app.state.office
    real = st.now
    try:
        st.now = lambda: real() + timedelta(hours=9)  # idle longer than 8 hours
        assert c.get("/", follow_redirects=False).status_code == 303
    finally:
        st.now = real
    assert c.get("/", follow_redirects=False).status_code == 303  # ended, not just hidden


# ========================================================================= a unit sees only its own


def test_a_unit_sees_only_its_own_unit(app, office):
    c = sign_in(client(app), office, "pem@kecamatan.test")
    with _store(office) as s:
        docs = s._q("SELECT id, unit, kind FROM documents WHERE cycle='PK-2025-TW3'")
    own = [d["id"] for d in docs if d["unit"] == "PEM"]
    others = [d["id"] for d in docs if d["unit"] and d["unit"] != "PEM"]
    office_docs = [d["id"] for d in docs if not d["unit"]]
    assert own and others and office_docs
    for i in own:
        assert c.get(f"/dokumen/{i}").status_code == 200
    for i in others + office_docs + [99999]:
        r = c.get(f"/dokumen/{i}")
        assert r.status_code == 404 and "tidak ditemukan" in r.text.lower(), i
    assert c.get("/unit/PEM").status_code == 200
    for p in (
        "/unit/SEK",
        "/unit/KESOS",
        "/register/keluar",
        "/register/masuk",
        "/register/keluar.xlsx",
        "/operator",
    ):
        assert c.get(p).status_code == 404, p
    data = c.get("/api/siklus/PK-2025-TW3").json()
    assert [u["code"] for u in data["units"]] == ["PEM"]
    assert {d["unit"] for d in data["documents"]} == {"PEM"}
    assert all(
        "pem@kecamatan.test" in (e["who"] or "").lower() or (e["who"] or "") == "PEM"
        for e in data["log"]
    )
    status = c.get("/api/status").json()
    assert set(status) >= {"daemon", "mail", "cycles", "held"}
    for cyc in status["cycles"]:
        assert set(cyc["units"]) == {"PEM"}
        assert all(a["unit"] == "PEM" for a in cyc["awaiting"])
    page = c.get("/siklus/PK-2025-TW3").text
    for name in ("Sekretariat", "Seksi Kesejahteraan Sosial", "kesos@kecamatan.test"):
        assert name not in page, name
    ach = c.get("/capaian").text
    assert "Seksi Pemerintahan" in ach and "Seksi Kesejahteraan Sosial" not in ach


def test_officials_see_everything(app, office):
    c = sign_in(client(app), office, "camat@kecamatan.test")
    data = c.get("/api/siklus/PK-2025-TW3").json()
    assert {u["code"] for u in data["units"]} == {"SEK", "PEM", "TRANTIB", "PMD", "KESOS"}
    assert {"steps", "units", "documents", "log", "code", "period", "status"} <= set(data)
    assert [s["id"] for s in data["steps"]][:1] == ["S1"] and len(data["steps"]) == 13
    status = c.get("/api/status").json()
    assert {"daemon", "mail", "cycles", "held"} <= set(status) and status["held"] >= 1
    assert {"alive", "heartbeat"} <= set(status["daemon"])
    assert [x["code"] for x in status["cycles"]] == ["PK-2025-TW4"]
    assert c.get("/unit/KESOS").status_code == 200
    assert c.get("/operator").status_code == 200
    x = c.get("/register/keluar.xlsx?tahun=2025")
    assert x.status_code == 200 and x.content[:2] == b"PK"


# ============================================================================ nothing secret shown


def test_no_token_s11_code_or_open_message_id_in_any_page_or_log(app, office, caplog):
    import io
    import zipfile

    caplog.set_level(logging.DEBUG)
    c = client(app)
    page = c.get("/masuk")
    c.post("/masuk", data={"form": form_token(page.text), "email": "trantib@kecamatan.test"})
    link = last_link(office, "trantib@kecamatan.test")
    token = link.rsplit("/", 1)[1]
    c.get(f"/masuk/tautan/{token}")
    sign_in(c, office, "camat@kecamatan.test")
    seen = {}
    for p in (
        PAGES[:-2]
        + APIS
        + ["/siklus/PK-2025-TW4", "/api/siklus/PK-2025-TW4", "/register/keluar?tahun=semua"]
    ):
        r = c.get(p)
        assert r.status_code == 200, p
        seen[p] = r.text
        assert secrets_in(r.text, office) == [], p
    # The held message (its subject carries the open task's token) is listed, token masked.
    assert "orang.lain@contoh.test" in seen["/operator"] and "[#****-****]" in seen["/operator"]
    # The open cycle's letter is in the register, without its Message-ID; the XLSX neither.
    x = c.get("/register/keluar.xlsx?tahun=semua").content
    with zipfile.ZipFile(io.BytesIO(x)) as z:
        sheet = "".join(
            z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")
        )
    assert secrets_in(sheet, office) == []
    log_text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("pantau"))
    assert "/masuk/tautan/…" in log_text and token not in log_text
    assert c.cookies.get(signin.SESSION_COOKIE) not in log_text
    assert secrets_in(log_text, office) == []


# ============================================================================ verification (public)


def test_verification_page_is_public_and_says_when_a_code_is_unknown(app, office):
    with _store(office) as s, s.transaction():
        s.put_verification(
            kode="7KQ2-M9XD-4TRA",
            cycle="PK-2025-TW3",
            nomor_surat="000.8.6.3/12/Kec-LSB/2025",
            judul="Laporan Pemantauan Kinerja Triwulan III Tahun 2025",
            periode="Triwulan III Tahun 2025",
            tanggal="2025-10-21T10:15:00+07:00",
            sha256_docx="a" * 64,
            sha256_pdf="b" * 64,
            sha256_sumber="c" * 64,
            persetujuan=[
                {
                    "langkah": "S8",
                    "versi": 4,
                    "nama": "ZULKIFLI, S.Sos",
                    "jabatan": "Sekretaris Camat",
                    "waktu": "2025-10-17T09:00:00+07:00",
                },
                {
                    "langkah": "S11",
                    "versi": 1,
                    "nama": "RIKA MARTA, S.E",
                    "jabatan": "Camat",
                    "waktu": "2025-10-21T10:00:00+07:00",
                },
            ],
        )
    c = client(app)
    r = c.get("/verifikasi/7kq2 m9xd 4tra")  # typed loosely: normalised
    assert r.status_code == 200
    for text in (
        "Laporan Pemantauan Kinerja Triwulan III Tahun 2025",
        "000.8.6.3/12/Kec-LSB/2025",
        "a" * 64,
        "b" * 64,
        "ZULKIFLI, S.Sos",
        "RIKA MARTA, S.E",
        "21 Oktober 2025",
        "Camat",
    ):
        assert text in r.text, text
    r = c.get("/verifikasi/ZZZZ-ZZZZ-ZZZZ")
    assert r.status_code == 404 and "tidak dikenal" in r.text
    assert c.get("/verifikasi?kode=7KQ2-M9XD-4TRA").status_code == 200


# ============================================================================ the real server


def test_the_real_server_refuses_without_a_session(office):
    import httpx

    with LiveServer(create_app(office["cfg"])) as srv:
        r = httpx.get(f"{srv.url}/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/masuk"
        assert httpx.get(f"{srv.url}/api/status").status_code == 401
        assert httpx.get(f"{srv.url}/masuk").status_code == 200
        assert "server" not in r.headers


def test_pantau_web_command_serves_and_its_log_holds_no_link(office):
    """`pantau web --port P` as an operator starts it: pages answer, the request log names the
    link page without its token, and the daemon need not run."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from tests.webkit import ROOT, free_port

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
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"{url}/masuk", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.2)
        cookies = page.cookies
        r = httpx.post(
            f"{url}/masuk",
            data={"form": form_token(page.text), "email": "kesos@kecamatan.test"},
            cookies=cookies,
            headers={"Origin": url},
        )
        assert r.status_code == 200 and "tautan masuk telah dikirim" in r.text
        deadline = time.monotonic() + 10
        while (link := last_link(office, "kesos@kecamatan.test")) is None:
            assert time.monotonic() < deadline, "no link e-mail"
            time.sleep(0.2)
        assert link.startswith(
            f"{url}/masuk/tautan/"
        )  # no [web] url: the address it was reached at
        assert httpx.get(link).status_code == 200
        assert httpx.get(f"{url}/api/status").status_code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    token = link.rsplit("/", 1)[1]
    assert "dasbor Pantau di http://127.0.0.1" in err
    assert "GET /masuk/tautan/… 200" in err and token not in err
    assert secrets_in(err, office) == []


def test_web_keys_are_checked_with_indonesian_errors(tmp_path):
    from daemon.config import ConfigError, load_config
    from daemon.web.settings import web_settings

    cfg_path = new_office(tmp_path / "kantor").config
    cfg = load_config(cfg_path)
    s = web_settings(cfg)
    assert (s.url, s.host, s.port, s.secure) == ("", "127.0.0.1", 8080, False)
    text = (
        cfg_path.read_text()
        .replace("port = 8080", 'port = "delapan"')
        .replace('url = ""', 'url = "pantau.go.id"')
    )
    cfg_path.write_text(text)
    with pytest.raises(ConfigError) as e:
        web_settings(load_config(cfg_path))
    msg = str(e.value)
    assert "web.port" in msg and "web.url" in msg and "https://pantau.kecamatan.go.id" in msg


def test_a_forged_host_header_does_not_change_the_link_in_the_email(app, office):
    c = client(app)
    before = len(mails_to(office, "sek@kecamatan.test"))
    page = c.get("/masuk")
    r = c.post("/masuk", data={"form": form_token(page.text), "email": "sek@kecamatan.test"},
               headers={"Host": "jahat.test"})
    assert r.status_code == 200
    assert len(mails_to(office, "sek@kecamatan.test")) == before + 1
    link = last_link(office, "sek@kecamatan.test")
    assert link.startswith("http://127.0.0.1:8080/masuk/tautan/") and "jahat" not in link


def test_achievement_puts_the_years_quarters_side_by_side(app, office):
    with _store(office) as s:
        tw3 = [r for r in s.kinerja_year(2025) if r["unit"] == "PEM" and r["period"] == "2025-TW3"]
        tw2 = [
            {k: v for k, v in r.items() if k != "id"}
            | {"cycle": "PK-2025-TW2", "period": "2025-TW2", "realisasi": 77.5, "capaian": 77.5}
            for r in tw3
        ]
        with s.transaction():
            s.replace_kinerja("PK-2025-TW2", tw2)
    c = sign_in(client(app), office, "pem@kecamatan.test")
    page = c.get("/capaian?tahun=2025").text
    table = page[page.index("Triwulan berdampingan"):]
    assert table.index("Triwulan II Tahun 2025") < table.index("Triwulan III Tahun 2025")
    row = re.search(
        r"<tr><td>1</td><td>Persentase desa yang menyampaikan.*?</tr>", page, re.S
    ).group(0)
    from daemon.core.formatting import angka, persen

    now = next(r for r in tw3 if str(r["no"]) == "1")  # the demo's TW III figure for this row
    assert re.findall(r'class="angka">([^<]+)<', row) == [
        "100", "77,5", "77,50 %", angka(now["realisasi"]), persen(now["capaian"]) + " %"]
    assert "Seksi Kesejahteraan Sosial" not in page
    other = sign_in(client(app), office, "camat@kecamatan.test").get("/capaian").text
    assert "Rata-rata capaian per unit, Triwulan III Tahun 2025" in other and "<svg" in other
