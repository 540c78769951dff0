"""The Exchange (EWS) transport against EWS responses hand-written from the EWS documentation,
not a live Exchange server and not captures from one.

There is no Exchange server here. `FakeExchange` is a small HTTP server on 127.0.0.1 that
exchangelib talks to for real (HTTP/1.1 keep-alive, NTLM/Basic/Bearer authentication headers,
SOAP requests built and responses parsed by exchangelib itself). It answers each request with a
response hand-written from the EWS documentation, from tests/fixtures/ews/ (FindItem, GetItem with
base64 MimeContent, CreateItem SendAndSaveCopy, MoveItem, GetFolder, FindFolder, CreateFolder,
ConvertId for the version probe, 401 pages, ErrorItemNotFound, ErrorFolderExists), chosen by the
operation and a few request details (folder, item id, display name, the Message-ID searched for),
with just enough state to move items out of the inbox and remember created folders and sent
letters. See tests/fixtures/ews/README.md for where the responses come from. What a live Exchange
might do differently is listed in the README's "Exchange" section.

Microsoft 365 mailboxes must use the IMAP/SMTP transport with OAuth2: Exchange Online blocks EWS
from 1 October 2026 (and removes it on 1 April 2027). The EWS transport is for on-premises
Exchange.
"""

from __future__ import annotations

import base64
import email
import email.policy
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree

from daemon.mail.mime import parse_message
from daemon.mail.transports.base import DIPROSES, TransportError
from daemon.mail.transports.ews import EwsSettings, EwsTransport, split_ref

FIXTURES = Path(__file__).parent / "fixtures" / "ews"
NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
}
ADDRESS = "pantau@kecamatan.test"
USER = "KECAMATAN\\pantau"
PASSWORD = "Rahasia-Kantor-2025"
# The Message-ID the hand-written Sent Items search (finditem_sentitems_found.xml) finds.
SENT_ID = "pantau.3b0c8f2e5d7a4c1e9f6b2a8d4c0e7f15@kecamatan.test"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _ids_in(name: str, tag: str) -> list[str]:
    tree = etree.fromstring(fixture(name))
    return [e.get("Id") for e in tree.iter(f"{{{NS['t']}}}{tag}")]


class FakeExchange:
    """Serves the hand-written responses over HTTP on 127.0.0.1 (see the module docstring).

    `auth`: "ntlm" (the NTLM handshake: 401 + Negotiate/NTLM, then the hand-written challenge, then
    the client's AUTHENTICATE message, whose user name is checked; the connection stays
    authenticated, as on IIS), "basic" or "oauth2" (Bearer tokens in `tokens`). `reject = True`
    answers every login with the hand-written 401."""

    def __init__(self, auth: str = "ntlm"):
        self.auth = auth
        self.reject = False
        self.tokens = {"token-1"}
        self.bearer_seen: list[str] = []
        self.operations: list[str] = []
        self.bodies: list[bytes] = []  # the SOAP requests, in order
        self.errors: list[str] = []
        self.inbox = ["msg1", "msg2"]
        self.folders: dict[tuple[str, str], str] = {}  # (parent key, display name) -> key
        self.moved: list[tuple[str, str]] = []  # (item key, folder key)
        self.sent: list[bytes] = []  # MIME content posted with CreateItem
        self.created_items: list[etree._Element] = []
        self.send_error: str | None = None  # a CreateItem fixture to answer with instead
        self.busy = 0  # answer this many inbox FindItems with ErrorServerBusy (errorserverbusy.xml)
        self.many: dict[str, int] = {}  # a generated inbox (item id -> n) served page by page
        self.pages: list[tuple[int, int]] = []  # (Offset, MaxEntriesReturned) of each FindItem
        self.finditem_at: list[float] = []
        self.key = {}
        for key in ("root", "msgfolderroot", "inbox", "sentitems"):
            self.key[_ids_in(f"getfolder_{key}.xml", "FolderId")[0]] = key
        for key in ("pantau", "diproses"):
            self.key[_ids_in(f"createfolder_{key}.xml", "FolderId")[0]] = key
        for key in ("msg1", "msg2"):
            self.key[_ids_in(f"getitem_{key}.xml", "ItemId")[0]] = key
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/EWS/Exchange.asmx"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- routing -----------------------------------------------------------------------------

    def answer(self, body: bytes) -> tuple[int, bytes]:
        tree = etree.fromstring(body)
        op = tree.find("s:Body", NS)[0]
        name = etree.QName(op).localname
        self.operations.append(name)
        self.bodies.append(body)
        route = getattr(self, f"_{name}", None)
        if route is None:
            return self._unexpected(f"operation {name}")
        return route(op)

    def _unexpected(self, what: str) -> tuple[int, bytes]:
        self.errors.append(what)
        fault = (
            '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{s}"><s:Body><s:Fault>'
            "<faultcode>a:ErrorInvalidRequest</faultcode><faultstring>no response written for: {w}"
            "</faultstring></s:Fault></s:Body></s:Envelope>"
        ).format(s=NS["s"], w=what)
        return 500, fault.encode()

    def _ok(self, name: str) -> tuple[int, bytes]:
        return 200, fixture(name)

    def _ConvertId(self, op) -> tuple[int, bytes]:
        return self._ok("convertid_version.xml")

    def _GetFolder(self, op) -> tuple[int, bytes]:
        ids = op.findall(".//t:DistinguishedFolderId", NS)
        if len(ids) != 1 or ids[0].get("Id") not in ("root", "msgfolderroot", "inbox", "sentitems"):
            return self._unexpected("GetFolder of " + etree.tostring(op).decode())
        return self._ok(f"getfolder_{ids[0].get('Id')}.xml")

    def _folder_key(self, op, path: str) -> str | None:
        elem = op.find(path, NS)
        if elem is None:
            return None
        if etree.QName(elem).localname == "DistinguishedFolderId":
            return elem.get("Id")
        return self.key.get(elem.get("Id"))

    def _FindFolder(self, op) -> tuple[int, bytes]:
        parent = self._folder_key(op, "m:ParentFolderIds/*")
        const = op.find(".//m:Restriction//t:Constant", NS)
        if op.get("Traversal") != "Shallow" or const is None:
            return self._unexpected("FindFolder without a shallow DisplayName restriction")
        key = self.folders.get((parent, const.get("Value")))
        return self._ok(f"findfolder_{key}.xml" if key else "findfolder_none.xml")

    def _CreateFolder(self, op) -> tuple[int, bytes]:
        parent = self._folder_key(op, "m:ParentFolderId/*")
        names = [e.text for e in op.findall("m:Folders/t:Folder/t:DisplayName", NS)]
        if len(names) != 1 or (parent, names[0]) not in (
            ("msgfolderroot", "Pantau"),
            ("pantau", "Diproses"),
        ):
            return self._unexpected(f"CreateFolder {names} in {parent}")
        if (parent, names[0]) in self.folders:
            return self._ok("createfolder_exists.xml")
        key = names[0].lower()
        self.folders[(parent, names[0])] = key
        return self._ok(f"createfolder_{key}.xml")

    def _FindItem(self, op) -> tuple[int, bytes]:
        folder = self._folder_key(op, "m:ParentFolderIds/*")
        self.finditem_at.append(time.monotonic())
        if folder == "inbox" and self.busy > 0:
            self.busy -= 1
            return 500, fixture("errorserverbusy.xml")
        if folder == "inbox" and self.many:
            return self._page(op)
        if folder == "inbox":
            name = "_".join(self.inbox) or "empty"
            return self._ok(f"finditem_inbox_{name}.xml")
        if folder == "sentitems":
            const = op.find(".//m:Restriction//t:Constant", NS)
            field = op.find(".//m:Restriction//t:FieldURI", NS)
            if const is None or field.get("FieldURI") != "message:InternetMessageId":
                return self._unexpected(
                    "FindItem in Sent Items without an InternetMessageId restriction"
                )
            sent_ids = {
                str(email.message_from_bytes(m).get("Message-ID", "")).strip() for m in self.sent
            }
            found = const.get("Value") in sent_ids and const.get("Value") == f"<{SENT_ID}>"
            return self._ok(
                "finditem_sentitems_found.xml" if found else "finditem_sentitems_empty.xml"
            )
        return self._unexpected(f"FindItem in {folder}")

    def _GetItem(self, op) -> tuple[int, bytes]:
        ids = op.findall("m:ItemIds/t:ItemId", NS)
        fields = {e.get("FieldURI") for e in op.findall(".//t:AdditionalProperties/t:FieldURI", NS)}
        if len(ids) != 1 or "item:MimeContent" not in fields:
            return self._unexpected("GetItem of more than one item, or without MimeContent")
        if ids[0].get("Id") in self.many:
            n = self.many[ids[0].get("Id")]
            return 200, fixture("getitem_page.xml").replace(
                b"{mime}", base64.b64encode(page_message(n))
            ).replace(b"{id}", ids[0].get("Id").encode())
        key = self.key.get(ids[0].get("Id"))
        return self._ok(f"getitem_{key}.xml" if key in self.inbox else "getitem_notfound.xml")

    def _page(self, op) -> tuple[int, bytes]:
        """FindItem over an inbox of len(self.many) items, one IndexedPageItemView page at a time
        (finditem_inbox_page.xml: IndexedPagingOffset, TotalItemsInView, IncludesLastItemInRange
        as the FindItem operation reference describes them)."""
        view = op.find("m:IndexedPageItemView", NS)
        if view is None or view.get("BasePoint") != "Beginning":
            return self._unexpected(
                "FindItem in the inbox without an IndexedPageItemView from the beginning"
            )
        offset, size = int(view.get("Offset", "0")), int(view.get("MaxEntriesReturned", "0"))
        self.pages.append((offset, size))
        ids = list(self.many)[offset : offset + size]
        items = "\n".join(
            f'              <t:Message><t:ItemId Id="{i}" '
            'ChangeKey="CQAAABYAAAAT2nB+d5hCTW6pESwZokW7AABaPA=="/>'
            f"<t:DateTimeReceived>2025-10-14T02:{n // 60:02d}:{n % 60:02d}Z"
            "</t:DateTimeReceived></t:Message>"
            for n, i in ((self.many[i], i) for i in ids)
        )
        last = offset + len(ids) >= len(self.many)
        body = (
            fixture("finditem_inbox_page.xml")
            .decode()
            .format(
                next_offset=offset + len(ids),
                total=len(self.many),
                last="true" if last else "false",
                items=items,
            )
        )
        return 200, body.encode()

    def _MoveItem(self, op) -> tuple[int, bytes]:
        ids = op.findall("m:ItemIds/t:ItemId", NS)
        to = self._folder_key(op, "m:ToFolderId/*")
        if len(ids) != 1 or to not in self.folders.values():
            return self._unexpected(f"MoveItem to {to}")
        key = self.key.get(ids[0].get("Id"))
        if key not in self.inbox:
            return self._ok("moveitem_notfound.xml")
        self.inbox.remove(key)
        self.moved.append((key, to))
        return self._ok(f"moveitem_{key}.xml")

    def _CreateItem(self, op) -> tuple[int, bytes]:
        mime = op.find("m:Items/t:Message/t:MimeContent", NS)
        saved = self._folder_key(op, "m:SavedItemFolderId/*")
        if (
            op.get("MessageDisposition") != "SendAndSaveCopy"
            or mime is None
            or saved != "sentitems"
        ):
            return self._unexpected("CreateItem other than SendAndSaveCopy of MIME into Sent Items")
        if self.send_error:
            return self._ok(self.send_error)
        self.sent.append(base64.b64decode(mime.text))
        self.created_items.append(op)
        return self._ok("createitem_sendandsavecopy.xml")

    # ---- HTTP --------------------------------------------------------------------------------

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: NTLM authenticates a connection

            def setup(self):
                super().setup()
                self.authenticated = False

            def log_message(self, *args):
                pass

            def _raw(self, name: str) -> None:
                lines = fixture(name).decode().strip().splitlines()
                self.send_response(int(lines[0].split()[1]))
                for line in lines[1:]:
                    key, _, value = line.partition(": ")
                    self.send_header(key, value)
                self.end_headers()

            def _login(self) -> bool:
                header = self.headers.get("Authorization", "")
                if server.auth == "basic":
                    good = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                    if header != good or server.reject:
                        self._raw("http401_basic.http")
                        return False
                    return True
                if server.auth == "oauth2":
                    token = header.removeprefix("Bearer ")
                    server.bearer_seen.append(token)
                    if (
                        not header.startswith("Bearer ")
                        or token not in server.tokens
                        or server.reject
                    ):
                        self._raw("http401_bearer.http")
                        return False
                    return True
                if self.authenticated:
                    return True
                if not header.startswith("NTLM "):
                    self._raw("http401_ntlm.http")
                    return False
                blob = base64.b64decode(header[5:])
                kind = struct.unpack("<I", blob[8:12])[0]
                if kind == 1:
                    self._raw("http401_ntlm_challenge.http")
                    return False
                length, _, offset = struct.unpack("<HHI", blob[36:44])
                user = blob[offset : offset + length].decode("utf-16-le")
                if kind != 3 or server.reject or user.lower() != USER.split("\\")[1]:
                    self._raw("http401_ntlm.http")
                    return False
                self.authenticated = True
                return True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/EWS/Exchange.asmx":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if not self._login():
                    return
                try:
                    status, data = server.answer(body)
                except Exception as e:  # noqa: BLE001 - reported by the test, not raised here
                    status, data = server._unexpected(repr(e))
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-FEServer", "EXCH01")
                self.end_headers()
                self.wfile.write(data)

        return Handler


@pytest.fixture
def exchange():
    server = FakeExchange()
    yield server
    server.stop()
    assert not server.errors, server.errors


def make(fake: FakeExchange, **kw) -> EwsTransport:
    settings = dict(
        server=fake.url,
        address=ADDRESS,
        username=USER,
        password=PASSWORD,
        auth=fake.auth,
        timeout=5,
        poll_interval=0.2,
    )
    settings.update(kw)
    return EwsTransport(EwsSettings(**settings))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def letter(message_id: str = SENT_ID, to: str = "camat@kecamatan.test", cc: str = "") -> bytes:
    cc_line = f"Cc: {cc}\r\n" if cc else ""
    return (
        f"From: Pantau Kinerja Kecamatan <{ADDRESS}>\r\nTo: {to}\r\n{cc_line}"
        "Subject: [PK-2025-TW3] [#4HQ2-M8ZT] Konsep laporan kinerja triwulan III\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Mon, 13 Oct 2025 15:02:00 +0700\r\n"
        "Auto-Submitted: auto-generated\r\nX-Pantau-Token: 4HQ2-M8ZT\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nYth. Camat, balas SETUJU atau REVISI.\r\n"
    ).encode()


# ---- the recordings themselves --------------------------------------------------------------


def page_message(n: int) -> bytes:
    return (
        f"From: Seksi {n} <unit{n}@kecamatan.test>\r\nTo: {ADDRESS}\r\nSubject: Formulir {n}\r\n"
        f"Message-ID: <paged-{n}@kecamatan.test>\r\nDate: Tue, 14 Oct 2025 09:10:41 +0700\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTerlampir.\r\n"
    ).encode()


def test_fixtures_are_described_as_hand_written():
    """Nobody may take them for captures of a real server: wherever they are described, they are
    "hand-written from the EWS documentation"."""
    for text in ((FIXTURES / "README.md").read_text(), __doc__ or "",
                 (Path(__file__).parents[1] / "README.md").read_text()):
        text = " ".join(text.split())
        assert "hand-written from the EWS documentation" in text
        assert "recorded protocol responses" not in text and "RECORDED" not in text


def test_fixture_mime_content_is_the_eml_files():
    for key in ("msg1", "msg2"):
        tree = etree.fromstring(fixture(f"getitem_{key}.xml"))
        mime = tree.find(".//t:MimeContent", NS)
        assert base64.b64decode(mime.text) == fixture(f"{key}.eml")


# ---- reading ---------------------------------------------------------------------------------


def test_fetch_two_messages_byte_for_byte(exchange):
    t = make(exchange)
    try:
        got = list(t.fetch_new())
    finally:
        t.close()
    assert [g.raw for g in got] == [fixture("msg1.eml"), fixture("msg2.eml")]
    subjects = [parse_message(g.raw).subject for g in got]
    assert subjects == [
        "BLS: [PK-2025-TW3] [#4HQ2-M8ZT] Konsep laporan kinerja triwulan III",
        "BLS: [PK-2025-TW3] [#7K2M-9QXD] Formulir pemantauan – Seksi Pemerintahan",
    ]
    item_id, changekey = split_ref(got[0].ref)
    assert exchange.key[item_id] == "msg1" and changekey
    # The version probe, the inbox (root, then inbox), the list, one GetItem per message.
    assert exchange.operations == [
        "ConvertId",
        "GetFolder",
        "GetFolder",
        "FindItem",
        "GetItem",
        "GetItem",
    ]


def test_file_creates_the_folder_path_and_moves(exchange):
    t = make(exchange)
    try:
        first, second = list(t.fetch_new())
        t.file(first.ref, DIPROSES)
        assert exchange.folders == {
            ("msgfolderroot", "Pantau"): "pantau",
            ("pantau", "Diproses"): "diproses",
        }
        assert exchange.moved == [("msg1", "diproses")]
        assert exchange.inbox == ["msg2"]
        # The folders are known now: the second message is only moved.
        before = len(exchange.operations)
        t.file(second.ref, DIPROSES)
        assert exchange.operations[before:] == ["MoveItem"]
        # Filing again (a replay, a crash after the move) finds the item gone: nothing to do.
        t.file(first.ref, DIPROSES)
        assert exchange.moved == [("msg1", "diproses"), ("msg2", "diproses")]
        assert list(t.fetch_new()) == []
    finally:
        t.close()


def test_file_finds_existing_folders(exchange):
    exchange.folders = {("msgfolderroot", "Pantau"): "pantau", ("pantau", "Diproses"): "diproses"}
    t = make(exchange)
    try:
        first = next(iter(t.fetch_new()))
        t.file(first.ref, DIPROSES)
    finally:
        t.close()
    assert "CreateFolder" not in exchange.operations
    assert exchange.moved == [("msg1", "diproses")]


# ---- sending ---------------------------------------------------------------------------------


def test_send_posts_the_exact_mime_and_find_sent_finds_it(exchange):
    t = make(exchange)
    raw = letter(cc="sekretaris@kecamatan.test")
    try:
        assert t.find_sent(SENT_ID) is False
        result = t.send(raw, ADDRESS, ["camat@kecamatan.test", "sekretaris@kecamatan.test"])
        assert result.refused == {}
        assert exchange.sent == [raw]
        assert f"<{SENT_ID}>".encode() in exchange.sent[0]
        # Everyone is in the headers: no Bcc added.
        assert exchange.created_items[0].find(".//t:BccRecipients", NS) is None
        assert t.find_sent(SENT_ID) is True
        assert t.find_sent(f"<{SENT_ID}>") is True
        assert t.find_sent("pantau.0000@kecamatan.test") is False
    finally:
        t.close()


def test_send_adds_recipients_missing_from_the_headers_as_bcc(exchange):
    t = make(exchange)
    try:
        t.send(letter(), ADDRESS, ["camat@kecamatan.test", "arsip@kecamatan.test"])
    finally:
        t.close()
    bcc = exchange.created_items[0].findall(".//t:BccRecipients/t:Mailbox/t:EmailAddress", NS)
    assert [e.text for e in bcc] == ["arsip@kecamatan.test"]


def test_send_refuses_header_addresses_that_are_not_recipients(exchange):
    t = make(exchange)
    try:
        with pytest.raises(TransportError) as e:
            t.send(letter(cc="sekretaris@kecamatan.test"), ADDRESS, ["camat@kecamatan.test"])
    finally:
        t.close()
    assert not e.value.temporary and "sekretaris@kecamatan.test" in str(e.value)
    assert "CreateItem" not in exchange.operations


def test_send_refused_by_exchange_is_permanent(exchange):
    exchange.send_error = "createitem_invalidrecipients.xml"
    t = make(exchange)
    try:
        with pytest.raises(TransportError) as e:
            t.send(letter(), ADDRESS, ["camat@kecamatan.test"])
    finally:
        t.close()
    assert not e.value.temporary
    assert "ErrorInvalidRecipients" in str(e.value)


# ---- waiting ---------------------------------------------------------------------------------


def test_wait_wakes_for_mail_not_yet_fetched(exchange):
    t = make(exchange)
    try:
        start = time.monotonic()
        assert t.wait(5) is True
        assert time.monotonic() - start < 2
        got = list(t.fetch_new())
        # Fetched but not filed: nothing new, so wait() sleeps out its time.
        start = time.monotonic()
        assert t.wait(0.6) is False
        assert time.monotonic() - start >= 0.55
        for g in got:
            t.file(g.ref, DIPROSES)
        assert t.wait(0.3) is False
    finally:
        t.close()


def test_wait_returns_after_timeout_when_the_server_is_down():
    t = EwsTransport(
        EwsSettings(
            server=f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx",
            address=ADDRESS,
            username=USER,
            password=PASSWORD,
            timeout=5,
            poll_interval=0.2,
        )
    )
    try:
        start = time.monotonic()
        assert t.wait(1.5) is False
        took = time.monotonic() - start
    finally:
        t.close()
    assert 1.4 <= took < 4


@pytest.mark.slow
def test_fetch_pages_past_100_items(exchange):
    # 150 messages in the inbox: FindItem returns them 100 at a time (IncludesLastItemInRange
    # "false" and IndexedPagingOffset 100 on the first page), and every one is fetched, in order.
    exchange.inbox = []
    exchange.many = {f"AAMkAGM1MWYzYTJlLThiN2QtNGUxOS1hMGM2LTVkMmY4ZTliMWE0NwBGAAAAAAP{n:04d}": n
                     for n in range(150)}
    t = make(exchange)
    try:
        got = list(t.fetch_new())
    finally:
        t.close()
    assert exchange.pages == [(0, 100), (100, 100)]
    assert len(got) == 150
    assert [parse_message(g.raw).message_id for g in got] == [
        f"paged-{n}@kecamatan.test" for n in range(150)
    ]


def test_server_busy_is_a_temporary_error_in_indonesian(exchange):
    exchange.busy = 1
    t = make(exchange)
    try:
        with pytest.raises(TransportError) as e:
            list(t.fetch_new())
        assert e.value.temporary and "server Exchange sedang sibuk" in str(e.value)
        # The server is no longer busy: the next round reads both messages.
        assert len(list(t.fetch_new())) == 2
    finally:
        t.close()


def test_wait_backs_off_as_long_as_server_busy_asks(exchange):
    # errorserverbusy.xml asks for BackOffMilliseconds = 1500: the next FindItem comes no sooner,
    # though the poll interval is 0.2 s; then the waiting mail is seen.
    exchange.busy = 1
    t = make(exchange)
    try:
        start = time.monotonic()
        assert t.wait(6) is True
        took = time.monotonic() - start
    finally:
        t.close()
    first, second = exchange.finditem_at[:2]
    assert second - first >= 1.45, second - first
    assert took < 4


# ---- checking --------------------------------------------------------------------------------


def test_check_passes(exchange):
    t = make(exchange)
    assert t.check() == []


def test_check_reports_a_401_in_indonesian(exchange):
    exchange.reject = True
    t = make(exchange)
    problems = t.check()
    assert len(problems) == 1
    assert "login 'KECAMATAN\\pantau' ditolak server (HTTP 401, otentikasi NTLM)" in problems[0]
    assert PASSWORD not in problems[0]


def test_check_reports_refused_connection_and_dns():
    t = EwsTransport(
        EwsSettings(
            server=f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx",
            address=ADDRESS,
            username=USER,
            password=PASSWORD,
            timeout=5,
        )
    )
    (problem,) = t.check()
    assert "ditolak; server tidak berjalan atau port salah" in problem
    t = EwsTransport(
        EwsSettings(
            server="exchange.tidak-ada.invalid",
            address=ADDRESS,
            username=USER,
            password=PASSWORD,
            timeout=5,
        )
    )
    (problem,) = t.check()
    assert "nama server 'exchange.tidak-ada.invalid' tidak dapat ditemukan (DNS)" in problem


def test_check_reports_a_missing_inbox_folder(exchange):
    t = make(exchange, folder_masuk="Kotak Pantau")
    (problem,) = t.check()
    assert problem == f"EWS: folder masuk 'Kotak Pantau' tidak ada di kotak surat {ADDRESS}"


def test_check_reports_a_wrong_ews_path(exchange):
    t = make(exchange, server=exchange.url.replace("/EWS/Exchange.asmx", "/owa/"))
    (problem,) = t.check()
    assert "tidak melayani EWS (HTTP 404)" in problem


# ---- other logins ----------------------------------------------------------------------------


def test_basic_login():
    server = FakeExchange(auth="basic")
    try:
        t = make(server)
        assert [g.raw for g in t.fetch_new()] == [fixture("msg1.eml"), fixture("msg2.eml")]
        t.close()
        server.reject = True
        (problem,) = make(server).check()
        assert "otentikasi Basic" in problem
    finally:
        server.stop()
    assert not server.errors, server.errors


def test_oauth2_token_is_read_again_after_a_401(monkeypatch):
    # oauthlib refuses Bearer tokens over plain http; the fake server has no TLS.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    server = FakeExchange(auth="oauth2")
    tokens = iter(["token-1", "token-2"])
    try:
        t = make(server, username="", password="", oauth2_token=lambda: next(tokens))
        assert len(list(t.fetch_new())) == 2
        assert set(server.bearer_seen) == {"token-1"}
        server.tokens = {"token-2"}  # token-1 expired
        assert t.find_sent(SENT_ID) is False
        assert server.bearer_seen[-1] == "token-2"
        t.close()
    finally:
        server.stop()
    assert not server.errors, server.errors


def test_oauth2_token_is_renewed_after_its_lifetime(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    server = FakeExchange(auth="oauth2")
    server.tokens = {"token-1", "token-2"}
    tokens = iter(["token-1", "token-2"])
    now = [0.0]
    try:
        settings = EwsSettings(
            server=server.url,
            address=ADDRESS,
            auth="oauth2",
            oauth2_token=lambda: next(tokens),
            token_lifetime=600,
            timeout=5,
        )
        t = EwsTransport(settings, monotonic=lambda: now[0])
        assert t.find_sent(SENT_ID) is False
        now[0] = 601.0
        assert t.find_sent(SENT_ID) is False
        t.close()
    finally:
        server.stop()
    assert server.bearer_seen[0] == "token-1" and server.bearer_seen[-1] == "token-2"
    assert not server.errors, server.errors


# ---- the factory -----------------------------------------------------------------------------


def test_factory_builds_the_transport_from_the_config(tmp_path, monkeypatch):
    import shutil

    from daemon.config import ConfigError, load_config
    from daemon.mail.transports.factory import ews_transport

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "config", tmp_path / "config")
    shutil.copytree(root / "templates", tmp_path / "templates")
    path = tmp_path / "config" / "pantau.toml"
    shipped = path.read_text(encoding="utf-8").replace(
        'transport = "maildir"', 'transport = "ews"', 1
    )

    def load(ews: str):
        path.write_text(shipped + "\n[mail.ews]\n" + ews, encoding="utf-8")
        return load_config(path)

    monkeypatch.setenv("PANTAU_EWS_PASSWORD", PASSWORD)
    cfg = load('server = "mail.kecamatan.test"\nusername = "KECAMATAN\\\\pantau"\n')
    t = ews_transport(cfg)
    assert t.name == "ews"
    s = t.settings
    assert s.endpoint == "https://mail.kecamatan.test/EWS/Exchange.asmx" and s.auth == "ntlm"
    assert (s.username, s.password, s.address) == (USER, PASSWORD, cfg.mail.alamat)
    assert (s.folder_masuk, s.folder_diproses) == ("INBOX", "Pantau/Diproses")

    (tmp_path / "token").write_text("token-dari-berkas\n")
    cfg = load(
        'server = "https://mail.kecamatan.test/EWS/Exchange.asmx"\nauth = "oauth2"\n'
        '[mail.ews.oauth2]\ntoken_file = "token"\n'
    )
    s = ews_transport(cfg).settings
    assert s.auth == "oauth2" and s.oauth2_token() == "token-dari-berkas"

    with pytest.raises(ConfigError) as e:
        load('server = "mail.kecamatan.test"\nauth = "oauth2"\n')
    assert any(p.startswith("mail.ews.oauth2: belum diisi") for p in e.value.problems)
    with pytest.raises(ConfigError) as e:
        load('server = "mail.kecamatan.test"\n')
    assert any(p.startswith("mail.ews.username: belum diisi") for p in e.value.problems)
