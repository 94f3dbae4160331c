"""The catalogue service: search with facets, and the detail of specifications,
providers and ESCO skills.

One computation shared by the API (``GET /api/v1/catalogue``) and the static
site. The whole catalogue is read with a handful of bulk SELECT queries
(``queries/catalogue-*.rq``) into a :class:`Catalogue`, which is cached per
store until a named graph changes; search and facet counts then run in
memory, with exactly the rules the site's offline search applies in the
browser (``site/static/search.js``): text tokens must all match; values of one
facet are alternatives (OR), different facets all apply (AND); the counts of a
facet are computed with every *other* facet applied, so they show what
choosing a value would give.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field

from pyoxigraph import Literal, NamedNode

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.store.offer_copy import OfferCopy, copy_offer
from credgraph.graph.store.interface import Store

LANGUAGES = ("en", "de", "fr")
FACETS = ("eqf", "ects", "field", "mode", "language", "country", "provider", "skill")

# ECTS ranges offered as facet values: (key, lower bound inclusive, upper bound exclusive).
ECTS_RANGES: tuple[tuple[str, float, float], ...] = (
    ("0-2", 0, 3),
    ("3-5", 3, 6),
    ("6-14", 6, 15),
    ("15-29", 15, 30),
    ("30+", 30, float("inf")),
)

# Annex I of Council Recommendation 2022/C 243/02, as it applies to a
# specification (M1 and M5 concern an issued credential, not a catalogue entry).
ANNEX_I = (
    ("M2", "title"),
    ("M3", "provider"),
    ("M3", "country"),
    ("M6", "outcomes"),
    ("M7", "workload"),
    ("M8", "eqf"),
    ("M9", "assessment"),
    ("M10", "participation"),
    ("M11", "quality_assurance"),
    ("O1", "prerequisites"),
    ("O2", "id_verification"),
    ("O4", "stackability"),
)


# -- plain result data ------------------------------------------------------


class _Plain:
    def to_dict(self) -> dict:
        """This result as JSON-ready plain data."""
        return asdict(self)


@dataclass(frozen=True)
class Text(_Plain):
    """A text in one language; ``fallback`` is True when it is not in the language asked for."""

    text: str
    lang: str
    fallback: bool = False


@dataclass(frozen=True)
class Ref(_Plain):
    """A reference to an entity or concept with its label in the language asked for."""

    iri: str
    key: str
    label: Text
    path: str = ""


@dataclass(frozen=True)
class FacetValue(_Plain):
    """One value of a facet with the number of results choosing it would give."""

    value: str
    label: Text
    count: int
    selected: bool


@dataclass(frozen=True)
class SpecSummary(_Plain):
    """A search hit."""

    iri: str
    slug: str
    path: str
    title: Text
    provider: Ref | None
    country: Ref | None
    eqf: Ref | None
    field: Ref | None
    ects: float | None
    modes: list[Ref]
    languages: list[Ref]
    kind: str = "micro-credential"  # or "qualification"


@dataclass(frozen=True)
class SearchResult(_Plain):
    """One page of search results, the total, and the facets with live counts."""

    total: int
    page: int
    page_size: int
    items: list[SpecSummary]
    facets: dict[str, list[FacetValue]]


@dataclass(frozen=True)
class OutcomeDetail(_Plain):
    """A learning outcome with the ESCO skills it relates to."""

    iri: str
    title: Text | None
    skills: list[Ref]


@dataclass(frozen=True)
class QualityAssurance(_Plain):
    """One accreditation of a specification (Annex I M11)."""

    iri: str
    title: Text | None
    type: Ref | None
    agent: Ref | None


@dataclass(frozen=True)
class Stackability(_Plain):
    """What a specification is part of, consists of and entitles to (Annex I O4)."""

    is_part_of: list[Ref]
    has_part: list[Ref]
    entitles_to: list[Ref]

    @property
    def empty(self) -> bool:
        return not (self.is_part_of or self.has_part or self.entitles_to)


@dataclass(frozen=True)
class AnnexElement(_Plain):
    """Whether one Annex I element is stated for a specification."""

    code: str
    element: str
    present: bool


@dataclass(frozen=True)
class SpecificationDetail(_Plain):
    """Everything the catalogue knows about one specification, Annex I element by element."""

    iri: str
    slug: str
    path: str
    title: Text
    titles: dict[str, str]
    description: Text | None
    provider: Ref | None
    country: Ref | None
    ects: float | None
    hours: float | None
    eqf: Ref | None
    field: Ref | None
    outcomes: list[OutcomeDetail]
    assessment: list[Ref]
    modes: list[Ref]
    settings: list[Ref]
    languages: list[Ref]
    quality_assurance: list[QualityAssurance]
    prerequisites: Text | None
    id_verification: list[Ref]
    stackability: Stackability
    homepages: list[str]
    note: Text | None
    annex_i: list[AnnexElement]
    kind: str = "micro-credential"  # or "qualification"


@dataclass(frozen=True)
class ProviderDetail(_Plain):
    """An organisation and the specifications it provides."""

    iri: str
    slug: str
    path: str
    name: Text
    country: Ref | None
    homepage: str | None
    specifications: list[SpecSummary]


@dataclass(frozen=True)
class SkillDetail(_Plain):
    """An ESCO skill and the specifications that certify it (through their learning outcomes)."""

    iri: str
    key: str
    path: str
    label: Text
    specifications: list[SpecSummary]


# -- the catalogue as read from the store ----------------------------------


@dataclass
class Outcome:
    iri: str
    titles: dict[str, str] = dc_field(default_factory=dict)
    skills: list[str] = dc_field(default_factory=list)


@dataclass
class Accreditation:
    iri: str
    titles: dict[str, str] = dc_field(default_factory=dict)
    type: str | None = None
    agent: str | None = None


@dataclass
class Organisation:
    iri: str
    names: dict[str, str] = dc_field(default_factory=dict)
    country: str | None = None
    homepage: str | None = None


@dataclass
class SpecRecord:
    """One specification as read from the store (IRIs and language maps)."""

    iri: str
    titles: dict[str, str] = dc_field(default_factory=dict)
    descriptions: dict[str, str] = dc_field(default_factory=dict)
    prerequisites: dict[str, str] = dc_field(default_factory=dict)
    notes: dict[str, str] = dc_field(default_factory=dict)
    ects: float | None = None
    hours: float | None = None
    eqf: str | None = None
    field: str | None = None
    provider: str | None = None
    links: dict[str, list[str]] = dc_field(default_factory=lambda: defaultdict(list))
    outcomes: list[Outcome] = dc_field(default_factory=list)
    accreditations: list[Accreditation] = dc_field(default_factory=list)
    kind: str = "micro-credential"  # or "qualification" (elm:Qualification: a larger credential)

    def many(self, kind: str) -> list[str]:
        return self.links.get(kind, [])

    @property
    def skills(self) -> list[str]:
        seen: dict[str, None] = {}
        for outcome in self.outcomes:
            for s in outcome.skills:
                seen.setdefault(s, None)
        return list(seen)


class Catalogue:
    """The catalogue read from a store: specifications, organisations, labels."""

    def __init__(self) -> None:
        self.specs: dict[str, SpecRecord] = {}
        self.orgs: dict[str, Organisation] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self._index: dict[str, dict[str, _Doc]] = {}

    # -- labels -------------------------------------------------------------
    def label(self, iri: str, lang: str) -> Text:
        """The label of a concept or organisation in ``lang``, falling back visibly."""
        if iri in self.orgs and self.orgs[iri].names:
            return pick(self.orgs[iri].names, lang)
        if iri in self.specs and self.specs[iri].titles:
            return pick(self.specs[iri].titles, lang)
        labels = self.labels.get(iri)
        if labels:
            return pick(labels, lang)
        return Text(key_of(iri), "", fallback=True)

    def ref(self, iri: str | None, lang: str, kind: str = "") -> Ref | None:
        """A :class:`Ref` to ``iri`` (None stays None)."""
        if not iri:
            return None
        if (kind == "spec" and iri not in self.specs) or (kind == "provider" and iri not in self.providers):
            path = ""  # no page: a specification the catalogue does not describe, an organisation providing nothing
        else:
            path = page_path(kind, iri) if kind else ""
        label = self.label(iri, lang)
        if kind == "spec" and iri in self.shared_titles(lang):
            # Two specifications of one title (two providers' "Big Data Analytics"): say whose this is.
            provider = self.specs[iri].provider
            if provider:
                label = Text(f"{label.text} — {self.label(provider, lang).text}", label.lang, label.fallback)
        return Ref(iri, facet_key(kind, iri) if kind else key_of(iri), label, path)

    def shared_titles(self, lang: str) -> set[str]:
        """The specifications whose title in ``lang`` another specification has too (compared folded)."""
        key = "_shared_titles:" + lang
        if key not in self._index:
            holders: dict[str, list[str]] = defaultdict(list)
            for spec in self.specs.values():
                if spec.titles:
                    holders[normalise(pick(spec.titles, lang).text)].append(spec.iri)
            self._index[key] = {iri for iris in holders.values() if len(iris) > 1 for iri in iris}  # type: ignore[assignment]
        return self._index[key]  # type: ignore[return-value]

    @property
    def providers(self) -> set[str]:
        """The organisations that provide at least one specification."""
        if "_providers" not in self._index:
            self._index["_providers"] = {s.provider for s in self.specs.values() if s.provider}  # type: ignore[assignment]
        return self._index["_providers"]  # type: ignore[return-value]

    def country_of(self, spec: SpecRecord) -> str | None:
        org = self.orgs.get(spec.provider or "")
        return org.country if org else None

    # -- facet values of one specification ----------------------------------
    def facet_values(self, spec: SpecRecord) -> dict[str, list[str]]:
        """The facet keys ``spec`` has, facet by facet."""
        country = self.country_of(spec)
        return {
            "eqf": [key_of(spec.eqf)] if spec.eqf else [],
            "ects": [ects_range(spec.ects)] if spec.ects is not None else [],
            "field": [key_of(spec.field)] if spec.field else [],
            "mode": [key_of(m) for m in spec.many("mode")],
            "language": [key_of(x) for x in spec.many("language")],
            "country": [key_of(country)] if country else [],
            "provider": [facet_key("provider", spec.provider)] if spec.provider else [],
            "skill": [key_of(s) for s in spec.skills],
        }

    def facet_iri(self, facet: str, key: str) -> str | None:
        """The IRI behind a facet key (None for ECTS ranges and unknown keys)."""
        return self._facet_iris().get((facet, key))

    def _facet_iris(self) -> dict[tuple[str, str], str]:
        if "_facet_iris" not in self._index:
            table: dict[tuple[str, str], str] = {}
            for spec in self.specs.values():
                for facet, iris in (
                    ("eqf", [spec.eqf]), ("field", [spec.field]), ("mode", spec.many("mode")),
                    ("language", spec.many("language")), ("country", [self.country_of(spec)]),
                    ("provider", [spec.provider]), ("skill", spec.skills),
                ):
                    for iri in iris:
                        if iri:
                            table[(facet, facet_key(facet, iri))] = iri
            self._index["_facet_iris"] = table  # type: ignore[assignment]
        return self._index["_facet_iris"]  # type: ignore[return-value]

    def docs(self, lang: str) -> dict[str, "_Doc"]:
        """Search documents in ``lang``, built once per language."""
        if lang not in self._index:
            self._index[lang] = {iri: self._doc(spec, lang) for iri, spec in self.specs.items()}
        return self._index[lang]

    def _doc(self, spec: SpecRecord, lang: str) -> "_Doc":
        title = pick(spec.titles, lang) if spec.titles else Text(key_of(spec.iri), "", True)
        parts = [title.text]
        if spec.descriptions:
            parts.append(pick(spec.descriptions, lang).text)
        if spec.provider:
            parts.append(self.label(spec.provider, lang).text)
        if spec.field:
            parts.append(self.label(spec.field, lang).text)
        for outcome in spec.outcomes:
            if outcome.titles:
                parts.append(pick(outcome.titles, lang).text)
        parts.extend(self.label(s, lang).text for s in spec.skills)
        return _Doc(spec.iri, title, normalise(title.text), normalise(" ".join(parts)), self.facet_values(spec))

    def summary(self, spec: SpecRecord, lang: str) -> SpecSummary:
        """The search-hit view of ``spec``."""
        return SpecSummary(
            iri=spec.iri,
            slug=slug_of("spec", spec.iri),
            path=page_path("spec", spec.iri),
            title=pick(spec.titles, lang) if spec.titles else Text(key_of(spec.iri), "", True),
            provider=self.ref(spec.provider, lang, "provider"),
            country=self.ref(self.country_of(spec), lang, "country"),
            eqf=self.ref(spec.eqf, lang, "eqf"),
            field=self.ref(spec.field, lang, "field"),
            ects=spec.ects,
            modes=[self.ref(m, lang, "mode") for m in spec.many("mode")],
            languages=[self.ref(x, lang, "language") for x in spec.many("language")],
            kind=spec.kind,
        )


@dataclass(frozen=True)
class _Doc:
    iri: str
    title: Text
    title_norm: str
    text: str
    facets: dict[str, list[str]]


# -- reading ---------------------------------------------------------------

_cache: "weakref.WeakKeyDictionary[Store, tuple[tuple, Catalogue]]" = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def offer_graphs(store: Store) -> tuple[tuple[str, str, str], ...]:
    """The graphs that describe the offer, as (name, content hash, import time).

    All but issued credentials' graphs and their shared descriptions: those
    repeat what catalogues offer, and reading them would cost time in
    proportion to the credentials issued, not to the offer. The same rows are
    the catalogue cache's fingerprint, so issuing credentials never
    invalidates it.
    """
    rows = store.select(queries.load("catalogue-offer-graphs")).rows
    return tuple((r["graph"].value, r["hash"].value, r["imported"].value) for r in rows)


def load_catalogue(store: Store, *, cached: bool = True) -> Catalogue:
    """The whole catalogue of ``store``, read with a few bulk queries.

    Cached per store until an offer graph is added, replaced or dropped.
    """
    fingerprint = offer_graphs(store)
    if cached:
        with _cache_lock:
            hit = _cache.get(store)
        if hit and hit[0] == fingerprint:
            return hit[1]
    catalogue = read_catalogue(store, graphs=[name for name, _, _ in fingerprint])
    if cached:
        with _cache_lock:
            _cache[store] = (fingerprint, catalogue)
    return catalogue


def read_catalogue(store: Store, spec: str | None = None, graphs: list[str] | None = None) -> Catalogue:
    """Read the catalogue (or the part about one specification ``spec``) from ``store``.

    ``graphs``: the offer graphs, if the caller has them already.

    The queries run on an in-memory copy of the offer graphs
    (:func:`credgraph.graph.store.offer_copy.copy_offer`) over its union default
    graph, not on ``store`` with the offer as an explicit default graph list,
    which Oxigraph evaluates graph by graph for every triple pattern (minutes
    instead of seconds with hundreds of catalogue graphs). The copy lives for
    this read only. ``store`` may be such a copy already (the site's snapshot).
    """
    bind = {"spec": NamedNode(spec)} if spec else None
    cat = Catalogue()
    if graphs is None and not isinstance(store, OfferCopy):
        graphs = [name for name, _, _ in offer_graphs(store)]
    store = copy_offer(store, graphs or [])
    facts: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in store.select(queries.load("catalogue-specs"), bind):
        facts[row["spec"].value][row["key"].value].append(row.get("value"))
    for iri, found in facts.items():
        if "spec" not in found:
            continue  # credit points or levels of something that is not a specification
        rec = cat.specs[iri] = SpecRecord(iri)
        # elm:Qualification is a kind of specification: typed both ways, it is a qualification.
        rec.kind = "qualification" if any(v is not None and v.value == "qualification" for v in found["spec"]) else "micro-credential"
        # Several values of a single-valued fact (contradicting graphs): take the smallest, so rebuilds are stable.
        ects = sorted(x for x in (_number(v) for v in found.get("ects", [])) if x is not None)
        rec.ects = ects[0] if ects else None
        hours = sorted(x for x in (duration_hours(v.value) for v in found.get("volume", []) if v is not None) if x is not None)
        rec.hours = hours[0] if hours else None
        rec.eqf = _first_iri(found.get("eqf"))
        rec.field = _first_iri(found.get("field"))
        rec.provider = _first_iri(found.get("body")) or _first_iri(found.get("publisher")) or _first_iri(found.get("offerer"))
    for row in store.select(queries.load("catalogue-spec-texts"), bind):
        rec = cat.specs.get(row["spec"].value)
        if rec is None:
            continue
        target = {"title": rec.titles, "description": rec.descriptions, "prerequisites": rec.prerequisites, "note": rec.notes}[row["kind"].value]
        _put(target, row["text"])
    for row in store.select(queries.load("catalogue-spec-links"), bind):
        rec = cat.specs.get(row["spec"].value)
        target = row["target"]
        if rec is None or target is None:
            continue
        values = rec.links[row["kind"].value]
        value = target.value
        if value not in values:
            values.append(value)
    outcomes: dict[tuple[str, str], Outcome] = {}
    for row in store.select(queries.load("catalogue-outcomes"), bind):
        rec = cat.specs.get(row["spec"].value)
        if rec is None:
            continue
        key = (rec.iri, _node_id(row["outcome"]))
        outcome = outcomes.get(key)
        if outcome is None:
            outcome = outcomes[key] = Outcome(_node_id(row["outcome"]))
            rec.outcomes.append(outcome)
        if row.get("title") is not None:
            _put(outcome.titles, row["title"])
        if row.get("skill") is not None and row["skill"].value not in outcome.skills:
            outcome.skills.append(row["skill"].value)
    for rec in cat.specs.values():
        rec.outcomes.sort(key=lambda o: o.iri)
        for outcome in rec.outcomes:
            outcome.skills.sort()
        for values in rec.links.values():
            values.sort()  # result order differs between stores; pages must not
    accs: dict[tuple[str, str], Accreditation] = {}
    for row in store.select(queries.load("catalogue-accreditations"), bind):
        rec = cat.specs.get(row["spec"].value)
        if rec is None:
            continue
        key = (rec.iri, _node_id(row["accreditation"]))
        acc = accs.get(key)
        if acc is None:
            acc = accs[key] = Accreditation(key[1])
            rec.accreditations.append(acc)
        kind, value = row["key"].value, row.get("value")
        if kind == "title" and value is not None:
            _put(acc.titles, value)
        elif kind == "type" and isinstance(value, NamedNode):
            acc.type = min(filter(None, (acc.type, value.value)))
        elif kind == "agent" and isinstance(value, NamedNode):
            acc.agent = min(filter(None, (acc.agent, value.value)))
    for rec in cat.specs.values():
        rec.accreditations.sort(key=lambda a: a.iri)
    org_urls: dict[str, bool] = {}
    org_seen: set[str] = set()
    for row in store.select(queries.load("catalogue-organisations")):
        iri = _node_id(row["org"])
        org = cat.orgs.setdefault(iri, Organisation(iri))
        kind, value = row["key"].value, row.get("value")
        if kind == "org":
            org_seen.add(iri)
        if value is None:
            continue
        if kind == "name":
            _put(org.names, value)
        elif kind == "country" and isinstance(value, NamedNode):
            org.country = min(filter(None, (org.country, value.value)))
        elif kind == "homepageUrl":
            # elm:WebResource's URL wins over the resource's IRI
            org.homepage = value.value if not org_urls.get(iri) else min(org.homepage or value.value, value.value)
            org_urls[iri] = True
        elif kind == "homepage" and not org_urls.get(iri):
            org.homepage = min(filter(None, (org.homepage, value.value)))
    cat.orgs = {iri: org for iri, org in cat.orgs.items() if iri in org_seen}
    own: dict[str, dict[str, str]] = defaultdict(dict)
    borrowed: dict[str, dict[str, str]] = defaultdict(dict)
    concepts = {o.country for o in cat.orgs.values() if o.country}
    for rec in cat.specs.values():
        concepts.update(filter(None, (rec.eqf, rec.field)))
        concepts.update(rec.skills)
        concepts.update(a.type for a in rec.accreditations if a.type)
        for kind in ("mode", "setting", "language", "assessment", "idVerification"):
            concepts.update(rec.many(kind))
    rows = store.select(queries.load("catalogue-labels"), values=[{"concept": NamedNode(c)} for c in sorted(concepts)]).rows if concepts else []
    for row in rows:
        label = row["label"]
        lang = (label.language or "en").split("-")[0].lower()
        target = (own if row.get("via") is None else borrowed)[row["concept"].value]
        # The lexically smallest of several labels, so that rebuilds are stable.
        if lang not in target or label.value < target[lang]:
            target[lang] = label.value
    # A concept's own label wins over one borrowed through skos:exactMatch.
    for concept in set(own) | set(borrowed):
        cat.labels[concept] = {**borrowed.get(concept, {}), **own.get(concept, {})}
    return cat


def _put(target: dict[str, str], term) -> None:
    lang = term.language if isinstance(term, Literal) and term.language else ""
    lang = lang.split("-")[0].lower()
    # Keep the first text per language, deterministic given ORDER-free results:
    # prefer the lexically smaller so rebuilds are stable.
    current = target.get(lang)
    if current is None or term.value < current:
        target[lang] = term.value


def _first_iri(terms) -> str | None:
    iris = sorted(t.value for t in terms or [] if isinstance(t, NamedNode))
    return iris[0] if iris else None


def _iri(term) -> str | None:
    return term.value if isinstance(term, NamedNode) else None


def _node_id(term) -> str:
    return term.value if isinstance(term, NamedNode) else "_:" + term.value


def _number(term) -> float | None:
    if term is None:
        return None
    try:
        value = float(term.value.replace(",", "."))
    except ValueError:
        return None
    return value


_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def duration_hours(value: str) -> float | None:
    """Hours in an xsd:duration such as ``PT125H`` or ``P2DT4H`` (None if not of that form)."""
    match = _DURATION.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return round(days * 24 + hours + minutes / 60 + seconds / 3600, 2)


# -- keys, slugs and page paths --------------------------------------------


def key_of(iri: str | None) -> str:
    """The short key of a concept IRI: its last path segment (``.../eqf/6`` -> ``6``)."""
    if not iri:
        return ""
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


def slug_of(kind: str, iri: str) -> str:
    """The page slug of an entity: the minted slug, else a stable hash of the IRI."""
    if kind == "pathway" and iri.startswith(f"{ns.CG_ID}spec/"):
        # The implied rule "all of its parts" of a larger specification.
        return "parts/" + slug_of("spec", iri)
    minted = f"{ns.CG_ID}{ {'provider': 'org', 'pathway': 'rule'}.get(kind, kind) }/"
    if iri.startswith(minted):
        slug = iri[len(minted):]
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*", slug) and ".." not in slug:
            return slug
    if kind == "skill" and iri.startswith(ns.ESCO_SKILL):
        return iri[len(ns.ESCO_SKILL):]
    if kind in ("eqf", "field"):
        return key_of(iri)
    return "x" + hashlib.sha256(iri.encode()).hexdigest()[:16]


def facet_key(facet: str, iri: str) -> str:
    """The key of ``iri`` as a value of ``facet`` (in URLs and the search index)."""
    if facet in ("provider", "skill"):
        return slug_of(facet, iri)
    return key_of(iri)


_PAGE_KINDS = {"spec": "spec", "provider": "provider", "skill": "skill", "eqf": "eqf", "field": "field", "pathway": "pathway"}


def page_path(kind: str, iri: str) -> str:
    """The site path of an entity page, e.g. ``spec/<slug>/`` (no leading slash, language prefix added by the site)."""
    folder = _PAGE_KINDS.get(kind)
    if not folder:
        return ""
    return f"{folder}/{slug_of(kind, iri)}/"


# -- text --------------------------------------------------------------------


def normalise(text: str) -> str:
    """Case- and accent-folded text for matching (the browser search does the same).

    Marks are dropped by ``str.translate``: the site's search indexes fold
    every title, description and outcome in three languages, and a loop per
    character was a tenth of the page work at 10,000 specifications.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _SPACES.sub(" ", decomposed.translate(_STRIP_COMBINING).replace("ß", "ss")).strip()


class _KeepUnlessCombining(dict):
    """A ``str.translate`` table dropping combining marks, filled as characters are met."""

    def __missing__(self, code: int):
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_STRIP_COMBINING = _KeepUnlessCombining()
_SPACES = re.compile(r"\s+")


def pick(texts: Mapping[str, str], lang: str) -> Text:
    """The text in ``lang``, else in English, German, French, else any (marked as fallback)."""
    if lang in texts:
        return Text(texts[lang], lang)
    for other in ("en", "de", "fr", "", *sorted(texts)):
        if other in texts:
            return Text(texts[other], other, fallback=True)
    raise ValueError("no text to pick from")


def pick_optional(texts: Mapping[str, str], lang: str) -> Text | None:
    """Like :func:`pick`, None when there is no text."""
    return pick(texts, lang) if texts else None


def ects_range(ects: float) -> str:
    """The ECTS range facet key for a credit value."""
    for key, low, high in ECTS_RANGES:
        if low <= ects < high:
            return key
    return ECTS_RANGES[0][0]


# -- search ------------------------------------------------------------------


def _clean_filters(cat: Catalogue, filters: Mapping[str, Iterable[str] | str] | None) -> dict[str, set[str]]:
    clean: dict[str, set[str]] = {}
    for name, values in (filters or {}).items():
        if name not in FACETS:
            raise ValueError(f"unknown facet {name!r}; facets are {', '.join(FACETS)}")
        if isinstance(values, str):
            values = [values]
        keys = set()
        for value in values:
            if not value:
                continue
            if name == "ects":
                if value not in {k for k, _, _ in ECTS_RANGES}:
                    raise ValueError(f"unknown ECTS range {value!r}; ranges are {', '.join(k for k, _, _ in ECTS_RANGES)}")
                keys.add(value)
            elif value.startswith(("http://", "https://", "urn:")):
                keys.add(facet_key(name, value))
            else:
                keys.add(value)
        if keys:
            clean[name] = keys
    return clean


def search(
    store: Store,
    text: str | None = None,
    lang: str = "en",
    filters: Mapping[str, Iterable[str] | str] | None = None,
    page: int = 1,
    page_size: int = 20,
    *,
    catalogue: Catalogue | None = None,
) -> SearchResult:
    """Search the catalogue.

    ``text``: words that must all occur (case and accents ignored) in the
    title, description, outcomes, skills, field or provider, in ``lang``
    (falling back to another language where the data has no text in it).
    ``filters``: facet name -> keys or IRIs (``{"eqf": ["6", "7"], "country":
    ["DEU"], "ects": ["3-5"]}``). Facets: eqf, ects, field, mode, language,
    country, provider, skill.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size must be at least 1")
    cat = catalogue or load_catalogue(store)
    chosen = _clean_filters(cat, filters)
    tokens = normalise(text or "").split()
    docs = [d for d in cat.docs(lang).values() if all(t in d.text for t in tokens)]

    def passes(doc: _Doc, skip: str | None = None) -> bool:
        for name, keys in chosen.items():
            if name != skip and keys.isdisjoint(doc.facets[name]):
                return False
        return True

    hits = [d for d in docs if passes(d)]
    title_tokens = tokens
    hits.sort(key=lambda d: (not all(t in d.title_norm for t in title_tokens), d.title_norm, d.iri))
    facets: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        counts: dict[str, int] = defaultdict(int)
        for doc in docs:
            if passes(doc, skip=name):
                for key in set(doc.facets[name]):
                    counts[key] += 1
        for key in chosen.get(name, ()):
            counts.setdefault(key, 0)
        facets[name] = _facet_values(cat, name, counts, chosen.get(name, set()), lang)
    start = (page - 1) * page_size
    items = [cat.summary(cat.specs[d.iri], lang) for d in hits[start:start + page_size]]
    return SearchResult(len(hits), page, page_size, items, facets)


def _facet_values(cat: Catalogue, name: str, counts: Mapping[str, int], selected: set[str], lang: str) -> list[FacetValue]:
    values = []
    for key, count in counts.items():
        if name == "ects":
            label = Text(key.replace("-", "–") + " ECTS", lang)
        else:
            iri = cat.facet_iri(name, key)
            label = cat.label(iri, lang) if iri else Text(key, "", True)
        values.append(FacetValue(key, label, count, key in selected))
    if name == "ects":
        order = [k for k, _, _ in ECTS_RANGES]
        values.sort(key=lambda v: order.index(v.value) if v.value in order else 99)
    elif name == "eqf":
        values.sort(key=lambda v: (len(v.value), v.value))
    else:
        values.sort(key=lambda v: (-v.count, normalise(v.label.text)))
    return values


# -- details -----------------------------------------------------------------


def specification(store: Store, iri: str, lang: str = "en", *, catalogue: Catalogue | None = None) -> SpecificationDetail | None:
    """Every Annex I element of the specification ``iri`` (None if the store has no such specification)."""
    cat = catalogue or load_catalogue(store)
    spec = cat.specs.get(iri)
    if spec is None:
        return None
    return specification_detail(cat, spec, lang)


def specification_detail(cat: Catalogue, spec: SpecRecord, lang: str) -> SpecificationDetail:
    """Build the :class:`SpecificationDetail` of a catalogue record."""
    outcomes = [
        OutcomeDetail(o.iri, pick_optional(o.titles, lang), [cat.ref(s, lang, "skill") for s in o.skills])
        for o in spec.outcomes
    ]
    qa = [
        QualityAssurance(a.iri, pick_optional(a.titles, lang), cat.ref(a.type, lang), cat.ref(a.agent, lang, "provider"))
        for a in spec.accreditations
    ]
    stack = Stackability(
        is_part_of=[cat.ref(x, lang, "spec") for x in spec.many("isPartOf")],
        has_part=[cat.ref(x, lang, "spec") for x in spec.many("hasPart")],
        entitles_to=[cat.ref(x, lang, "spec") for x in spec.many("entitlesTo")],
    )
    modes = [cat.ref(m, lang, "mode") for m in spec.many("mode")]
    settings = [cat.ref(m, lang) for m in spec.many("setting")]
    country = cat.ref(cat.country_of(spec), lang, "country")
    present = {
        "title": bool(spec.titles),
        "provider": bool(spec.provider),
        "country": country is not None,
        "outcomes": bool(outcomes),
        "workload": spec.ects is not None or spec.hours is not None,
        "eqf": spec.eqf is not None,
        "assessment": bool(spec.many("assessment")),
        "participation": bool(modes or settings),
        "quality_assurance": bool(qa),
        "prerequisites": bool(spec.prerequisites),
        "id_verification": bool(spec.many("idVerification")),
        "stackability": not stack.empty,
    }
    return SpecificationDetail(
        iri=spec.iri,
        slug=slug_of("spec", spec.iri),
        path=page_path("spec", spec.iri),
        title=pick(spec.titles, lang) if spec.titles else Text(key_of(spec.iri), "", True),
        titles=dict(spec.titles),
        description=pick_optional(spec.descriptions, lang),
        provider=cat.ref(spec.provider, lang, "provider"),
        country=country,
        ects=spec.ects,
        hours=spec.hours,
        eqf=cat.ref(spec.eqf, lang, "eqf"),
        field=cat.ref(spec.field, lang, "field"),
        outcomes=outcomes,
        assessment=[cat.ref(x, lang) for x in spec.many("assessment")],
        modes=modes,
        settings=settings,
        languages=[cat.ref(x, lang, "language") for x in spec.many("language")],
        quality_assurance=qa,
        prerequisites=pick_optional(spec.prerequisites, lang),
        id_verification=[cat.ref(x, lang) for x in spec.many("idVerification")],
        stackability=stack,
        homepages=list(spec.many("homepage")),
        note=pick_optional(spec.notes, lang),
        annex_i=[AnnexElement(code, element, present[element]) for code, element in ANNEX_I],
        kind=spec.kind,
    )


def specs_by(cat: Catalogue, facet: str) -> dict[str, list[SpecRecord]]:
    """Specifications grouped by the IRIs of one facet (provider, skill, eqf, field, country ...)."""
    groups: dict[str, list[SpecRecord]] = defaultdict(list)
    for spec in cat.specs.values():
        if facet == "provider":
            iris = [spec.provider]
        elif facet == "skill":
            iris = spec.skills
        elif facet == "eqf":
            iris = [spec.eqf]
        elif facet == "field":
            iris = [spec.field]
        elif facet == "country":
            iris = [cat.country_of(spec)]
        else:
            iris = spec.many(facet)
        for iri in iris:
            if iri:
                groups[iri].append(spec)
    return groups


def _sorted_summaries(cat: Catalogue, specs: Iterable[SpecRecord], lang: str) -> list[SpecSummary]:
    items = [cat.summary(s, lang) for s in specs]
    items.sort(key=lambda s: (normalise(s.title.text), s.iri))
    return items


def provider(store: Store, iri: str, lang: str = "en", *, catalogue: Catalogue | None = None) -> ProviderDetail | None:
    """An organisation and the specifications it provides (None if unknown)."""
    cat = catalogue or load_catalogue(store)
    specs = [s for s in cat.specs.values() if s.provider == iri]
    org = cat.orgs.get(iri)
    if org is None and not specs:
        return None
    return provider_detail(cat, iri, specs, lang)


def provider_detail(cat: Catalogue, iri: str, specs: Iterable[SpecRecord], lang: str) -> ProviderDetail:
    """Build the :class:`ProviderDetail` of an organisation."""
    org = cat.orgs.get(iri) or Organisation(iri)
    return ProviderDetail(
        iri=iri,
        slug=slug_of("provider", iri),
        path=page_path("provider", iri),
        name=cat.label(iri, lang),
        country=cat.ref(org.country, lang, "country"),
        homepage=org.homepage,
        specifications=_sorted_summaries(cat, specs, lang),
    )


def skill(store: Store, iri: str, lang: str = "en", *, catalogue: Catalogue | None = None) -> SkillDetail | None:
    """An ESCO skill and the specifications certifying it (None if no label and no specification is known)."""
    cat = catalogue or load_catalogue(store)
    specs = [s for s in cat.specs.values() if iri in s.skills]
    if not specs and iri not in cat.labels:
        return None
    return skill_detail(cat, iri, specs, lang)


def skill_detail(cat: Catalogue, iri: str, specs: Iterable[SpecRecord], lang: str) -> SkillDetail:
    """Build the :class:`SkillDetail` of an ESCO skill."""
    return SkillDetail(iri, slug_of("skill", iri), page_path("skill", iri), cat.label(iri, lang), _sorted_summaries(cat, specs, lang))
