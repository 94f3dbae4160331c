"""The datatype each ELM property takes, read from the model the project ships.

Two sources, both shipped in ``vocabularies/``: the ELM ontology's
``rdfs:range`` (``elm.ttl``: e.g. ``elm:maximumDuration`` -> ``xsd:duration``)
and the ``sh:datatype`` of the SHACL profiles (``shapes/*.ttl``: the EC's
``edc-generic-no-cv`` and credgraph's own). A value is well-formed when it is
a valid lexical form of one of the datatypes its property is given there.

Documents often carry such values as plain strings (the EDC context types
some terms, not all; ELM 3.2 documents use other contexts). A plain string is
therefore checked against the property's datatypes; a typed literal is
checked against its own datatype (:func:`credgraph.graph.sources.jsonld.literal_problem`).
Datatypes whose lexical space takes any string (``xsd:string``,
``rdf:langString``, ``rdfs:Literal``, ``xsd:anyURI``, ``rdf:HTML``) need no check.
"""

from __future__ import annotations

from functools import cache

import pyoxigraph as ox

from credgraph import vocabularies
from credgraph.graph import namespaces as ns

RDFS_RANGE = ns.RDFS + "range"
SH_PATH = "http://www.w3.org/ns/shacl#path"
SH_DATATYPE = "http://www.w3.org/ns/shacl#datatype"
MODEL_FILES = ("elm.ttl", "shapes/edc-generic-no-cv.ttl", "shapes/storable.ttl")

# Datatypes every string is a value of: nothing to check.
ANY_STRING = frozenset({
    ns.XSD + "string", ns.XSD + "anyURI", ns.RDF + "langString", ns.RDF + "HTML", ns.RDFS + "Literal",
})
# Datatypes with a lexical rule (checked by jsonld.literal_problem).
CHECKED = frozenset(ns.XSD + local for local in (
    "date", "dateTime", "decimal", "integer", "int", "long", "short", "nonNegativeInteger",
    "positiveInteger", "double", "float", "duration", "boolean",
))


@cache
def property_datatypes() -> dict[str, frozenset[str]]:
    """Property IRI -> the datatypes the shipped model gives it (ontology ranges and SHACL ``sh:datatype``)."""
    found: dict[str, set[str]] = {}
    for name in MODEL_FILES:
        triples = list(ox.parse(vocabularies.read_bytes(name), ox.RdfFormat.TURTLE))
        paths = {t.subject: t.object for t in triples if t.predicate.value == SH_PATH and isinstance(t.object, ox.NamedNode)}
        for t in triples:
            if not isinstance(t.object, ox.NamedNode) or not _is_datatype(t.object.value):
                continue
            if t.predicate.value == RDFS_RANGE and isinstance(t.subject, ox.NamedNode):
                found.setdefault(t.subject.value, set()).add(t.object.value)
            elif t.predicate.value == SH_DATATYPE and t.subject in paths:
                found.setdefault(paths[t.subject].value, set()).add(t.object.value)
    return {p: frozenset(d) for p, d in found.items()}


def _is_datatype(iri: str) -> bool:
    return iri.startswith(ns.XSD) or iri in ANY_STRING


@cache
def checked_properties() -> frozenset[str]:
    """Properties whose plain-string values must be checked: none of their datatypes takes any string."""
    return frozenset(p for p, types in property_datatypes().items() if not types & ANY_STRING and types & CHECKED)


def string_value_problem(predicate: str, value: str) -> str | None:
    """Why a plain string ``value`` of ``predicate`` is no valid value of the property's datatypes, or None."""
    from credgraph.graph.sources.jsonld import literal_problem

    types = property_datatypes().get(predicate)
    if not types or types & ANY_STRING:
        return None
    problems = [literal_problem(ox.Literal(value, datatype=ox.NamedNode(t))) for t in sorted(types & CHECKED)]
    if not problems or any(p is None for p in problems):
        return None
    names = " or ".join("xsd:" + t[len(ns.XSD):] for t in sorted(types & CHECKED))
    return f'"{value}" is not a valid {names} (the datatype ELM gives this property)'
