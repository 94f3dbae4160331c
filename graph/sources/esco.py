"""Reading the official ESCO CSV export into one SKOS graph.

An ESCO download is a folder of CSV files, one per kind of content and
language: ``skills_en.csv``, ``occupations_de.csv``, ``skillGroups_fr.csv`` ...
Relation files carry no language suffix in v1.1.x
(``broaderRelationsSkillPillar.csv``) and one in v1.2.x
(``broaderRelationsSkillPillar_en.csv``). :func:`scan_export` finds the files
in one or more folders (every language present is merged);
:func:`esco_triples` streams the RDF, row by row, without holding the export
in memory; :func:`import_esco` replaces the ESCO vocabulary graph with it.

The RDF follows the ESCO model (``http://data.europa.eu/esco/model#``):
skills are ``skos:Concept, esco:Skill`` with ``esco:skillType`` and
``esco:skillReuseLevel``; occupations carry ``esco:relatedEssentialSkill`` and
``esco:relatedOptionalSkill``; collections (digital, green, transversal,
language ...) are concept schemes that their members are ``skos:inScheme`` of,
as ESCO publishes them.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Provenance, Store

# Some cells (hasTopConcept in conceptSchemes_*.csv) exceed the csv default limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

ESCO_GRAPH = ns.vocab_graph("esco")
SCHEME = "http://data.europa.eu/esco/concept-scheme/"
ISCED_F = "http://data.europa.eu/esco/isced-f/"
SKILL_TYPE = "http://data.europa.eu/esco/skill-type/"
REUSE_LEVEL = "http://data.europa.eu/esco/skill-reuse-level/"

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


def _n(local: str, base: str) -> NamedNode:
    return NamedNode(base + local)


RDF_TYPE = _n("type", ns.RDF)
SKOS_CONCEPT = _n("Concept", ns.SKOS)
SKOS_SCHEME = _n("ConceptScheme", ns.SKOS)
PREF = _n("prefLabel", ns.SKOS)
ALT = _n("altLabel", ns.SKOS)
HIDDEN = _n("hiddenLabel", ns.SKOS)
DEFINITION = _n("definition", ns.SKOS)
SCOPE_NOTE = _n("scopeNote", ns.SKOS)
NOTATION = _n("notation", ns.SKOS)
IN_SCHEME = _n("inScheme", ns.SKOS)
BROADER = _n("broader", ns.SKOS)
TOP_CONCEPT = _n("hasTopConcept", ns.SKOS)
TOP_CONCEPT_OF = _n("topConceptOf", ns.SKOS)
DESCRIPTION = _n("description", ns.DC)
ESCO_SKILL = _n("Skill", ns.ESCO)
# The CSV calls these conceptType SkillGroup / ISCOGroup; the classes mirror that.
ESCO_SKILL_GROUP = _n("SkillGroup", ns.ESCO)
ESCO_OCCUPATION = _n("Occupation", ns.ESCO)
ESCO_ISCO_GROUP = _n("ISCOGroup", ns.ESCO)
SKILL_TYPE_P = _n("skillType", ns.ESCO)
REUSE_LEVEL_P = _n("skillReuseLevel", ns.ESCO)
ESSENTIAL = _n("relatedEssentialSkill", ns.ESCO)
OPTIONAL = _n("relatedOptionalSkill", ns.ESCO)
RELATION = {"essential": ESSENTIAL, "optional": OPTIONAL}
SKILL_TYPES = {"skill/competence": _n("skill", SKILL_TYPE), "knowledge": _n("knowledge", SKILL_TYPE)}
REUSE_LEVELS = {level: _n(level, REUSE_LEVEL) for level in ("transversal", "cross-sector", "sector-specific", "occupation-specific")}
SKILLS_SCHEME = _n("skills", SCHEME)
HIERARCHY_SCHEME = _n("skills-hierarchy", SCHEME)


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


@dataclass
class EscoStats:
    """What :func:`esco_triples` produced."""

    skills: set[str] = field(default_factory=set)
    occupations: set[str] = field(default_factory=set)
    skill_groups: set[str] = field(default_factory=set)
    isco_groups: set[str] = field(default_factory=set)
    occupation_skill_relations: int = 0
    skill_skill_relations: int = 0
    broader_relations: int = 0
    rows: int = 0
    triples: int = 0  # as produced, before duplicates are merged


@dataclass(frozen=True)
class EscoImportResult:
    """The outcome of :func:`import_esco`, for the CLI to render."""

    graph: str
    source: str
    version: str
    languages: tuple[str, ...]
    skills: int
    occupations: int
    skill_groups: int
    isco_groups: int
    occupation_skill_relations: int
    skill_skill_relations: int
    broader_relations: int
    triples: int  # distinct triples now in the graph
    seconds: float
    ignored: tuple[str, ...] = ()
    unchanged: bool = False  # the store already held exactly these files


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


# -- reading CSV -------------------------------------------------------------

@dataclass
class _Row:
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


def _iri(value: str, row: _Row, column: str | None = None) -> NamedNode:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{row.where(column or '?')}: {value[:80]!r} is not an IRI; expected http://data.europa.eu/esco/...")
    try:
        return NamedNode(value)
    except ValueError as exc:
        raise ValueError(f"{row.where(column or '?')}: invalid IRI {value[:80]!r} ({exc})") from exc


def read_rows(file: EscoFile) -> Iterator[_Row]:
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
                yield _Row(file, line, cells, index)
    except csv.Error as exc:
        raise ValueError(f"{file.name} line {reader.line_num}: malformed CSV ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{file.name} near line {reader.line_num + 1 if reader else 1}: not UTF-8 text; "
                         "expected the ESCO CSV export as downloaded") from exc


# -- triples -------------------------------------------------------------------

def _labels(row: _Row, subject: NamedNode, lang: str, pref: str, alt: str | None,
            hidden: str | None = None, separator: str = "\n") -> Iterator[Triple]:
    label = row.get(pref)
    if label:
        yield Triple(subject, PREF, Literal(label, language=lang))
    for column, predicate in ((alt, ALT), (hidden, HIDDEN)):
        if column:
            for value in row.get(column).split(separator):
                value = value.strip()
                if value:
                    yield Triple(subject, predicate, Literal(value, language=lang))


def _texts(row: _Row, subject: NamedNode, lang: str, columns: Iterable[tuple[str, NamedNode]]) -> Iterator[Triple]:
    for column, predicate in columns:
        if column in row.index:
            value = row.get(column)
            if value:
                yield Triple(subject, predicate, Literal(value, language=lang))


def _in_schemes(row: _Row, subject: NamedNode, column: str = "inScheme") -> Iterator[Triple]:
    for scheme in row.iris(column):
        yield Triple(subject, IN_SCHEME, scheme)


def _code(row: _Row, subject: NamedNode, column: str = "code") -> Iterator[Triple]:
    code = row.get(column) if column in row.index else ""
    if not code and subject.value.startswith(ISCED_F):
        code = subject.value[len(ISCED_F):]
    if code:
        yield Triple(subject, NOTATION, Literal(code))


_TEXT_COLUMNS = (("description", DESCRIPTION), ("definition", DEFINITION), ("scopeNote", SCOPE_NOTE))


def _skill(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptUri")
    stats.skills.add(s.value)
    yield Triple(s, RDF_TYPE, SKOS_CONCEPT)
    yield Triple(s, RDF_TYPE, ESCO_SKILL)
    skill_type = row.get("skillType")
    if skill_type:
        if skill_type not in SKILL_TYPES:
            raise ValueError(f"{row.where('skillType')}: {skill_type!r}; expected one of {', '.join(SKILL_TYPES)}")
        yield Triple(s, SKILL_TYPE_P, SKILL_TYPES[skill_type])
    reuse = row.get("reuseLevel")
    if reuse:
        if reuse not in REUSE_LEVELS:
            raise ValueError(f"{row.where('reuseLevel')}: {reuse!r}; expected one of {', '.join(REUSE_LEVELS)}")
        yield Triple(s, REUSE_LEVEL_P, REUSE_LEVELS[reuse])
    yield from _labels(row, s, lang, "preferredLabel", "altLabels", "hiddenLabels")
    yield from _texts(row, s, lang, _TEXT_COLUMNS)
    yield from _in_schemes(row, s)


def _skill_group(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptUri")
    stats.skill_groups.add(s.value)
    yield Triple(s, RDF_TYPE, SKOS_CONCEPT)
    yield Triple(s, RDF_TYPE, ESCO_SKILL_GROUP)
    yield from _labels(row, s, lang, "preferredLabel", "altLabels", "hiddenLabels")
    yield from _texts(row, s, lang, _TEXT_COLUMNS)
    yield from _in_schemes(row, s)
    yield from _code(row, s)


def _occupation(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptUri")
    stats.occupations.add(s.value)
    yield Triple(s, RDF_TYPE, SKOS_CONCEPT)
    yield Triple(s, RDF_TYPE, ESCO_OCCUPATION)
    yield from _labels(row, s, lang, "preferredLabel", "altLabels", "hiddenLabels")
    yield from _texts(row, s, lang, _TEXT_COLUMNS)
    yield from _in_schemes(row, s)
    yield from _code(row, s)


def _isco_group(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptUri")
    stats.isco_groups.add(s.value)
    yield Triple(s, RDF_TYPE, SKOS_CONCEPT)
    yield Triple(s, RDF_TYPE, ESCO_ISCO_GROUP)
    yield from _labels(row, s, lang, "preferredLabel", "altLabels")
    yield from _texts(row, s, lang, _TEXT_COLUMNS)
    yield from _in_schemes(row, s)
    yield from _code(row, s)


def _hierarchy(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    # One row per group: Level 0 .. Level k filled, the deepest is the group itself.
    chain: list[NamedNode] = []
    for level in range(4):
        iri = row.iri(f"Level {level} URI", required=level == 0)
        if iri is None:
            break
        chain.append(iri)
        label = row.get(f"Level {level} preferred term")
        if label:
            yield Triple(iri, PREF, Literal(label, language=lang))
        code_column = f"Level {level} code"
        if code_column in row.index and row.get(code_column):
            yield Triple(iri, NOTATION, Literal(row.get(code_column)))
    # The same links are in broaderRelationsSkillPillar*.csv, where they are counted.
    for narrower, broader in zip(chain[1:], chain):
        yield Triple(narrower, BROADER, broader)
    root = chain[0]
    yield Triple(root, RDF_TYPE, SKOS_CONCEPT)
    yield Triple(root, TOP_CONCEPT_OF, HIERARCHY_SCHEME)
    yield Triple(HIERARCHY_SCHEME, TOP_CONCEPT, root)
    yield from _texts(row, chain[-1], lang, (("Description", DESCRIPTION), ("Scope note", SCOPE_NOTE)))


def _concept_scheme(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptSchemeUri")
    yield Triple(s, RDF_TYPE, SKOS_SCHEME)
    yield from _labels(row, s, lang, "preferredLabel", None)
    yield from _texts(row, s, lang, (("description", DESCRIPTION),))
    for top in row.iris("hasTopConcept"):
        yield Triple(s, TOP_CONCEPT, top)


def _collection_member(with_labels: bool, skill: bool) -> Callable[[_Row, str, EscoStats], Iterator[Triple]]:
    def convert(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
        s = row.iri("conceptUri")
        yield Triple(s, IN_SCHEME, NamedNode(row.file.scheme))
        for broader in row.iris("broaderConceptUri"):
            yield Triple(s, BROADER, broader)
        if with_labels:
            # Only for languages without skills_/occupations_<lang>.csv: the
            # collection is then the sole source of these labels.
            yield Triple(s, RDF_TYPE, SKOS_CONCEPT)
            yield Triple(s, RDF_TYPE, ESCO_SKILL if skill else ESCO_OCCUPATION)
            yield from _labels(row, s, lang, "preferredLabel", "altLabels", separator=" | ")
            yield from _texts(row, s, lang, (("description", DESCRIPTION),))
            if skill:
                skill_type, reuse = row.get("skillType"), row.get("reuseLevel")
                if skill_type in SKILL_TYPES:
                    yield Triple(s, SKILL_TYPE_P, SKILL_TYPES[skill_type])
                if reuse in REUSE_LEVELS:
                    yield Triple(s, REUSE_LEVEL_P, REUSE_LEVELS[reuse])
    return convert


def _broader(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    stats.broader_relations += 1
    yield Triple(row.iri("conceptUri"), BROADER, row.iri("broaderUri"))


def _relation(subject_column: str, object_column: str, counter: str, subject_kind: str) -> Callable[[_Row, str, EscoStats], Iterator[Triple]]:
    def convert(row: _Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
        relation = row.get("relationType")
        predicate = RELATION.get(relation)
        if predicate is None:
            raise ValueError(f"{row.where('relationType')}: {relation!r}; expected essential or optional")
        setattr(stats, counter, getattr(stats, counter) + 1)
        subject, skill = row.iri(subject_column), row.iri(object_column)
        # A few concepts occur only in relation files (v1.1.1 has one such
        # occupation, with 67 relations): the file still says what they are.
        yield from _declare(subject, subject_kind, stats)
        yield from _declare(skill, "skill", stats)
        yield Triple(subject, predicate, skill)
    return convert


def _declare(concept: NamedNode, kind: str, stats: EscoStats) -> Iterator[Triple]:
    seen = stats.skills if kind == "skill" else stats.occupations
    if concept.value not in seen:
        seen.add(concept.value)
        yield Triple(concept, RDF_TYPE, SKOS_CONCEPT)
        yield Triple(concept, RDF_TYPE, ESCO_SKILL if kind == "skill" else ESCO_OCCUPATION)


_CONVERTERS: dict[str, Callable[[_Row, str, EscoStats], Iterator[Triple]]] = {
    "skills": _skill,
    "skillGroups": _skill_group,
    "skillsHierarchy": _hierarchy,
    "occupations": _occupation,
    "ISCOGroups": _isco_group,
    "conceptSchemes": _concept_scheme,
    "broaderRelationsSkillPillar": _broader,
    "broaderRelationsOccPillar": _broader,
    "occupationSkillRelations": _relation("occupationUri", "skillUri", "occupation_skill_relations", "occupation"),
    "skillSkillRelations": _relation("originalSkillUri", "relatedSkillUri", "skill_skill_relations", "skill"),
}

# Files are read in this order, so that concepts come before relations to them.
_ORDER = ("conceptSchemes", "skillsHierarchy", "skillGroups", "skills", "ISCOGroups", "occupations",
          "skillCollection", "occupationCollection", *RELATION_KINDS)


def esco_triples(
    export: EscoExport,
    stats: EscoStats | None = None,
    on_rows: Callable[[str, int], None] | None = None,
) -> Iterator[Triple]:
    """Stream the RDF of ``export``: every file, row by row.

    ``stats`` (if given) is filled in as the triples are produced;
    ``on_rows(file_name, n)`` is called every few thousand rows for progress.
    Raises ValueError (file, line, column) on the first bad row.
    """
    stats = stats if stats is not None else EscoStats()
    label_langs = {kind: {f.lang for f in export.files if f.kind == kind} for kind in ("skills", "occupations")}
    files = sorted(export.files, key=lambda f: (_ORDER.index(f.kind), f.lang or "", f.name))
    for scheme in sorted({f.scheme for f in export.files if f.scheme}):
        yield Triple(NamedNode(scheme), RDF_TYPE, SKOS_SCHEME)
    for file in files:
        lang = file.lang or "en"
        if file.kind in ("skillCollection", "occupationCollection"):
            skill = file.kind == "skillCollection"
            with_labels = lang not in label_langs["skills" if skill else "occupations"]
            convert = _collection_member(with_labels, skill)
        else:
            convert = _CONVERTERS[file.kind]
        count = 0
        for row in read_rows(file):
            for triple in convert(row, lang, stats):
                stats.triples += 1
                yield triple
            count += 1
            if on_rows and count % 5000 == 0:
                on_rows(file.name, 5000)
        stats.rows += count
        if on_rows:
            on_rows(file.name, count % 5000)


def import_esco(
    store: Store,
    folders: Sequence[str | Path],
    *,
    version: str | None = None,
    force: bool = False,
    on_rows: Callable[[str, int], None] | None = None,
    on_read: Callable[[EscoStats, bool], None] | None = None,
) -> EscoImportResult:
    """Replace the graph ``urn:credgraph:vocab:esco`` with the ESCO export in ``folders``.

    If the store already holds exactly these files (same content hash), the
    export is only read and checked, not written again, unless ``force``.
    ``on_rows`` reports reading progress (see :func:`esco_triples`);
    ``on_read(stats, writing)`` is called once every file is read, before the
    store writes the graph (``writing`` is False when nothing is to be written). Atomic: any error (missing file or column, bad row,
    store failure) raises and leaves the store as it was.
    """
    started = time.monotonic()
    export = scan_export(folders, version)
    digest = export.content_hash()
    stats = EscoStats()
    provenance = Provenance(
        kind="vocab",
        source=export.source,
        content_hash=digest,
        title=f"ESCO {export.version}",
        extra=((ns.OWL + "versionInfo", Literal(export.version)),),
    )

    # Replacing a 440,000-triple graph costs minutes and gigabytes in one
    # transaction: not worth it to write the same content again.
    unchanged = not force and store.graph_hash(ESCO_GRAPH) == digest

    def read() -> Iterator[Triple]:
        yield from esco_triples(export, stats, on_rows)
        if on_read:
            on_read(stats, not unchanged)
    if unchanged:
        for _ in read():
            pass
    else:
        # The store materialises the triples before it writes anything, so
        # an error raised while reading leaves the store untouched.
        store.load_graph(ESCO_GRAPH, read(), provenance)
    stored = next((g.triples for g in store.graphs() if g.name == ESCO_GRAPH), 0)
    return EscoImportResult(
        graph=ESCO_GRAPH,
        source=export.source,
        version=export.version,
        languages=export.languages,
        skills=len(stats.skills),
        occupations=len(stats.occupations),
        skill_groups=len(stats.skill_groups),
        isco_groups=len(stats.isco_groups),
        occupation_skill_relations=stats.occupation_skill_relations,
        skill_skill_relations=stats.skill_skill_relations,
        broader_relations=stats.broader_relations,
        triples=stored,
        seconds=time.monotonic() - started,
        ignored=export.ignored,
        unchanged=unchanged,
    )
