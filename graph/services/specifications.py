"""The facts of specifications that the services compare, loaded in one place.

Stacking, equivalence and recognition all need the same handful of facts about
a specification (level, ECTS, hours, skills, field, assessment, mode, quality
assurance, provider). They are read here, through the named queries
``spec-facts`` and ``spec-skill-ancestors``, so that a change in how the
catalogue importer or the credential ingest shapes the data is one change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from pyoxigraph import BlankNode, Literal, NamedNode

from credgraph import queries
from credgraph.graph.store.interface import Store

ESCO_ISCED = "http://data.europa.eu/esco/isced-f/"
SNB_ISCED = "http://data.europa.eu/snb/isced-f/"
EQF = "http://data.europa.eu/snb/eqf/"

_DURATION = re.compile(
    r"^P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass
class SpecFacts:
    """What the services know about one specification (IRIs as strings)."""

    iri: str
    titles: dict[str, str] = field(default_factory=dict)  # language ("" if none) -> title
    ects: float | None = None
    hours: float | None = None
    eqf: int | None = None
    eqf_iri: str | None = None
    fields: set[str] = field(default_factory=set)
    skills: set[str] = field(default_factory=set)
    modes: set[str] = field(default_factory=set)
    settings: set[str] = field(default_factory=set)
    accreditations: set[str] = field(default_factory=set)
    qa_types: set[str] = field(default_factory=set)
    assessments: set[str] = field(default_factory=set)
    id_verifications: set[str] = field(default_factory=set)
    providers: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    parts: set[str] = field(default_factory=set)
    found: bool = False

    @property
    def title(self) -> str:
        """The English title, else any title, else the IRI."""
        for lang in ("en", ""):
            if lang in self.titles:
                return self.titles[lang]
        return next(iter(sorted(self.titles.values())), self.iri)

    def credits(self, hours_per_credit: float = 27.5) -> float | None:
        """ECTS credits, or notional hours converted at ``hours_per_credit``."""
        if self.ects is not None:
            return self.ects
        if self.hours is not None and hours_per_credit > 0:
            return round(self.hours / hours_per_credit, 2)
        return None

    @property
    def field_codes(self) -> set[str]:
        """ISCED-F codes (the last segment of each field IRI)."""
        return {isced_code(f) for f in self.fields}


def isced_code(iri: str) -> str:
    """The ISCED-F code of a field IRI (SNB or ESCO form), e.g. ``0613``."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def eqf_level(iri: str) -> int | None:
    """The EQF level of an EQF concept IRI (``.../eqf/6`` -> 6), None if it is not one."""
    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() and 1 <= int(tail) <= 8 else None


def duration_hours(text: str) -> float | None:
    """Hours of an xsd:duration (``PT125H``, ``P2DT12H``); None if unreadable.

    Days count 24 hours (rdflib rewrites ``PT60H`` as ``P2DT12H``); months and
    years are not notional workload and make the value unreadable.
    """
    match = _DURATION.match(text.strip())
    if not match or text.strip() in {"P", "PT"}:
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    if "y" in parts or "mo" in parts:
        return None
    return parts.get("w", 0) * 168 + parts.get("d", 0) * 24 + parts.get("h", 0) + parts.get("mi", 0) / 60 + parts.get("s", 0) / 3600


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def spec_graphs(store: Store, iris: Iterable[str]) -> dict[str, str]:
    """For each specification, the one named graph its facts are read from.

    Every credential graph repeats the description of its specification, so a
    join over the union of all graphs would multiply rows by the number of
    copies. A catalogue graph is preferred; otherwise any graph that types it.
    """
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    rows = store.select(queries.load("spec-graphs-catalogue"), values=[{"spec": NamedNode(i)} for i in wanted]).rows
    found = {r["spec"].value: r["graph"].value for r in rows if r.get("graph")}
    rest = [i for i in wanted if i not in found]
    if rest:
        rows = store.select(queries.load("spec-graphs-any"), values=[{"spec": NamedNode(i)} for i in rest]).rows
        found.update({r["spec"].value: r["graph"].value for r in rows if r.get("graph")})
    return found


def load_specs(store: Store, iris: Iterable[str], *, core: bool = False) -> dict[str, SpecFacts]:
    """The facts of each specification in ``iris`` (three queries at most for all of them).

    A specification the store knows nothing about comes back with ``found=False``.
    With ``core`` only title, credits, hours, EQF level, field, skills and provider
    are read (what stacking and similarity need; named query ``spec-facts-core``).
    """
    wanted = sorted(set(iris))
    facts = {iri: SpecFacts(iri) for iri in wanted}
    if not wanted:
        return facts
    graphs = spec_graphs(store, wanted)
    if not graphs:
        return facts
    result = store.select(queries.load("spec-facts-core" if core else "spec-facts"),
                          values=[{"spec": NamedNode(i), "graph": NamedNode(g)} for i, g in sorted(graphs.items())])
    for row in result.rows:
        spec = facts.get(row["spec"].value)
        if spec is None:
            continue
        spec.found = True
        kind = row["fact"].value
        term = row["value"]
        value = term.value
        if kind == "title":
            lang = term.language if isinstance(term, Literal) and term.language else ""
            spec.titles.setdefault(lang, value)
        elif kind == "ects":
            number = _number(value)
            if number is not None:
                spec.ects = number if spec.ects is None else max(spec.ects, number)
        elif kind == "hours":
            hours = duration_hours(value)
            if hours is not None:
                spec.hours = hours if spec.hours is None else max(spec.hours, hours)
        elif kind == "eqf":
            level = eqf_level(value)
            if level is not None and (spec.eqf is None or level > spec.eqf):
                spec.eqf, spec.eqf_iri = level, value
        else:
            target = {
                "field": spec.fields, "skill": spec.skills, "mode": spec.modes, "setting": spec.settings,
                "qa": spec.accreditations, "qaType": spec.qa_types, "assessment": spec.assessments,
                "idVerification": spec.id_verifications, "provider": spec.providers,
                "country": spec.countries, "part": spec.parts,
            }.get(kind)
            if target is not None and isinstance(term, NamedNode | Literal):
                target.add(value)
            elif kind == "qa" and isinstance(term, BlankNode):
                # An accreditation described in a credential has no IRI of its own: it is still stated.
                target.add("_:" + value)
    return facts


def skill_ancestors(store: Store, skills: Iterable[str]) -> dict[str, set[str]]:
    """For each skill, every broader concept (``skos:broader+``); one query."""
    wanted = sorted(set(skills))
    out: dict[str, set[str]] = {s: set() for s in wanted}
    if not wanted:
        return out
    result = store.select(queries.load("spec-skill-ancestors"), values=[{"skill": NamedNode(s)} for s in wanted])
    for row in result.rows:
        out.setdefault(row["skill"].value, set()).add(row["ancestor"].value)
    return out


def covers(held: str, required: str, ancestors: dict[str, set[str]]) -> bool:
    """True if skill ``held`` is ``required`` or narrower than it."""
    return held == required or required in ancestors.get(held, ())


@dataclass(frozen=True)
class CredentialRef:
    """An issuance record resolved to its specification."""

    record: str
    spec: str
    issued: str | None


def resolve_credentials(store: Store, records: Iterable[str]) -> dict[str, CredentialRef]:
    """Issuance records (cg:IssuanceRecord IRIs) with their specification and issue date."""
    wanted = sorted(set(records))
    if not wanted:
        return {}
    result = store.select(queries.load("spec-of-credential"), values=[{"record": NamedNode(r)} for r in wanted])
    best: dict[str, tuple] = {}
    for row in result.rows:
        rec = row["record"].value
        main = bool(row.get("main")) and row["main"].value == "true"
        # The specification of a main claim first (an achievement, not an activity beside it), then the smallest IRI.
        rank = (not main, row["spec"].value)
        if rec not in best or rank < best[rec][0]:
            best[rec] = (rank, CredentialRef(rec, row["spec"].value, row["issued"].value if row.get("issued") else None))
    return {rec: ref for rec, (_, ref) in best.items()}


def add_credential_facts(store: Store, spec: SpecFacts, record: str) -> SpecFacts:
    """``spec`` with what the issued credential ``record`` states on its claims (named query ``credential-facts``).

    The type of assessment, identity verification and quality assurance may be
    stated on the credential's claims rather than on the specification; the
    validator finds them there (graph/sources/readings.py), so the services do too.
    Returns a copy; the record IRI stands as the accreditation when the
    credential states one.
    """
    merged = replace(spec, assessments=set(spec.assessments), id_verifications=set(spec.id_verifications),
                     accreditations=set(spec.accreditations), qa_types=set(spec.qa_types))
    rows = store.select(queries.load("credential-facts"), values=[{"record": NamedNode(record)}]).rows
    for row in rows:
        kind, value = row["fact"].value, row["value"].value
        if kind == "assessment":
            merged.assessments.add(value)
        elif kind == "idVerification":
            merged.id_verifications.add(value)
        elif kind == "accredited" and value == "true":
            merged.accreditations.add(record)
        elif kind == "qaType":
            merged.qa_types.add(value)
    return merged


def labels(store: Store, iris: Iterable[str], lang: str = "en") -> dict[str, str]:
    """A label for each IRI that has one (``lang`` preferred, then untagged, then any)."""
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    result = store.select(queries.load("spec-labels"), values=[{"iri": NamedNode(i)} for i in wanted])
    ranked: dict[str, tuple[int, str]] = {}
    for row in result.rows:
        term = row["label"]
        tag = term.language if isinstance(term, Literal) else None
        rank = 0 if tag == lang else 1 if not tag else 2
        iri = row["iri"].value
        if iri not in ranked or (rank, term.value) < ranked[iri]:
            ranked[iri] = (rank, term.value)
    return {iri: value for iri, (_, value) in ranked.items()}


def issued_specification(store: Store, iri: str) -> dict | None:
    """A specification known only from issued credentials (not in any catalogue), as plain data; None if unknown.

    The catalogue describes what providers publish; a credential's import
    also describes what it awards, under a minted ``/id/spec/`` IRI. Such a
    specification answers with the facts the services read
    (:func:`load_specs`) and ``in_catalogue: False``.
    """
    facts = load_specs(store, [iri])[iri]
    if not facts.found:
        return None
    names = labels(store, facts.skills | facts.fields | facts.modes | facts.settings | facts.assessments
                   | facts.id_verifications | facts.qa_types | facts.providers | facts.countries)
    ref = lambda value: {"iri": value, "label": names.get(value)}  # noqa: E731
    refs = lambda values: [ref(v) for v in sorted(values)]  # noqa: E731
    from credgraph.graph import namespaces as ns

    minted = iri.startswith(ns.CG_ID)
    return {
        "iri": iri,
        "slug": iri.rsplit("/", 1)[-1] if minted else None,
        "path": "/id/" + iri[len(ns.CG_ID):] if minted else None,
        "in_catalogue": False,
        "known_from": "issued credentials: no catalogue describes this specification",
        "title": facts.title,
        "titles": facts.titles,
        "ects": facts.ects,
        "hours": facts.hours,
        "eqf": facts.eqf,
        "fields": refs(facts.fields),
        "skills": refs(facts.skills),
        "modes": refs(facts.modes),
        "settings": refs(facts.settings),
        "assessment": refs(facts.assessments),
        "id_verification": refs(facts.id_verifications),
        "quality_assurance_types": refs(facts.qa_types),
        "providers": refs(facts.providers),
        "countries": refs(facts.countries),
        "parts": sorted(facts.parts),
    }
