"""Reading the documents to import: files, directories and zip archives, and what is refused by name.

Each document comes out as a :class:`SourceDocument`: its display name and
bytes, or why it could not be read (too large, unreadable, an unsafe archive)
or was left out (not a document). Nothing here parses JSON; that is the first
per-document step (:mod:`credgraph.graph.sources.document_steps`).
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from credgraph.graph.sources.jsonld_contexts import DocumentError

DOCUMENT_SUFFIXES = (".json", ".jsonld", ".json-ld")
# Read so that they are refused by name (EDC XML), never skipped in silence.
REFUSED_SUFFIXES = (".xml",)


@dataclass(frozen=True)
class SourceDocument:
    """One document to import: its display name and bytes, or why it could not be read (or was skipped)."""

    name: str
    data: bytes | None = None
    error: str | None = None
    skipped: str | None = None  # a file of a directory or archive that is no document: why it was left out


def iter_documents(paths: Iterable[str | Path], max_bytes: int) -> Iterator[SourceDocument]:
    """The documents named by ``paths``: files, directories (recursively: *.json, *.jsonld) and zip archives."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file():
                    continue
                if child.suffix.lower() in DOCUMENT_SUFFIXES + REFUSED_SUFFIXES or child.suffix.lower() == ".zip":
                    yield from _file_documents(child, max_bytes)
                else:
                    yield SourceDocument(str(child), skipped=_skip_reason(child.name))
        elif path.exists():
            yield from _file_documents(path, max_bytes)
        else:
            yield SourceDocument(str(path), error=f"{path}: no such file or directory")


def _file_documents(path: Path, max_bytes: int) -> Iterator[SourceDocument]:
    name = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        yield SourceDocument(name, error=f"{name}: cannot read ({exc.strerror})")
        return
    if not stat.S_ISREG(info.st_mode):
        yield SourceDocument(name, error=f"{name}: not a regular file")
        return
    if path.suffix.lower() == ".zip":
        yield from _zip_documents(path, max_bytes)
        return
    if info.st_size > max_bytes:
        yield SourceDocument(name, error=f"{name}: {info.st_size:,} bytes is over the document size limit of {max_bytes:,} bytes")
        return
    try:
        yield SourceDocument(name, path.read_bytes())
    except OSError as exc:
        yield SourceDocument(name, error=f"{name}: cannot read ({exc.strerror})")


def unsafe_zip_entry(entry: str) -> bool:
    """True for entry names that would escape an extraction directory (absolute, ``..``, drive letters)."""
    normal = entry.replace("\\", "/")
    parts = PurePosixPath(normal).parts
    return normal.startswith("/") or ".." in parts or bool(re.match(r"^[A-Za-z]:", normal))


def _zip_documents(path: Path, max_bytes: int) -> Iterator[SourceDocument]:
    name = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield SourceDocument(name, error=f"{name}: not a readable zip archive ({exc})")
        return
    with archive:
        entries = [e for e in archive.infolist() if not e.is_dir()]
        unsafe = [e.filename for e in entries if unsafe_zip_entry(e.filename)]
        if unsafe:
            # The whole archive is refused: an archive built to escape a directory is not trusted for anything.
            yield SourceDocument(name, error=f"{name}: zip archive has unsafe entry names (path traversal): {', '.join(repr(u) for u in unsafe[:5])}; nothing imported from it")
            return
        for entry in entries:
            entry_name = f"{name}!{entry.filename}"
            if not entry.filename.lower().endswith(DOCUMENT_SUFFIXES + REFUSED_SUFFIXES):
                yield SourceDocument(entry_name, skipped=_skip_reason(entry.filename))
                continue
            if entry.file_size > max_bytes:
                yield SourceDocument(entry_name, error=f"{entry_name}: {entry.file_size:,} bytes is over the document size limit of {max_bytes:,} bytes")
                continue
            try:
                with archive.open(entry) as handle:
                    data = handle.read(max_bytes + 1)  # never trust the declared size alone
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                yield SourceDocument(entry_name, error=f"{entry_name}: cannot read from the archive ({exc})")
                continue
            if len(data) > max_bytes:
                yield SourceDocument(entry_name, error=f"{entry_name}: over the document size limit of {max_bytes:,} bytes")
                continue
            yield SourceDocument(entry_name, data)


def _skip_reason(filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    kind = f"a {suffix} file" if suffix else "a file without extension"
    return f"{kind}, not a credential document (imported: {', '.join(DOCUMENT_SUFFIXES)}; refused by name: {', '.join(REFUSED_SUFFIXES)})"


_EDC_XML = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?europassCredential\b|xmlns(?::\w+)?=[\"']http://data\.europa\.eu/snb[\"']")


EDC_UPLOAD_CONTEXT = ["https://www.w3.org/2018/credentials/v1", "http://data.europa.eu/snb/model/context/edc-ap"]


def upload_form_credential(credential: dict, name: str) -> dict:
    """The credential inside an EDC upload form (``{"credential": {...}}``), with the contexts EDC gives it."""
    if "@context" in credential:
        return credential
    types = credential.get("type")
    types = types if isinstance(types, list) else [types]
    if "EuropeanDigitalCredential" not in types and "VerifiableCredential" not in types:
        raise DocumentError(f'{name}: {{"credential": ...}} holds no EuropeanDigitalCredential or VerifiableCredential')
    return {"@context": list(EDC_UPLOAD_CONTEXT), **credential}


def xml_problem(data: bytes, name: str) -> str | None:
    """Why an XML document is refused (named by its format), or None if ``data`` is not XML.

    EDC issued credentials as XML (ELM v2, ``europassCredential`` in the
    ``http://data.europa.eu/snb`` namespace) from 2019 to 2023; credgraph reads
    the JSON-LD of ELM 3. Only the first 4 KB are looked at.
    """
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return None
    if _EDC_XML.search(head):
        return (f"{name}: EDC XML (ELM v2) credential: not supported; credgraph imports EDC JSON-LD (ELM 3.x) "
                "credentials: issue it again as JSON-LD from EDC")
    return f"{name}: an XML document: not supported; credgraph imports JSON-LD credentials (EDC ELM 3.x, Open Badges 3.0)"
