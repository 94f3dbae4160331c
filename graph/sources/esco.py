"""Reading the official ESCO CSV export into one SKOS graph.

An ESCO download is a folder of CSV files, one per kind of content and
language: ``skills_en.csv``, ``occupations_de.csv``, ``skillGroups_fr.csv`` ...
Relation files carry no language suffix in v1.1.x
(``broaderRelationsSkillPillar.csv``) and one in v1.2.x
(``broaderRelationsSkillPillar_en.csv``). :func:`~credgraph.graph.sources.esco_export.scan_export`
finds the files in one or more folders (every language present is merged);
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

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Provenance, Store
from credgraph.graph.sources.esco_export import EscoExport, RELATION_KINDS, Row, SCHEME, read_rows, scan_export


ESCO_GRAPH = ns.vocab_graph("esco")
ISCED_F = "http://data.europa.eu/esco/isced-f/"
SKILL_TYPE = "http://data.europa.eu/esco/skill-type/"
REUSE_LEVEL = "http://data.europa.eu/esco/skill-reuse-level/"


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


def _labels(row: Row, subject: NamedNode, lang: str, pref: str, alt: str | None,
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


def _texts(row: Row, subject: NamedNode, lang: str, columns: Iterable[tuple[str, NamedNode]]) -> Iterator[Triple]:
    for column, predicate in columns:
        if column in row.index:
            value = row.get(column)
            if value:
                yield Triple(subject, predicate, Literal(value, language=lang))


def _in_schemes(row: Row, subject: NamedNode, column: str = "inScheme") -> Iterator[Triple]:
    for scheme in row.iris(column):
        yield Triple(subject, IN_SCHEME, scheme)


def _code(row: Row, subject: NamedNode, column: str = "code") -> Iterator[Triple]:
    code = row.get(column) if column in row.index else ""
    if not code and subject.value.startswith(ISCED_F):
        code = subject.value[len(ISCED_F):]
    if code:
        yield Triple(subject, NOTATION, Literal(code))


_TEXT_COLUMNS = (("description", DESCRIPTION), ("definition", DEFINITION), ("scopeNote", SCOPE_NOTE))


def _skill(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
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


def _skill_group(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptUri")
    stats.skill_groups.add(s.value)
    yield Triple(s, RDF_TYPE, SKOS_CONCEPT)
    yield Triple(s, RDF_TYPE, ESCO_SKILL_GROUP)
    yield from _labels(row, s, lang, "preferredLabel", "altLabels", "hiddenLabels")
    yield from _texts(row, s, lang, _TEXT_COLUMNS)
    yield from _in_schemes(row, s)
    yield from _code(row, s)


def _occupation(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptUri")
    stats.occupations.add(s.value)
    yield Triple(s, RDF_TYPE, SKOS_CONCEPT)
    yield Triple(s, RDF_TYPE, ESCO_OCCUPATION)
    yield from _labels(row, s, lang, "preferredLabel", "altLabels", "hiddenLabels")
    yield from _texts(row, s, lang, _TEXT_COLUMNS)
    yield from _in_schemes(row, s)
    yield from _code(row, s)


def _isco_group(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptUri")
    stats.isco_groups.add(s.value)
    yield Triple(s, RDF_TYPE, SKOS_CONCEPT)
    yield Triple(s, RDF_TYPE, ESCO_ISCO_GROUP)
    yield from _labels(row, s, lang, "preferredLabel", "altLabels")
    yield from _texts(row, s, lang, _TEXT_COLUMNS)
    yield from _in_schemes(row, s)
    yield from _code(row, s)


def _hierarchy(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
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


def _concept_scheme(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    s = row.iri("conceptSchemeUri")
    yield Triple(s, RDF_TYPE, SKOS_SCHEME)
    yield from _labels(row, s, lang, "preferredLabel", None)
    yield from _texts(row, s, lang, (("description", DESCRIPTION),))
    for top in row.iris("hasTopConcept"):
        yield Triple(s, TOP_CONCEPT, top)


def _collection_member(with_labels: bool, skill: bool) -> Callable[[Row, str, EscoStats], Iterator[Triple]]:
    def convert(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
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


def _broader(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
    stats.broader_relations += 1
    yield Triple(row.iri("conceptUri"), BROADER, row.iri("broaderUri"))


def _relation(subject_column: str, object_column: str, counter: str, subject_kind: str) -> Callable[[Row, str, EscoStats], Iterator[Triple]]:
    def convert(row: Row, lang: str, stats: EscoStats) -> Iterator[Triple]:
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


_CONVERTERS: dict[str, Callable[[Row, str, EscoStats], Iterator[Triple]]] = {
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
