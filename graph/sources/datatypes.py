"""The datatype each ELM property takes, read from the model the project ships.

Two sources, both shipped in ``vocabularies/``: the ELM ontology's
``rdfs:range`` (``elm.ttl``: e.g. ``elm:maximumDuration`` -> ``xsd:duration``)
and the ``sh:datatype`` of the SHACL profiles (``shapes/*.ttl``: the EC's
``edc-generic-no-cv`` and credgraph's own). A value is well-formed when it is
a valid lexical form of one of the datatypes its property is given there.

Documents often carry such values as plain strings (the EDC context types
some terms, not all; ELM 3.2 documents use other contexts). A plain string is
therefore checked against the property's datatypes; a typed literal is
checked against its own datatype (:func:`literal_problem`).
Datatypes whose lexical space takes any string (``xsd:string``,
``rdf:langString``, ``rdfs:Literal``, ``xsd:anyURI``, ``rdf:HTML``) need no check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache

import pyoxigraph as ox

from credgraph import vocabularies
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.jsonld_templates import Statements

RDFS_RANGE = ns.RDFS + "range"
SH_PATH = "http://www.w3.org/ns/shacl#path"
SH_DATATYPE = "http://www.w3.org/ns/shacl#datatype"
MODEL_FILES = ("elm.ttl", "shapes/edc-generic-no-cv.ttl", "shapes/storable.ttl")

# Datatypes every string is a value of: nothing to check.
ANY_STRING = frozenset({
    ns.XSD + "string", ns.XSD + "anyURI", ns.RDF + "langString", ns.RDF + "HTML", ns.RDFS + "Literal",
})
# Datatypes with a lexical rule (checked by literal_problem).
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
    types = property_datatypes().get(predicate)
    if not types or types & ANY_STRING:
        return None
    problems = [literal_problem(ox.Literal(value, datatype=ox.NamedNode(t))) for t in sorted(types & CHECKED)]
    if not problems or any(p is None for p in problems):
        return None
    names = " or ".join("xsd:" + t[len(ns.XSD):] for t in sorted(types & CHECKED))
    return f'"{value}" is not a valid {names} (the datatype ELM gives this property)'


_XSD = ns.XSD
_TZ = r"(Z|[+-](\d{2}):(\d{2}))?"
_DATE = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})" + _TZ + "$")
_DATETIME = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?" + _TZ + "$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DOUBLE = re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$")
_DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_BOOLEAN = {"true", "false", "1", "0"}
_ANY_VALUE = frozenset(ox.NamedNode(d) for d in (ns.XSD + "string", ns.RDF + "langString"))


def _valid_date(y: str, m: str, d: str) -> bool:
    try:
        date(max(int(y), 1), int(m), int(d))
        return True
    except ValueError:
        return False


def literal_problem(literal: ox.Literal) -> str | None:
    """Why ``literal`` is not a valid value of its datatype, or None."""
    dt = literal.datatype.value
    v = literal.value
    if not dt.startswith(_XSD):
        return None
    local = dt[len(_XSD):]
    if local == "date":
        m = _DATE.match(v)
        ok = bool(m) and _valid_date(m.group(1), m.group(2), m.group(3))
    elif local == "dateTime":
        m = _DATETIME.match(v)
        ok = bool(m) and _valid_date(m.group(1), m.group(2), m.group(3)) and int(m.group(4)) <= 24 and int(m.group(5)) < 60 and int(m.group(6)) < 61
    elif local in ("decimal",):
        ok = bool(_DECIMAL.match(v))
    elif local in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger"):
        ok = bool(_INTEGER.match(v))
        if ok and local == "nonNegativeInteger":
            ok = int(v) >= 0
        if ok and local == "positiveInteger":
            ok = int(v) > 0
    elif local in ("double", "float"):
        ok = bool(_DOUBLE.match(v))
    elif local == "duration":
        ok = bool(_DURATION.match(v))
    elif local == "boolean":
        ok = v in _BOOLEAN
    else:
        return None
    return None if ok else f'"{v}" is not a valid xsd:{local}'


@cache
def _ranged_nodes() -> frozenset[ox.NamedNode]:
    """Properties whose plain-string values are checked against the datatypes the ELM model gives them."""
    return frozenset(ox.NamedNode(p) for p in checked_properties())


def _checked(t: ox.Triple) -> bool:
    """Whether a statement's value needs checking: a typed literal, or a string value of a property with a datatype.

    Most literals are strings, which every value is: skipped without copying the value.
    """
    o = t.object
    return type(o) is ox.Literal and (o.datatype not in _ANY_VALUE or t.predicate in _ranged_nodes())


def literal_problems(triples: Iterable[ox.Triple], withheld: Iterable[str] = ()) -> list[str]:
    """Ill-typed literals, and plain strings that are no value of the datatype ELM gives their property.

    The datatypes come from the shipped ontology ranges and SHACL profiles
    (:mod:`credgraph.graph.sources.datatypes`). Values of the properties in
    ``withheld`` (personal data) are not quoted in the messages.
    """
    withheld = set(withheld)
    problems = []
    if isinstance(triples, Statements):
        triples = triples.select("jsonld.literal-problems", _checked)
    for t in triples:
        if not _checked(t):
            continue
        o = t.object
        problem = literal_problem(o)
        expected = o.datatype.value
        if problem is None and o.datatype in _ANY_VALUE:
            problem = string_value_problem(t.predicate.value, o.value)
            expected = " or ".join(sorted(property_datatypes().get(t.predicate.value, {expected}) & CHECKED))
        if problem:
            if t.predicate.value in withheld:
                problems.append(f"{_short(t.predicate.value)} of the learner: value (withheld, personal data) is not a valid {' or '.join(_short(e) for e in expected.split(' or '))}")
            else:
                problems.append(f"{_short(t.predicate.value)} of {_subject_label(t.subject)}: {problem}")
    return problems


def _short(iri: str) -> str:
    for prefix, base in (("elm:", ns.ELM), ("cred:", ns.CRED), ("dc:", ns.DC), ("foaf:", ns.FOAF), ("skos:", ns.SKOS), ("xsd:", ns.XSD)):
        if iri.startswith(base):
            return prefix + iri[len(base):]
    return f"<{iri}>"


def _subject_label(term) -> str:
    return f"<{term.value}>" if isinstance(term, ox.NamedNode) else "a blank node"


def parse_datetime_date(value: str) -> str | None:
    """The calendar date (``YYYY-MM-DD``) of an xsd:date or xsd:dateTime lexical value, or None."""
    m = _DATETIME.match(value) or _DATE.match(value)
    if not m or not _valid_date(m.group(1), m.group(2), m.group(3)):
        return None
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
