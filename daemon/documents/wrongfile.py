"""Naming a file that is not a fillable form, and saying how to send a DOCX instead (SPEC §6.2).

`describe(data, filename)` returns one Indonesian sentence for the sender: what the file is
(an old Word .doc, an Excel .xls, a password-protected Office file, an ODT/ODS, a PDF, a JPEG,
PNG or HEIC photo, ...) judged by its content (the name is only a hint), followed by how to send
the form as DOCX. It returns "" for a DOCX/XLSX zip, which the form reader judges itself.
"""

from __future__ import annotations

import io
import zipfile

from daemon.documents.safezip import is_zip

__all__ = ["describe", "kind_of"]

HOW_DOCX = (
    "buka formulir yang dikirim Pantau (lampiran e-mail permintaan data) di Word, WPS atau "
    "LibreOffice, isi, lalu simpan sebagai \u201cWord Document (*.docx)\u201d dan lampirkan "
    "berkas .docx itu dengan membalas e-mail ini"
)

_NAMES = {
    "doc": "berkas Word format lama (.doc)",
    "xls": "berkas Excel format lama (.xls)",
    "encrypted": "berkas Office yang dikunci kata sandi",
    "ole": "berkas Office format lama (.doc/.xls/.ppt)",
    "odt": "berkas OpenDocument Text (.odt, LibreOffice Writer)",
    "ods": "berkas OpenDocument Spreadsheet (.ods, LibreOffice Calc)",
    "odf": "berkas OpenDocument (LibreOffice)",
    "pdf": "berkas PDF (hasil cetak atau pindaian), bukan formulir yang dapat diisi",
    "jpeg": "foto/gambar JPEG",
    "png": "gambar PNG (misalnya tangkapan layar)",
    "heic": "foto HEIC (kamera iPhone)",
    "gif": "gambar GIF",
    "webp": "gambar WebP",
    "tiff": "gambar TIFF (hasil pindaian)",
    "bmp": "gambar BMP",
    "rtf": "berkas RTF",
    "html": "halaman web (HTML)",
    "text": "berkas teks biasa (bukan formulir DOCX/XLSX)",
    "empty": "berkas kosong",
    "zip": "arsip ZIP yang bukan formulir DOCX/XLSX",
    "unknown": "berkas yang jenisnya tidak dikenali (bukan formulir DOCX/XLSX)",
}

_HOW = {
    "doc": "simpan ulang dengan \u201cSave As\u201d \u2192 "
    "\u201cWord Document (*.docx)\u201d, atau " + HOW_DOCX,
    "xls": "simpan ulang dengan \u201cSave As\u201d \u2192 \u201cExcel Workbook (*.xlsx)\u201d, "
    "atau " + HOW_DOCX,
    "encrypted": "buka kunci kata sandinya (File \u2192 Info \u2192 Protect Document \u2192 "
    "Encrypt with Password, kosongkan) lalu kirim ulang, atau " + HOW_DOCX,
    "odt": "di LibreOffice pilih File \u2192 Save As, jenis \u201cWord 2007-365 (.docx)\u201d, "
    "atau " + HOW_DOCX,
    "ods": "di LibreOffice pilih File \u2192 Save As, jenis \u201cExcel 2007-365 (.xlsx)\u201d, "
    "atau " + HOW_DOCX,
    "odf": "simpan sebagai DOCX (File \u2192 Save As \u2192 Word 2007-365), atau " + HOW_DOCX,
    "rtf": "simpan sebagai DOCX (File \u2192 Save As \u2192 Word Document), atau " + HOW_DOCX,
}
_IMAGE = ("jpeg", "png", "heic", "gif", "webp", "tiff", "bmp")


def kind_of(data: bytes) -> str:
    """What the bytes are: doc | xls | encrypted | ole | odt | ods | odf | pdf | jpeg | png |
    heic | gif | webp | tiff | bmp | rtf | html | text | empty | docx | xlsx | zip | unknown."""
    if not data:
        return "empty"
    if is_zip(data):
        return _zip_kind(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        head = data[:65536]
        if "EncryptedPackage".encode("utf-16-le") in head:
            return "encrypted"
        if "WordDocument".encode("utf-16-le") in head:
            return "doc"
        if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
            return "xls"
        return "ole"
    if data.startswith(b"%PDF") or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG"):
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in (
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif",
    ):
        return "heic"
    if data.startswith(b"GIF8"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if data.startswith(b"BM"):
        return "bmp"
    head = data[:512].lstrip().lower()
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    try:
        data[:4096].decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            if "mimetype" in names:
                info = z.getinfo("mimetype")
                mime = z.read("mimetype")[:100] if info.file_size <= 100 else b""
                if b"opendocument.text" in mime:
                    return "odt"
                if b"opendocument.spreadsheet" in mime:
                    return "ods"
                if b"opendocument" in mime:
                    return "odf"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return "zip"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return "zip"


def describe(data: bytes, filename: str = "") -> str:
    """'<file>: <what it is> tidak dapat dibaca sebagai formulir; <how to send a DOCX>.' or ""
    for a DOCX/XLSX (the form reader judges those)."""
    kind = kind_of(data)
    if kind in ("docx", "xlsx"):
        return ""
    what = _NAMES.get(kind, _NAMES["unknown"])
    how = _HOW.get(kind, HOW_DOCX)
    if kind in _IMAGE:
        how = "foto atau tangkapan layar formulir tidak dapat dibaca angkanya; " + HOW_DOCX
    elif kind == "pdf":
        how = "PDF tidak dapat dibaca angkanya; " + HOW_DOCX
    name = f"{filename}: " if filename else ""
    return f"{name}{what} tidak dapat dibaca sebagai formulir; {how}."
