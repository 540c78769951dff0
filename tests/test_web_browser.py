"""The dashboard in a real browser (Debian's chromium + chromedriver, driven by selenium) against
the real server (uvicorn on a free port) over a demo office: ask for a link on /masuk, read it
from the Maildir, press the one button, see the overview, open a cycle and a document, look at
achievement, registers and the operator's page; a used link and another unit's page are refused.
Each page is saved as a PNG under var/screenshots/ for a person to look at.

Under CI a missing chromium is a failure, never a skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.web import create_app
from tests.webkit import LiveServer, demo_office, free_port, last_link, secrets_in
from tools import pantau_main

pytestmark = pytest.mark.slow  # Chromium against a finished demo cycle (tests/README.md)

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    if missing:
        message = (
            f"{', '.join(missing)} not installed"
            " (scripts/install-system-deps.sh installs chromium-driver)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    return demo_office(tmp_path_factory)


@pytest.fixture(scope="module")
def server(office):
    port = free_port()  # sign-in links point where the server listens (no [web] url in the demo)
    with LiveServer(create_app(office["cfg"], listen=("127.0.0.1", port)), port=port) as srv:
        yield srv


def make_driver(width: int = 1280, height: int = 900):
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--lang=id-ID",
    ):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


@pytest.fixture(scope="module")
def browser():
    d = make_driver()
    yield d
    d.quit()


def shot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # The whole page, not just the window: grow the window to the document's height first.
    w = driver.execute_script("return window.outerWidth")
    driver.set_window_size(max(w, 360), 900)
    h = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(max(w, 360), min(max(h + 120, 600), 6000))
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 5000
    return path


def wait_for_url(driver, tail: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda drv: drv.current_url.endswith(tail))


def wait_text(driver, needle: str) -> None:
    """Wait until the page (after a click's navigation) shows `needle`."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    def shows(drv) -> bool:
        try:
            return needle in drv.find_element("tag name", "body").text
        except StaleElementReferenceException:
            return False

    WebDriverWait(driver, 10).until(shows)


def text(driver) -> str:
    return driver.find_element("tag name", "body").text


def sign_in_by_mail(driver, server, office, address: str) -> str:
    from selenium.webdriver.common.by import By

    driver.get(f"{server.url}/masuk")
    driver.find_element(By.ID, "email").send_keys(address)
    driver.find_element(By.CSS_SELECTOR, "form[action='/masuk'] button").click()
    wait_text(driver, "tautan masuk telah dikirim")
    link = last_link(office, address)
    assert link, f"no sign-in e-mail arrived for {address}"
    return link


def test_sign_in_see_overview_cycle_document_and_be_refused(browser, server, office):
    from selenium.webdriver.common.by import By

    d = browser
    d.get(f"{server.url}/")
    assert d.current_url.endswith("/masuk")  # no session: sent to /masuk
    shot(d, "01-masuk")
    link = sign_in_by_mail(d, server, office, "camat@kecamatan.test")
    shot(d, "02-masuk-terkirim")
    d.get(link)
    assert "Tekan tombol di bawah untuk masuk" in text(d)
    shot(d, "03-tautan")
    d.get(f"{server.url}/")
    assert d.current_url.endswith("/masuk")  # opening the link signed nobody in
    d.get(link)
    d.find_element(By.ID, "tombol-masuk").click()
    wait_for_url(d, f"{server.url}/")
    wait_text(d, "Siklus selesai")
    body = text(d)
    assert "Ringkasan" in body and "Camat (RIKA MARTA, S.E)" in body
    assert (
        "PK-2025-TW4" in body and "0 dari 5 formulir masuk" in body
    )  # the open cycle, still at S1
    assert "Siklus selesai" in body and "PK-2025-TW3" in body
    assert secrets_in(d.page_source, office) == []
    shot(d, "04-ringkasan")

    # The page keeps up by itself: its changing part is fetched again and put back in place
    # (every 30 s, and when the tab becomes visible again).
    assert d.find_element(By.ID, "isi").get_attribute("data-segarkan") == "30"
    d.execute_script("document.getElementById('isi').innerHTML = '<p>lama</p>';"
                     "document.dispatchEvent(new Event('visibilitychange'));")
    wait_text(d, "Siklus selesai")
    assert d.find_elements(By.CSS_SELECTOR, "#isi h1") and not d.find_elements(
        By.CSS_SELECTOR, "#isi header"
    )

    # One cycle: the timeline S1-S13, the units, the documents, the log.
    d.find_element(By.LINK_TEXT, "PK-2025-TW3").click()
    wait_text(d, "Catatan kejadian")
    body = text(d)
    assert "Linimasa S1–S13" in body and "S13" in body and "Seksi Kesejahteraan Sosial" in body
    assert "tidak menyampaikan data" in body
    assert "laporan akhir (PDF)" in body
    assert secrets_in(d.page_source, office) == []
    shot(d, "05-siklus")

    # A document opens with the session (the archived PDF, by its row id).
    href = d.find_element(By.LINK_TEXT, "laporan akhir (PDF)").get_attribute("href")
    got = d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.arrayBuffer().then(b => "
        "done([r.status, r.headers.get('content-type'), new TextDecoder().decode(b.slice(0, "
        "5))])));",
        href,
    )
    assert got == [200, "application/pdf", "%PDF-"]

    for path, name, expect in (("/capaian", "06-capaian", "Triwulan berdampingan"),
                               ("/register/keluar", "07-register-keluar", "Register surat keluar"),
                               ("/register/masuk", "08-register-masuk", "Register surat masuk"),
                               ("/operator", "09-operator", "Pesan ditahan dan gagal"),
                               ("/unit/PEM", "10-unit", "Seksi Pemerintahan")):
        d.get(f"{server.url}{path}")
        assert expect in text(d), path
        assert secrets_in(d.page_source, office) == [], path
        shot(d, name)
    assert d.find_elements(By.CSS_SELECTOR, "svg.grafik rect")  # the unit's achievement chart

    # The used link is refused.
    d.get(link)
    assert "sudah dipakai" in text(d)
    shot(d, "11-tautan-terpakai")

    # keluar ends the session.
    d.get(f"{server.url}/")
    d.find_element(By.CSS_SELECTOR, "form.keluar button").click()
    wait_for_url(d, "/masuk")
    d.get(f"{server.url}/siklus/PK-2025-TW3")
    assert d.current_url.endswith("/masuk")


def test_a_unit_signed_in_with_a_printed_link_cannot_open_another_units_page(server, office):
    from selenium.webdriver.common.by import By

    # The operator prints a link with `pantau web link EMAIL` and hands it over.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env["PYTHONPATH"] = str(ROOT)
    r = pantau_main(
        ["--config", str(office["config"]), "web", "link", "pem@kecamatan.test"], env=env
    )
    assert r.returncode == 0, r.stderr
    link = r.stdout.strip()
    assert "/masuk/tautan/" in link and "Seksi Pemerintahan" in r.stderr
    path = link.split("/masuk/tautan/", 1)[1]
    d = make_driver(390, 844)  # a phone
    try:
        d.get(f"{server.url}/masuk/tautan/{path}")
        d.find_element(By.ID, "tombol-masuk").click()
        wait_for_url(d, f"{server.url}/")
        wait_text(d, "Siklus selesai")
        body = text(d)
        assert "Seksi Pemerintahan" in body and "Register" not in body
        shot(d, "12-unit-ringkasan-ponsel")
        d.get(f"{server.url}/unit/PEM")
        assert "Formulir per siklus" in text(d)
        shot(d, "13-unit-sendiri-ponsel")
        d.get(f"{server.url}/unit/SEK")
        assert "Tidak ditemukan" in text(d)
        shot(d, "14-unit-lain-ditolak")
        d.get(f"{server.url}/siklus/PK-2025-TW3")
        assert "Sekretariat" not in text(d)
    finally:
        d.quit()
    bad = pantau_main(
        ["--config", str(office["config"]), "web", "link", "penyusup@contoh.test"], env=env
    )
    assert bad.returncode == 1 and "bukan alamat" in bad.stderr and not bad.stdout


def test_verification_page_in_the_browser(browser, server, office):
    from daemon.store import Store

    s = Store(office["cfg"].db_path)
    with s.transaction():
        s.put_verification(
            kode="7KQ2-M9XD-4TRA",
            cycle="PK-2025-TW3",
            nomor_surat="000.8.6.3/12/Kec-LSB/2025",
            judul="Laporan Pemantauan Kinerja Triwulan III Tahun 2025",
            periode="Triwulan III Tahun 2025",
            tanggal="2025-10-21T10:15:00+07:00",
            sha256_docx="ab" * 32,
            sha256_pdf="cd" * 32,
            sha256_sumber="ef" * 32,
            persetujuan=[
                {
                    "langkah": "S11",
                    "versi": 1,
                    "nama": "RIKA MARTA, S.E",
                    "jabatan": "Camat",
                    "waktu": "2025-10-21T10:00:00+07:00",
                }
            ],
        )
    s.close()
    browser.get(f"{server.url}/verifikasi/7KQ2-M9XD-4TRA")
    assert "Laporan terverifikasi" in text(browser) and "cd" * 32 in text(browser)
    shot(browser, "15-verifikasi")
    browser.get(f"{server.url}/verifikasi/AAAA-BBBB-CCCC")
    assert "tidak dikenal" in text(browser)
    shot(browser, "16-verifikasi-tidak-dikenal")



PHONE_PAGES = {
    "ringkasan": "/",
    "siklus": "/siklus/PK-2025-TW3",
    "siklus-terbuka": "/siklus/PK-2025-TW4",
    "capaian": "/capaian",
    "register": "/register/keluar?tahun=semua",
    "operator": "/operator",
    "unit": "/unit/PEM",
}


def test_every_page_fits_a_phone_and_its_chart_labels_stay_readable(server, office):
    """At 390×844 (a phone, emulated as one: a headless window cannot be narrower than 500 px) no
    page is wider than the screen (wide tables and charts scroll inside their card), and a
    chart's labels are drawn at least 10 px high."""
    from selenium.webdriver.common.by import By

    from daemon.store import Store
    from daemon.web import signin

    s = Store(office["cfg"].db_path)
    try:
        link = signin.create_link(s, "camat@kecamatan.test", server.url, signin.utcnow())
    finally:
        s.close()
    d = make_driver(390, 844)
    try:
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        d.get(link)
        d.find_element(By.ID, "tombol-masuk").click()
        wait_for_url(d, f"{server.url}/")
        for name, path in PHONE_PAGES.items():
            d.get(server.url + path)
            wait_text(d, "Pantau")
            width, page = d.execute_script("return [document.documentElement.clientWidth,"
                                           " document.documentElement.scrollWidth]")
            assert width == 390 and page <= width, (path, page)
            heights = d.execute_script("return [...document.querySelectorAll('svg.grafik text')]"
                                       ".map(t => t.getBoundingClientRect().height)")
            assert all(h >= 10 for h in heights), (path, min(heights))
            if path == "/capaian":
                assert heights
            d.save_screenshot(str(SHOTS / f"17-ponsel-{name}.png"))
    finally:
        d.quit()
