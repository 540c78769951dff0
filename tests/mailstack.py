"""A private Postfix + Dovecot mail system on loopback, for tests that need real SMTP and IMAP.

`MailStack` starts its own Postfix (`postfix -c <dir>`) and Dovecot (`dovecot -c <conf>`) under a
temporary directory, leaving `/etc` and the system daemons alone:

- Postfix listens on 127.0.0.1 on free high ports (SMTP with STARTTLS, and SMTPS), accepts mail
  for `kecamatan.test` only (every other domain is refused at RCPT TO, and every transport but
  LMTP is an error, so nothing can leave the machine) and hands it over LMTP to Dovecot. SMTP
  AUTH (PLAIN, LOGIN, XOAUTH2) goes through Dovecot's auth socket; no AUTH is needed either.
- Dovecot serves IMAP (STARTTLS) and IMAPS on 127.0.0.1, one Maildir per user ("." as folder
  separator), users from a static passwd-file, all with `PASSWORD`. XOAUTH2 works with the
  password as the bearer token (Dovecot 2.3 checks the token against the passdb).
- TLS uses a self-signed certificate made with openssl at start (`cert_file`, to pass as
  `ca_file`), or with the `cryptography` package when openssl is missing: `tls` is always True.
- An unknown local user is refused by Dovecot's LMTP, so Postfix sends a real DSN bounce back.

Use the session-scoped `mailstack` fixture: it skips when Postfix/Dovecot are missing or not
root, and fails instead when the environment variable CI is set. Under pytest-xdist each worker
gets its own stack.

    from mailstack import mailstack_fixture  # noqa: F401  (registers the `mailstack` fixture)

    def test_it(mailstack):
        user = mailstack.new_user()                  # a fresh, empty mailbox (no reload wait)
        mailstack.send("camat@kecamatan.test", user.address, raw)
        got = mailstack.wait_for(user.name, lambda m: b"Subject: x" in m, timeout=5)
        raws = mailstack.messages(user.name, "Pantau.Diproses")
        client = mailstack.imap(user.name)           # a logged-in IMAPClient

Faults for later tests: `restart_dovecot()`, `stop_dovecot()`/`start_dovecot()`, and
`smtp_defer()` (a context manager) during which Postfix answers `451 4.3.0` at RCPT TO for every
recipient: it rewrites a `check_recipient_access` texthash map, runs `postfix reload` and waits
until a probe sees the new answer (~0.1 s). The address `tunda@kecamatan.test` is always answered
with 451 and `tolak@kecamatan.test` with 550, with no reload at all.

Start ~0.3-0.5 s, Dovecot restart ~0.1 s (at most ~0.4 s), stop ~0.05 s. Running as root is
required (Postfix's master must start as root). Stacks left behind by a killed test run are
stopped and removed by the next start (their directories record the owning pid).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

DOMAIN = "kecamatan.test"
PASSWORD = "rahasia-uji-123"
USERS = ("pantau", "camat", "sekretaris", "kasubag", "sek", "pem", "trantib", "pmd", "kesos")
PACKAGES = "postfix dovecot-imapd dovecot-lmtpd openssl"
HOST = "127.0.0.1"
# Always deferred / always refused at RCPT TO, for fault tests that need no reload.
DEFER_ADDRESS = f"tunda@{DOMAIN}"
REJECT_ADDRESS = f"tolak@{DOMAIN}"

POOL_SIZE = 200  # fresh mailboxes for new_user()

_PREFIX = "pantau-mailstack-"
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def _which(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in _SBIN:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def binaries() -> dict[str, str] | None:
    """Paths of postfix, postconf and dovecot, or None when any is missing."""
    found = {n: _which(n) for n in ("postfix", "postconf", "dovecot")}
    if not all(found.values()):
        return None
    lmtp = Path("/usr/lib/dovecot/lmtp")
    imap = Path("/usr/lib/dovecot/imap")
    if not (lmtp.exists() and imap.exists()):
        return None
    return found  # type: ignore[return-value]


def unavailable_reason() -> str | None:
    """Why the stack cannot run here, or None when it can."""
    if binaries() is None:
        return (
            f"Postfix/Dovecot not installed: run scripts/install-mail-stack.sh "
            f"(apt-get install {PACKAGES})"
        )
    if os.geteuid() != 0:
        return "the private Postfix+Dovecot stack must run as root (Postfix's master needs it)"
    return None


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (from the kernel's ephemeral, high range)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _proc_state(pid: int) -> str | None:
    """The process's state letter from /proc (Z = zombie), or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _pid_alive(pid: int) -> bool:
    """True while the process runs; a zombie (exited, not yet reaped by init) counts as gone."""
    state = _proc_state(pid)
    return state is not None and state not in ("Z", "X")


def _group_members(pgid: int) -> list[int]:
    """Living processes of a process group (a daemon's master and the children it forked)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            out.append(int(entry.name))
    return out


def _stop_group(pid: int, timeout: float) -> None:
    """Stop a daemon: SIGTERM to its process group (the master, which called setsid(), and the
    children it forked), then SIGKILL whatever of that group is left after `timeout`.

    Signalling only the master is slower and leaves Dovecot's imap processes serving their
    clients until they notice. Even so, Dovecot's master sleeps a second before it exits when
    clients were connected (and a login process may wait for it): the short grace period cuts
    that; every client has had its BYE by then."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_members(pid):
            return
        time.sleep(0.01)
    for member in _group_members(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)
    _wait_gone(pid, 2)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        # Reap it if it happens to be our child (it normally is not: both daemons fork).
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)
    return not _pid_alive(pid)


def dovecot_version(dovecot: str) -> tuple[int, ...]:
    out = subprocess.run([dovecot, "--version"], capture_output=True, text=True).stdout
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", out.strip())
    if not m:
        return (2, 3, 0)
    return tuple(int(x) for x in m.groups() if x is not None)


@dataclasses.dataclass(frozen=True)
class User:
    name: str
    password: str

    @property
    def address(self) -> str:
        return f"{self.name}@{DOMAIN}"


class MailStackError(RuntimeError):
    pass


class MailStack:
    """A private Postfix+Dovecot pair under one temporary directory. See the module docstring."""

    def __init__(self, root: str | os.PathLike | None = None, password: str = PASSWORD):
        bins = binaries()
        if bins is None:
            raise MailStackError(unavailable_reason() or "mail stack unavailable")
        self.bins = bins
        self.password = password
        self._own_root = root is None
        self.root = Path(root) if root is not None else None
        self.smtp_port = 0
        self.imap_port = 0
        self.smtps_port = 0  # SMTP with TLS from the first byte (0 when TLS is off)
        self.imaps_port = 0
        self.tls = False  # True once the certificate is made: STARTTLS, SMTPS and IMAPS
        self.users: dict[str, User] = {}
        self.timings: dict[str, float] = {}
        self._user_seq = 0
        # Users written before Dovecot starts, handed out by new_user().
        self._pool = [f"kotak{i:03d}" for i in range(1, POOL_SIZE + 1)]
        self.dovecot_version = dovecot_version(bins["dovecot"])

    # ---- paths -------------------------------------------------------------------------------

    @property
    def postfix_dir(self) -> Path:
        return self.root / "postfix"

    @property
    def dovecot_conf(self) -> Path:
        return self.root / "dovecot" / "dovecot.conf"

    @property
    def dovecot_base(self) -> Path:
        return self.root / "dovecot" / "run"

    @property
    def lmtp_socket(self) -> Path:
        return self.dovecot_base / "lmtp"

    @property
    def auth_socket(self) -> Path:
        return self.dovecot_base / "auth-client"

    @property
    def postfix_log(self) -> Path:
        return self.root / "log" / "postfix.log"

    @property
    def dovecot_log(self) -> Path:
        return self.root / "log" / "dovecot.log"

    @property
    def cert_file(self) -> Path:
        """The stack's self-signed certificate (for mail.kecamatan.test, localhost, 127.0.0.1):
        pass it as `ca_file` to trust the stack's TLS."""
        return self.root / "tls" / "cert.pem"

    @property
    def key_file(self) -> Path:
        return self.root / "tls" / "key.pem"

    def _make_certificate(self) -> bool:
        openssl = _which("openssl")
        (self.root / "tls").mkdir(exist_ok=True)
        if openssl is None:
            return self._make_certificate_in_python()
        r = subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "3",
                "-subj",
                f"/CN=mail.{DOMAIN}",
                "-addext",
                f"subjectAltName=DNS:mail.{DOMAIN},DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(self.key_file),
                "-out",
                str(self.cert_file),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if r.returncode != 0:
            return self._make_certificate_in_python()
        os.chmod(self.key_file, 0o644)  # read by Postfix's smtpd (user postfix) too
        return True

    def _make_certificate_in_python(self) -> bool:
        """The same self-signed certificate made with the `cryptography` package, so the TLS
        tests never depend on the openssl program."""
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"mail.{DOMAIN}")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=3))
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName(f"mail.{DOMAIN}"),
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                    serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        os.chmod(self.key_file, 0o644)  # read by Postfix's smtpd (user postfix) too
        return True

    def maildir(self, user: str) -> Path:
        """The user's Maildir (INBOX: cur/ new/; other folders: .Name.Sub/)."""
        return self.root / "mail" / user / "Maildir"

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> MailStack:
        t0 = time.monotonic()
        cleanup_stale_stacks()
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix=_PREFIX))
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "owner.pid").write_text(f"{os.getpid()}\n")
        # Postfix (as user postfix) and Dovecot's unprivileged processes walk these paths.
        os.chmod(self.root, 0o755)
        for d in ("log", "mail", "dovecot", "postfix", "postfix-queue"):
            (self.root / d).mkdir(exist_ok=True)
            os.chmod(self.root / d, 0o755)
        os.chown(self.root / "mail", *self._mail_ids())
        ports: set[int] = set()
        while len(ports) < 4:
            ports.add(free_port())
        self.smtp_port, self.imap_port, self.smtps_port, self.imaps_port = sorted(ports)
        self.tls = self._make_certificate()
        if not self.tls:
            self.smtps_port = self.imaps_port = 0
        for u in (*USERS, *self._pool):
            self.users.setdefault(u, User(u, self.password))
        self._write_users()
        self._write_dovecot_conf()
        self._write_postfix_conf()
        try:
            self._start_dovecot()
            self._start_postfix()
        except BaseException:
            self.stop()
            raise
        self.timings["start"] = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Stop both daemons (clean shutdown, then SIGKILL if needed) and remove the directory."""
        if self.root is None:
            return
        t0 = time.monotonic()
        self._stop_postfix()
        self._stop_dovecot()
        self.timings["stop"] = time.monotonic() - t0
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def restart_dovecot(self) -> None:
        """Stop and start Dovecot: every IMAP client is disconnected (BYE, then EOF)."""
        t0 = time.monotonic()
        self._stop_dovecot()
        self._start_dovecot()
        self.timings["restart_dovecot"] = time.monotonic() - t0

    def stop_dovecot(self) -> None:
        self._stop_dovecot()

    def start_dovecot(self) -> None:
        self._start_dovecot()

    def __enter__(self) -> MailStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- users -------------------------------------------------------------------------------

    def add_user(self, name: str, password: str | None = None) -> User:
        """Add a mailbox `name@kecamatan.test`.

        Dovecot rereads its passwd-file at most once a second, so on a running stack this waits
        until Dovecot knows the user (up to ~1 s); `new_user()` is instant."""
        user = User(name, password if password is not None else self.password)
        self.users[name] = user
        if self.root is not None and (self.root / "users").exists():
            self._write_users()
            self._wait_user_known(name)
        return user

    def new_user(self, prefix: str = "kotak") -> User:
        """A fresh user with an empty mailbox, unique within this stack. Taken from a pool
        written before Dovecot started (no reload wait); `prefix` is used once it runs out."""
        while self._pool:
            name = self._pool.pop(0)
            if name in self.users:
                return self.users[name]
        self._user_seq += 1
        return self.add_user(f"{prefix}{self._user_seq}")

    def _wait_user_known(self, name: str, timeout: float = 5.0) -> None:
        doveadm = _which("doveadm")
        if doveadm is None or self._dovecot_pidfile.exists() is False:
            time.sleep(1.1)
            return
        deadline = time.monotonic() + timeout
        while True:
            r = subprocess.run(
                [doveadm, "-c", str(self.dovecot_conf), "user", name],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if r.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise MailStackError(f"Dovecot does not know the new user {name}")
            time.sleep(0.1)

    def address(self, user: str) -> str:
        return f"{user}@{DOMAIN}"

    # ---- using it ----------------------------------------------------------------------------

    def send(self, sender: str, to: str | Iterable[str], raw: bytes) -> dict:
        """Submit one message over SMTP (no AUTH). Returns smtplib's refused-recipients dict."""
        rcpts = [to] if isinstance(to, str) else list(to)
        with smtplib.SMTP(HOST, self.smtp_port, timeout=10) as s:
            return s.sendmail(sender, rcpts, raw)

    def imap(self, user: str, password: str | None = None):
        """A logged-in IMAPClient for `user` (plain IMAP on loopback). Close it with logout()."""
        from imapclient import IMAPClient

        c = IMAPClient(HOST, self.imap_port, ssl=False, timeout=10)
        c.login(user, password if password is not None else self._password_of(user))
        return c

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """Raw messages in a user's folder (in UID order); [] when the folder does not exist."""
        c = self.imap(user)
        try:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            if not uids:
                return []
            data = c.fetch(uids, ["BODY.PEEK[]"])
            return [data[u][b"BODY[]"] for u in sorted(data)]
        finally:
            with contextlib.suppress(Exception):
                c.logout()

    def wait_for(
        self,
        user: str,
        predicate: Callable[[bytes], bool] | None = None,
        timeout: float = 10.0,
        folder: str = "INBOX",
    ) -> bytes:
        """Poll a mailbox until a message satisfying `predicate` is there; returns it.

        Raises AssertionError (with the tail of the logs) after `timeout` seconds."""
        predicate = predicate or (lambda raw: True)
        deadline = time.monotonic() + timeout
        seen: set[int] = set()
        c = None
        try:
            while True:
                try:
                    if c is None:
                        c = self.imap(user)
                    if c.folder_exists(folder):
                        c.select_folder(folder, readonly=True)
                        new = [u for u in c.search("ALL") if u not in seen]
                        if new:
                            data = c.fetch(new, ["BODY.PEEK[]"])
                            for uid in sorted(data):
                                seen.add(uid)
                                raw = data[uid][b"BODY[]"]
                                if predicate(raw):
                                    return raw
                except (OSError, Exception) as e:  # Dovecot may be restarting: try again
                    if c is not None:
                        with contextlib.suppress(Exception):
                            c.shutdown()
                    c = None
                    if time.monotonic() > deadline:
                        raise AssertionError(f"IMAP error while waiting: {e}") from e
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"no matching message for {user} in {folder} after {timeout}s\n"
                        + self.log_tail()
                    )
                time.sleep(0.05)
        finally:
            if c is not None:
                with contextlib.suppress(Exception):
                    c.logout()

    def log_tail(self, lines: int = 20) -> str:
        out = []
        for p in (self.postfix_log, self.dovecot_log):
            try:
                tail = p.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                tail = ["(no log)"]
            out.append(f"--- {p.name}\n" + "\n".join(tail))
        return "\n".join(out)

    @contextlib.contextmanager
    def smtp_defer(
        self, reply: str = "451 4.3.0 Uji: sistem sibuk, coba lagi nanti"
    ) -> Iterator[None]:
        """While inside, Postfix answers `reply` (a 4xx) at RCPT TO for every recipient."""
        self._set_defer(reply)
        try:
            yield
        finally:
            self._set_defer(None)

    def reload_postfix(self) -> None:
        self._postfix("reload")

    # ---- configuration -----------------------------------------------------------------------

    def _password_of(self, user: str) -> str:
        u = self.users.get(user.split("@")[0])
        return u.password if u else self.password

    def _mail_ids(self) -> tuple[int, int]:
        # Dovecot refuses to access mail as root: mailboxes belong to the system user "mail".
        try:
            pw = pwd.getpwnam("mail")
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            return 65534, 65534

    def _write_users(self) -> None:
        uid, gid = self._mail_ids()
        lines = []
        for u in self.users.values():
            home = self.root / "mail" / u.name
            lines.append(f"{u.name}:{{PLAIN}}{u.password}:{uid}:{gid}::{home}::nodelay=yes")
        path = self.root / "users"
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)

    def _write_dovecot_conf(self) -> None:
        d = self.root / "dovecot"
        for sub in ("run", "state"):
            (d / sub).mkdir(exist_ok=True)
        mail = self.root / "mail"
        users = self.root / "users"
        if self.dovecot_version >= (2, 4):
            conf = _DOVECOT_24.format(
                base=self.dovecot_base,
                state=d / "state",
                log=self.dovecot_log,
                port=self.imap_port,
                mail=mail,
                users=users,
                instance=self.root.name,
                tls=self._dovecot_tls(v24=True),
            )
        else:
            conf = _DOVECOT_23.format(
                base=self.dovecot_base,
                state=d / "state",
                log=self.dovecot_log,
                port=self.imap_port,
                mail=mail,
                users=users,
                instance=self.root.name,
                tls=self._dovecot_tls(v24=False),
            )
        self.dovecot_conf.write_text(conf)

    def _dovecot_tls(self, v24: bool) -> str:
        if not self.tls:
            return "ssl = no\n"
        listen = "listen" if v24 else "address"
        if v24:
            files = (
                f"ssl_server_cert_file = {self.cert_file}\nssl_server_key_file = {self.key_file}\n"
            )
        else:
            files = f"ssl_cert = <{self.cert_file}\nssl_key = <{self.key_file}\n"
            dh = Path("/usr/share/dovecot/dh.pem")
            if dh.exists():
                files += f"ssl_dh = <{dh}\n"
        return (
            "ssl = yes\n" + files + "service imap-login {\n  inet_listener imaps {\n"
            f"    {listen} = 127.0.0.1\n    port = {self.imaps_port}\n    ssl = yes\n  }}\n}}\n"
        )

    def _write_postfix_conf(self) -> None:
        d = self.postfix_dir
        main = _POSTFIX_MAIN.format(
            queue=self.root / "postfix-queue",
            data=self.root / "postfix-data",
            log=self.postfix_log,
            logdir=self.postfix_log.parent,
            lmtp=self.lmtp_socket,
            auth=self.auth_socket,
            access=d / "rcpt_access",
            domain=DOMAIN,
            defer=DEFER_ADDRESS,
            reject=REJECT_ADDRESS,
        )
        master = _POSTFIX_MASTER.format(host=HOST, port=self.smtp_port)
        if self.tls:
            main += (
                f"smtpd_tls_cert_file = {self.cert_file}\n"
                f"smtpd_tls_key_file = {self.key_file}\n"
                "smtpd_tls_security_level = may\n"
                "smtpd_tls_auth_only = no\n"
            )
            master += (
                f"{HOST}:{self.smtps_port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n"
                "tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n"
            )
        (d / "main.cf").write_text(main)
        (d / "master.cf").write_text(master)
        self._write_access(None)
        self._age_configs()

    def _write_access(self, defer_reply: str | None) -> None:
        p = self.postfix_dir / "rcpt_access"
        lines = [
            f"{DEFER_ADDRESS} 451 4.3.0 Uji: selalu ditunda",
            f"{REJECT_ADDRESS} 550 5.1.1 Uji: selalu ditolak",
        ]
        if defer_reply:
            lines.append(f"{DOMAIN} {defer_reply}")
        p.write_text("\n".join(lines) + "\n")

    def _age_configs(self) -> None:
        # Postfix ignores (and waits for) config files modified in the current second.
        past = time.time() - 10
        for f in self.postfix_dir.iterdir():
            os.utime(f, (past, past))

    # ---- Dovecot -----------------------------------------------------------------------------

    @property
    def _dovecot_pidfile(self) -> Path:
        return self.dovecot_base / "master.pid"

    def _start_dovecot(self) -> None:
        t0 = time.monotonic()
        pid = _read_pid(self._dovecot_pidfile)
        if pid is not None and not _pid_alive(pid):
            self._dovecot_pidfile.unlink(missing_ok=True)  # a killed Dovecot's stale pid file
        r = _run([self.bins["dovecot"], "-c", str(self.dovecot_conf)])
        if r.returncode != 0:
            raise MailStackError(f"dovecot failed to start: {r.stdout.strip()}\n{self.log_tail()}")
        _wait_port(HOST, self.imap_port, 10, "Dovecot IMAP", self)
        if self.tls:
            _wait_port(HOST, self.imaps_port, 10, "Dovecot IMAPS", self, greets=False)
        _wait_path(self.lmtp_socket, 10, "Dovecot LMTP socket", self)
        self.timings["start_dovecot"] = time.monotonic() - t0

    def _stop_dovecot(self) -> None:
        t0 = time.monotonic()
        pid = _read_pid(self._dovecot_pidfile)
        if pid is not None and _pid_alive(pid):
            _stop_group(pid, 0.3)
        self._dovecot_pidfile.unlink(missing_ok=True)
        self.timings["stop_dovecot"] = time.monotonic() - t0

    # ---- Postfix -----------------------------------------------------------------------------

    @property
    def _postfix_pidfile(self) -> Path:
        return self.root / "postfix-queue" / "pid" / "master.pid"

    def _postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        r = _run([self.bins["postfix"], "-c", str(self.postfix_dir), *args])
        if check and r.returncode != 0:
            raise MailStackError(
                f"postfix {' '.join(args)} failed ({r.returncode}): {r.stdout.strip()}\n"
                + self.log_tail()
            )
        return r

    def _start_postfix(self) -> None:
        t0 = time.monotonic()
        pid = _read_pid(self._postfix_pidfile)
        if pid is not None and not _pid_alive(pid):
            self._postfix_pidfile.unlink(missing_ok=True)
        self._postfix("start")
        _wait_port(HOST, self.smtp_port, 10, "Postfix SMTP", self)
        if self.tls:
            _wait_port(HOST, self.smtps_port, 10, "Postfix SMTPS", self, greets=False)
        self.timings["start_postfix"] = time.monotonic() - t0

    def _stop_postfix(self) -> None:
        pid = _read_pid(self._postfix_pidfile)
        if pid is None:
            return
        if _pid_alive(pid):
            # Like `postfix stop`, plus waiting until the master and its children are gone.
            _stop_group(pid, 2)
        self._postfix_pidfile.unlink(missing_ok=True)

    def _set_defer(self, reply: str | None) -> None:
        self._write_access(reply)
        self._age_configs()
        self._postfix("reload")
        # reload is asynchronous: wait until a fresh smtpd gives the expected answer.
        want_4xx = reply is not None
        deadline = time.monotonic() + 10
        while True:
            code = self._probe_rcpt(f"probe@{DOMAIN}")
            if (400 <= code < 500) == want_4xx:
                return
            if time.monotonic() > deadline:
                raise MailStackError(
                    f"Postfix did not switch defer={want_4xx} (RCPT answer {code})"
                )
            time.sleep(0.05)

    def _probe_rcpt(self, rcpt: str) -> int:
        try:
            with smtplib.SMTP(HOST, self.smtp_port, timeout=5) as s:
                s.ehlo()
                s.mail("")
                code, _ = s.rcpt(rcpt)
                s.rset()
                return code
        except (OSError, smtplib.SMTPException):
            return 0


def _run(args: list[str]) -> subprocess.CompletedProcess:
    """Run a command that may leave a daemon behind. Its output goes to a file, not a pipe: a
    forked daemon would keep a pipe open and make us wait forever."""
    with tempfile.TemporaryFile() as out:
        r = subprocess.run(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, close_fds=True
        )
        out.seek(0)
        r.stdout = out.read().decode(errors="replace")
    return r


def _wait_port(
    host: str, port: int, timeout: float, what: str, stack: MailStack, greets: bool = True
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1) as s:
                s.settimeout(2)
                if not greets or s.recv(64):  # both servers greet first (in clear text)
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise MailStackError(f"{what} not listening on {host}:{port}\n{stack.log_tail()}")
        time.sleep(0.01)


def _wait_path(path: Path, timeout: float, what: str, stack: MailStack) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise MailStackError(f"{what} missing: {path}\n{stack.log_tail()}")
        time.sleep(0.01)


def cleanup_stale_stacks() -> list[Path]:
    """Stop and remove stacks whose owning process is gone (a test run killed mid-way).

    Only daemons recorded in those directories' own pid files are signalled."""
    removed = []
    for d in Path(tempfile.gettempdir()).glob(_PREFIX + "*"):
        owner = _read_pid(d / "owner.pid")
        if owner is not None and _pid_alive(owner):
            continue
        if owner is None:
            # Being set up right now by another test process (pytest-xdist), unless it is old.
            try:
                if time.time() - d.stat().st_mtime < 600:
                    continue
            except OSError:
                continue
        for pidfile in (
            d / "postfix-queue" / "pid" / "master.pid",
            d / "dovecot" / "run" / "master.pid",
        ):
            pid = _read_pid(pidfile)
            if pid is not None and _pid_alive(pid):
                _stop_group(pid, 3)
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


# ---- pytest fixtures -----------------------------------------------------------------------------


def require_mailstack() -> None:
    """Skip (or, with CI set, fail) when the stack cannot run here."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI: real-mail tests need the packages {PACKAGES} and root: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", name="mailstack")
def mailstack_fixture() -> Iterator[MailStack]:
    """A running private Postfix+Dovecot stack, shared by the whole test session."""
    require_mailstack()
    stack = MailStack()
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


# ---- configuration templates ---------------------------------------------------------------------

_POSTFIX_MAIN = """\
# Private test instance: see tests/mailstack.py. Nothing leaves this machine.
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
maillog_file = {log}
maillog_file_prefixes = {logdir}
myhostname = mail.{domain}
mydomain = {domain}
myorigin = {domain}
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
relay_domains =
relayhost =
virtual_mailbox_domains = {domain}
virtual_transport = lmtp:unix:{lmtp}
local_transport = error:5.7.1 local delivery disabled in the test stack
default_transport = error:5.7.1 outbound mail disabled in the test stack
relay_transport = error:5.7.1 outbound mail disabled in the test stack
# Only the test domain is a destination, for everyone (no permit_mynetworks / sasl here).
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{access}, reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {auth}
smtpd_sasl_security_options = noanonymous
smtp_tls_security_level = none
biff = no
smtputf8_enable = yes
message_size_limit = 52428800
delay_warning_time = 0h
smtpd_banner = $myhostname ESMTP Pantau test stack
smtpd_error_sleep_time = 0
# A fresh LMTP connection per delivery (a cached one dies with every Dovecot restart), and
# quick retries of anything deferred all the same.
lmtp_connection_cache_on_demand = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 5s
"""

_POSTFIX_MASTER = """\
# service type private unpriv chroot wakeup maxproc command
{host}:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

_DOVECOT_23 = """\
# Private test instance (Dovecot 2.3): see tests/mailstack.py.
base_dir = {base}
state_dir = {state}
instance_name = {instance}
listen = 127.0.0.1
protocols = imap lmtp
{tls}disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
log_path = {log}
info_log_path = {log}
first_valid_uid = 1
mail_location = maildir:{mail}/%n/Maildir
mail_home = {mail}/%n
default_internal_user = dovecot
default_login_user = dovenull
recipient_delimiter = +
lda_mailbox_autocreate = yes
lmtp_save_to_detail_mailbox = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {users}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service auth {{
  unix_listener auth-client {{
    mode = 0666
  }}
}}
# No growing delays after failed logins (tests fail logins on purpose).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

# Dovecot 2.4 renamed most settings; not exercised on Debian 12 (which ships 2.3).
_DOVECOT_24 = """\
# Private test instance (Dovecot 2.4): see tests/mailstack.py.
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
base_dir = {base}
state_dir = {state}
instance_name = {instance}
listen = 127.0.0.1
protocols = imap lmtp
{tls}auth_allow_cleartext = yes
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
log_path = {log}
info_log_path = {log}
first_valid_uid = 1
auth_username_format = %{{user|username}}
mail_driver = maildir
mail_home = {mail}/%{{user|username}}
mail_path = {mail}/%{{user|username}}/Maildir
default_internal_user = dovecot
default_login_user = dovenull
recipient_delimiter = +
passdb passwd-file {{
  passwd_file_path = {users}
  default_password_scheme = PLAIN
}}
userdb passwd-file {{
  passwd_file_path = {users}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    listen = 127.0.0.1
    port = {port}
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service auth {{
  unix_listener auth-client {{
    mode = 0666
  }}
}}
# No growing delays after failed logins (tests fail logins on purpose).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""
