"""Opening untrusted Office files safely: zip limits, a hardened XML parser.

A DOCX or XLSX that arrives by e-mail is a zip of XML parts written by anyone. Before reading a
byte of XML we check the zip's member count, total uncompressed size and compression ratio
(zip bombs), and every XML part is parsed with entity resolution, network access, DTDs and huge
trees refused (billion laughs, XXE). Problems are raised as `UnsafeFile` with an Indonesian
message for the sender; the form reader turns that into a FormResult error.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from dataclasses import dataclass

from lxml import etree


@dataclass(frozen=True)
class ReadLimits:
    max_total_bytes: int = 20 * 1024 * 1024  # sum of the members' uncompressed sizes
    max_ratio: float = 100.0  # uncompressed / compressed, per member and overall
    max_members: int = 2000
    ratio_floor: int = 64 * 1024  # members smaller than this are not ratio-checked


class UnsafeFile(Exception):
    """The file is refused; str(exc) is the Indonesian explanation for the sender."""


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_comments=True,
    remove_pis=True,
)

MSG_DTD = (
    "berkas ditolak: berisi deklarasi DTD/entitas XML yang tidak diizinkan pada dokumen "
    "Office; kirimkan formulir asli yang dibuat Pantau"
)


def parse_xml(data: bytes) -> etree._Element:
    """Parse one XML part with the hardened parser; DTDs are refused outright."""
    head = data[:4096]
    if (
        b"<!DOCTYPE" in data
        or b"<!ENTITY" in data
        or (head.startswith((b"\xff\xfe", b"\xfe\xff")) and b"<\x00!\x00D\x00O\x00C" in data)
    ):
        raise UnsafeFile(MSG_DTD)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnsafeFile(f"berkas rusak: bagian XML tidak dapat dibaca ({exc.msg})") from None
    if root is None:
        raise UnsafeFile("berkas rusak: bagian XML kosong")
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeFile(MSG_DTD)
    return root


class Package:
    """A checked zip: `read(name)` returns a member's bytes (None when absent)."""

    def __init__(self, data: bytes, limits: ReadLimits):
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise UnsafeFile("berkas rusak: arsip DOCX/XLSX tidak dapat dibuka") from None
        if len(infos) > limits.max_members:
            raise UnsafeFile(
                f"berkas ditolak: berisi {len(infos)} bagian (batas {limits.max_members}); "
                "kemungkinan berkas rusak atau berbahaya"
            )
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos)
        if total > limits.max_total_bytes:
            raise UnsafeFile(
                f"berkas ditolak: isinya setelah diekstrak {total // (1024 * 1024)} MB, melebihi "
                f"batas {limits.max_total_bytes // (1024 * 1024)} MB (kemungkinan zip bomb); "
                "kirimkan formulir tanpa gambar atau lampiran besar"
            )
        for i in infos:
            if i.file_size >= limits.ratio_floor and i.file_size > limits.max_ratio * max(
                i.compress_size, 1
            ):
                raise UnsafeFile(
                    "berkas ditolak: rasio kompresi tidak wajar (kemungkinan zip bomb); "
                    "kirimkan formulir asli yang dibuat Pantau"
                )
        if total >= limits.ratio_floor and total > limits.max_ratio * max(packed, 1):
            raise UnsafeFile("berkas ditolak: rasio kompresi tidak wajar (kemungkinan zip bomb)")
        self.infos = {i.filename: i for i in infos}
        self.limits = limits
        self._data = data
        self._xml: dict[str, etree._Element | None] = {}

    def fingerprint(self, name: str) -> bytes | None:
        """A digest of a member as stored (its compressed bytes, method, size and CRC), without
        inflating it: equal fingerprints mean equal content, so what was read from one member
        can be reused for the other (docxgrid's hidden styles). None when absent or when the
        local header is not where the directory says."""
        info = self.infos.get(name)
        if info is None:
            return None
        at = info.header_offset
        head = self._data[at : at + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            return None
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        start = at + 30 + name_len + extra_len
        stored = self._data[start : start + info.compress_size]
        if len(stored) != info.compress_size:
            return None
        h = hashlib.blake2b(stored, digest_size=20)
        h.update(struct.pack("<HQQI", info.compress_type, info.file_size, info.compress_size,
                             info.CRC))
        return h.digest()

    def names(self) -> list[str]:
        return list(self.infos)

    def read(self, name: str) -> bytes | None:
        info = self.infos.get(name)
        if info is None:
            return None
        try:
            with self.zip.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ):
            raise UnsafeFile(f"berkas rusak: bagian {name} tidak dapat dibaca") from None
        if len(data) > info.file_size:
            raise UnsafeFile("berkas ditolak: ukuran isi tidak sesuai dengan keterangannya")
        return data

    def xml(self, name: str) -> etree._Element | None:
        """A member parsed with the hardened parser (cached); None when absent."""
        if name not in self._xml:
            data = self.read(name)
            self._xml[name] = None if data is None else parse_xml(data)
        return self._xml[name]


def is_zip(data: bytes) -> bool:
    """A zip package (DOCX, XLSX, ODT, ...); what else a file is, `wrongfile.kind_of` tells."""
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06"))


NOT_A_FORM = "berkas ini bukan formulir pemantauan (tabel dengan kolom Realisasi tidak ditemukan)"
