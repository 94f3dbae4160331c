"""The files of an official ESCO CSV export, found and read.

An ESCO download is a folder of CSV files, one per kind of content and language:
``skills_en.csv``, ``occupations_de.csv``, ``skillGroups_fr.csv`` ... Relation files carry no
language suffix in v1.1.x (``broaderRelationsSkillPillar.csv``) and one in v1.2.x
(``broaderRelationsSkillPillar_en.csv``). :func:`scan_export` finds the files in one or more
folders (every language present is merged) and checks each has the columns it needs;
:func:`read_rows` streams a file's rows.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode

# Some cells (hasTopConcept in conceptSchemes_*.csv) exceed the csv default limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

SCHEME = "http://data.europa.eu/esco/concept-scheme/"


# Collection files -> the concept scheme ESCO puts their members in
# (the scheme IRIs of conceptSchemes_*.csv; members list it in inScheme).
COLLECTION_SCHEMES = {
    "digitalSkillsCollection": SCHEME + "6c930acd-c104-4ece-acf7-f44fd7333036",
    "digCompSkillsCollection": SCHEME + "digcomp",
    "greenSkillsCollection": SCHEME + "green",
    "languageSkillsCollection": SCHEME + "skill-language-groups",
    "researchSkillsCollection": SCHEME + "research",
    "transversalSkillsCollection": SCHEME + "skill-transversal-groups",
    "researchOccupationsCollection": SCHEME + "8ae4b9f3-507e-4057-a145-2f96f0132613",
}

# Content that exists once, whatever the language of the file.
RELATION_KINDS = (
    "broaderRelationsSkillPillar",
    "broaderRelationsOccPillar",
    "occupationSkillRelations",
    "skillSkillRelations",
)
LABEL_KINDS = ("skills", "skillGroups", "skillsHierarchy", "occupations", "ISCOGroups", "conceptSchemes")
REQUIRED_KINDS = (
    "skills",
    "skillGroups",
    "occupations",
    "ISCOGroups",
    "broaderRelationsSkillPillar",
    "broaderRelationsOccPillar",
    "occupationSkillRelations",
    "skillSkillRelations",
)

# The columns each kind of file must have (further columns are ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "skills": ("conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "hiddenLabels", "inScheme", "description"),
    "skillGroups": ("conceptUri", "preferredLabel", "altLabels", "hiddenLabels", "inScheme", "description"),
    "skillsHierarchy": ("Level 0 URI", "Level 0 preferred term", "Level 1 URI", "Level 1 preferred term",
                        "Level 2 URI", "Level 2 preferred term", "Level 3 URI", "Level 3 preferred term"),
    "occupations": ("conceptUri", "iscoGroup", "preferredLabel", "altLabels", "hiddenLabels", "inScheme", "description", "code"),
    "ISCOGroups": ("conceptUri", "code", "preferredLabel", "altLabels", "inScheme", "description"),
    "conceptSchemes": ("conceptSchemeUri", "preferredLabel", "hasTopConcept"),
    "broaderRelationsSkillPillar": ("conceptUri", "broaderUri"),
    "broaderRelationsOccPillar": ("conceptUri", "broaderUri"),
    "occupationSkillRelations": ("occupationUri", "relationType", "skillUri"),
    "skillSkillRelations": ("originalSkillUri", "relationType", "relatedSkillUri"),
    "skillCollection": ("conceptUri", "preferredLabel", "altLabels", "description", "broaderConceptUri"),
    "occupationCollection": ("conceptUri", "preferredLabel", "altLabels", "description", "broaderConceptUri"),
}

_FILE_NAME = re.compile(r"^(?P<kind>[A-Za-z]+?)(?:_(?P<lang>[a-z]{2,3}(?:-[A-Za-z]+)?))?\.csv$")
_IRI_LIST = re.compile(r"[\s,|]+")
_VERSION = re.compile(r"v?(\d+\.\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class EscoFile:
    """One CSV file of an ESCO export."""

    path: Path
    kind: str  # skills, occupations, ..., skillCollection, occupationCollection
    lang: str | None  # None for v1.1 relation files without suffix
    scheme: str | None = None  # for collection files: the concept scheme of their members

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class EscoExport:
    """The files of an ESCO export found in one or more folders."""

    folders: tuple[Path, ...]
    files: tuple[EscoFile, ...]
    languages: tuple[str, ...]
    version: str
    ignored: tuple[str, ...] = ()

    def content_hash(self) -> str:
        """``sha256:<hex>`` over the names and bytes of every file read."""
        digest = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: (f.name, str(f.path))):
            digest.update(f.name.encode() + b"\0")
            with f.path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return "sha256:" + digest.hexdigest()

    @property
    def source(self) -> str:
        """What the provenance records as the source: folders and version."""
        return " + ".join(str(f) for f in self.folders) + f" (ESCO {self.version}, {'/'.join(self.languages)})"


def _kind_of(name: str) -> tuple[str, str | None, str | None] | None:
    match = _FILE_NAME.match(name)
    if not match:
        return None
    kind, lang = match.group("kind"), match.group("lang")
    if kind in COLLECTION_SCHEMES:
        collection_kind = "occupationCollection" if "Occupation" in kind else "skillCollection"
        return collection_kind, lang, COLLECTION_SCHEMES[kind]
    if kind in LABEL_KINDS or kind in RELATION_KINDS:
        return kind, lang, None
    return None


def scan_export(folders: Sequence[str | Path], version: str | None = None) -> EscoExport:
    """Find the ESCO CSV files in ``folders`` (one export, possibly several languages).

    Raises ValueError naming the folder and the missing files when the export
    lacks content every import needs (skills, occupations, their groups and
    relations in at least one language).
    """
    paths = [Path(f) for f in folders]
    if not paths:
        raise ValueError("no ESCO folder given")
    files: list[EscoFile] = []
    ignored: list[str] = []
    for folder in paths:
        if not folder.is_dir():
            raise ValueError(f"{folder}: not a folder; expected the unpacked ESCO CSV export (skills_en.csv, occupations_en.csv, ...)")
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() != ".csv":
                continue
            found = _kind_of(path.name)
            if found is None:
                ignored.append(path.name)
                continue
            files.append(EscoFile(path, *found))
    seen: dict[str, EscoFile] = {}
    for f in files:
        if f.kind in RELATION_KINDS:
            continue
        key = f.name
        if key in seen:
            raise ValueError(f"{f.name} is in both {seen[key].path.parent} and {f.path.parent}; expected each language once")
        seen[key] = f
    kinds = {f.kind for f in files}
    missing = [k for k in REQUIRED_KINDS if k not in kinds]
    if missing:
        where = ", ".join(str(p) for p in paths)
        names = ", ".join(f"{k}_<lang>.csv" if k in LABEL_KINDS else f"{k}.csv" for k in missing)
        raise ValueError(
            f"{where}: missing ESCO file(s) {names}; expected a complete ESCO CSV export "
            "(a partial language folder can be imported together with a complete one)"
        )
    # Relation files hold the same content in every language: read one copy,
    # the unsuffixed (v1.1) one or else English, else the first language.
    chosen: list[EscoFile] = []
    for kind in RELATION_KINDS:
        copies = sorted((f for f in files if f.kind == kind), key=lambda f: (f.lang is not None, f.lang != "en", f.lang or "", str(f.path)))
        chosen.extend(copies[:1])
    chosen.extend(f for f in files if f.kind not in RELATION_KINDS)
    languages = tuple(sorted({f.lang for f in chosen if f.lang}, key=lambda lang: (lang != "en", lang)))
    return EscoExport(tuple(paths), tuple(chosen), languages, version or _guess_version(paths), tuple(ignored))


def _guess_version(folders: Sequence[Path]) -> str:
    versions = []
    for folder in folders:
        match = _VERSION.search(folder.resolve().name)
        if match and match.group(1) not in versions:
            versions.append(match.group(1))
    return "+".join(f"v{v}" for v in versions) or "unknown version"


@dataclass
class Row:
    """One data row; ``get`` is '' for cells a short row leaves out."""

    file: EscoFile
    line: int
    cells: list[str]
    index: dict[str, int]

    def get(self, column: str) -> str:
        i = self.index[column]
        return self.cells[i].strip() if i < len(self.cells) else ""

    def where(self, column: str) -> str:
        return f"{self.file.name} line {self.line}, column {column!r}"

    def iri(self, column: str, required: bool = True) -> NamedNode | None:
        value = self.get(column)
        if not value:
            if required:
                raise ValueError(f"{self.where(column)}: empty; expected an IRI")
            return None
        return _iri(value, self, column)

    def iris(self, column: str) -> list[NamedNode]:
        return [_iri(v, self, column) for v in _IRI_LIST.split(self.get(column)) if v]


def _iri(value: str, row: Row, column: str | None = None) -> NamedNode:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{row.where(column or '?')}: {value[:80]!r} is not an IRI; expected http://data.europa.eu/esco/...")
    try:
        return NamedNode(value)
    except ValueError as exc:
        raise ValueError(f"{row.where(column or '?')}: invalid IRI {value[:80]!r} ({exc})") from exc


def read_rows(file: EscoFile) -> Iterator[Row]:
    """The data rows of ``file``, checked against the columns its kind needs.

    Raises ValueError naming the file (and line, column) for a missing column,
    a row with more cells than the header, broken quoting or bad encoding.
    """
    required = COLUMNS[file.kind]
    reader = None
    try:
        with file.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            try:
                header = next(reader)
            except StopIteration:
                raise ValueError(f"{file.name}: empty file; expected a CSV header with {', '.join(required)}") from None
            index = {name.strip(): i for i, name in enumerate(header)}
            missing = [c for c in required if c not in index]
            if missing:
                raise ValueError(
                    f"{file.name}: missing column {', '.join(repr(c) for c in missing)}; "
                    f"expected an ESCO {file.kind} file with columns {', '.join(required)}"
                )
            width = len(header)
            # Cells may hold line breaks: a record starts after the previous one ends.
            start = reader.line_num + 1
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not cells:
                    continue
                if len(cells) > width:
                    raise ValueError(
                        f"{file.name} line {line}: {len(cells)} cells but the header has {width}; "
                        "expected one record per row (check the quoting)"
                    )
                yield Row(file, line, cells, index)
    except csv.Error as exc:
        raise ValueError(f"{file.name} line {reader.line_num}: malformed CSV ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{file.name} near line {reader.line_num + 1 if reader else 1}: not UTF-8 text; "
                         "expected the ESCO CSV export as downloaded") from exc
