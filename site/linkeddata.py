"""Linked-data views of entity pages: Turtle and JSON-LD files, embedded JSON-LD."""

from __future__ import annotations

import json
from collections import defaultdict
from operator import itemgetter

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Store

PREFIXES = {
    "elm": ns.ELM,
    "dc": ns.DC,
    "skos": ns.SKOS,
    "foaf": ns.FOAF,
    "rov": ns.ROV,
    "xsd": ns.XSD,
    "cg": ns.CG,
    "rdf": ns.RDF,
}


def entity_triples(store: Store) -> dict[str, list[Triple]]:
    """The description of every specification, organisation, stacking rule and ESCO skill, by entity IRI."""
    grouped: dict[str, set[Triple]] = defaultdict(set)
    for row in store.select(queries.load("catalogue-entity-triples")):
        grouped[row["root"].value].add(Triple(row["s"], row["p"], row["o"]))
    for row in store.select(queries.load("catalogue-skill-triples")):
        grouped[row["skill"].value].add(Triple(row["skill"], row["p"], row["o"]))
    return {iri: stable_blank_nodes(triples) for iri, triples in grouped.items()}


# What an entity's description takes in beside its own triples (as catalogue-entity-triples.rq).
_FOLLOW = frozenset(NamedNode(iri) for iri in (
    ns.ELM + "learningOutcome", ns.ELM + "creditPoint", ns.ELM + "entryRequirement", ns.ELM + "provenBy",
    ns.ELM + "awardingOpportunity", ns.ELM + "accreditation", ns.ELM + "additionalNote", ns.FOAF + "homepage",
    ns.ELM + "location", ns.ELM + "address", ns.CG + "condition",
))
_ENTITY_TYPES = frozenset(NamedNode(iri) for iri in (
    ns.ELM + "LearningAchievementSpecification", ns.ELM + "Qualification", ns.ELM + "Organisation", ns.CG + "StackingRule",
))
_SKILL_PREDICATES = frozenset(NamedNode(iri) for iri in (
    ns.RDF + "type", ns.SKOS + "inScheme", ns.SKOS + "broader", ns.SKOS + "prefLabel", ns.SKOS + "altLabel", ns.SKOS + "notation",
))
_RDF_TYPE = NamedNode(ns.RDF + "type")


def describe(store: Store, iri: str) -> list[Triple]:
    """The description of one specification, organisation or stacking rule, with stable blank nodes.

    The same triples as ``queries/catalogue-entity-triples.rq`` gives for the
    entity, read with the store's pattern lookups: the site reads ten thousand
    entities one by one in its worker processes, where one bulk query (and
    its ~400k rows) would run alone before them. Fast on an embedded store
    (the site's in-memory snapshot), which reads its indexes.
    """
    root = NamedNode(iri)
    if not any(t.object in _ENTITY_TYPES for t in store.triples(root, _RDF_TYPE, None)):
        return []
    found: set[Triple] = set()
    seen = {root}
    todo = [root]
    while todo:
        for triple in store.triples(todo.pop(), None, None):
            found.add(triple)
            if triple.predicate in _FOLLOW:
                obj = triple.object
                if isinstance(obj, (NamedNode, BlankNode)) and obj not in seen:
                    seen.add(obj)
                    todo.append(obj)
    return stable_blank_nodes(found)


def describe_skill(store: Store, iri: str) -> list[Triple]:
    """The description of one ESCO skill (as ``queries/catalogue-skill-triples.rq``)."""
    found: set[Triple] = set()
    for triple in store.triples(NamedNode(iri), None, None):
        if triple.predicate not in _SKILL_PREDICATES:
            continue
        obj = triple.object
        if isinstance(obj, Literal) and obj.language and obj.language not in ("en", "de", "fr"):
            continue
        found.add(triple)
    return stable_blank_nodes(found)


def stable_blank_nodes(triples: set[Triple]) -> list[Triple]:
    """``triples`` sorted, with blank nodes renamed b0, b1 ... in order of appearance.

    Blank node ids differ between queries and backends; renaming them keeps
    the written files identical when the data is, so rebuilds stay incremental.
    """

    keyed = []
    blank = False
    for t in triples:
        subject, obj = t.subject, t.object
        s_blank, o_blank = isinstance(subject, BlankNode), isinstance(obj, BlankNode)
        blank = blank or s_blank or o_blank
        keyed.append(((s_blank, "" if s_blank else subject.value, t.predicate.value, "" if o_blank else str(obj)), t))
    keyed.sort(key=itemgetter(0))
    ordered = [t for _, t in keyed]
    if not blank:
        return ordered
    names: dict[str, BlankNode] = {}

    def rename(term):
        if isinstance(term, BlankNode):
            if term.value not in names:
                names[term.value] = BlankNode(f"b{len(names)}")
            return names[term.value]
        return term

    return [Triple(rename(t.subject), t.predicate, rename(t.object)) for t in ordered]


def turtle(triples: list[Triple]) -> bytes:
    """Turtle text of ``triples`` with the project's prefixes."""
    return serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES) or b""


def jsonld_nodes(triples: list[Triple]) -> list:
    """``triples`` as expanded JSON-LD node objects."""
    if not triples:
        return []
    return json.loads(serialize(triples, format=RdfFormat.JSON_LD))


def jsonld_document(schema_node: dict, triples: list[Triple]) -> bytes:
    """A JSON-LD file: the schema.org view and the ELM description (expanded form)."""
    return json_text([schema_node, *jsonld_nodes(triples)]).encode("utf-8")


def json_text(data) -> str:
    """Compact JSON, safe inside an HTML ``<script>`` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")


def literal_value(term) -> str:
    """The lexical value of a term."""
    return term.value if isinstance(term, (Literal, NamedNode)) else str(term)
