"""Reading the catalogue from a store: the offer graphs, a handful of bulk SELECT queries
(``queries/catalogue-*.rq``) over an in-memory copy of them, into a
:class:`~credgraph.graph.services.catalogue_records.Catalogue`, cached per store until an offer
graph changes.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import defaultdict

from pyoxigraph import Literal, NamedNode

from credgraph import queries
from credgraph.graph.store.offer_copy import OfferCopy, copy_offer
from credgraph.graph.store.interface import Store
from credgraph.graph.services.catalogue_records import Accreditation, Catalogue, Organisation, Outcome, SpecRecord


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
