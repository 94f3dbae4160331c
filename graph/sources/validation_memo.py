"""Reusing one validation report for every document of the same shape.

A batch of issued credentials is mostly one document many times over: the
same course, the same issuer, other learners, dates and identifiers. SHACL
results cannot differ between two such documents unless a shape looks at a
value that differs. So each document is reduced to its *skeleton*: its
triples in document order with

- blank nodes and IRIs replaced by their position of first appearance,
  keeping their kind (IRI or blank node), except IRIs a shape names (classes,
  properties, ``sh:in`` and ``sh:hasValue`` values) and IRIs whose value a
  shape inspects;
- literal values replaced by their datatype and language, unless a shape
  inspects values of that property (``sh:pattern``, ``sh:in``, lengths,
  ranges, comparisons) or the value is not plainly well-formed for its
  datatype (``sh:datatype`` looks at lexical forms).

Two documents with equal skeletons are the same graph up to a renaming that
no shape can see (the data graph is the document alone, and SHACL Core looks
at an IRI no shape names only for its identity), so the report of the first,
with its focus nodes renamed, is the report of the second. Profiles whose results could depend on anything
else (SPARQL-based constraints, value checks on focus nodes of a node shape,
messages written by pySHACL that quote values) are never memoised.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pyoxigraph as ox
import rdflib
from rdflib import RDF, URIRef

from credgraph.graph.sources.bounded_cache import BoundedCache
from credgraph.graph.sources.jsonld_templates import Statements

SH = "http://www.w3.org/ns/shacl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Constraint parameters whose outcome depends on the values themselves, not
# only on which values there are, their kind, datatype and language.
VALUE_PARAMETERS = frozenset(SH + p for p in (
    "pattern", "flags", "minLength", "maxLength", "in", "hasValue", "minInclusive", "maxInclusive",
    "minExclusive", "maxExclusive", "equals", "disjoint", "lessThan", "lessThanOrEquals",
))
# Parameters naming a second property whose values are compared with the path's.
COMPARED_PROPERTIES = tuple(URIRef(SH + p) for p in ("equals", "disjoint", "lessThan", "lessThanOrEquals"))
# Anything that can run arbitrary logic over the data: never memoised.
OPAQUE_PARAMETERS = frozenset(SH + p for p in ("sparql", "select", "ask", "js", "jsFunctionName", "target", "rule"))
# Where a shape hands the value nodes of its parent on to another shape.
NESTING = tuple(URIRef(SH + p) for p in ("node", "qualifiedValueShape", "not", "or", "and", "xone"))
TARGETS = frozenset(SH + p for p in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"))

# Lexical forms every RDF toolkit reads the same way: abstracting them cannot
# turn an ill-typed literal into a well-typed one or the reverse.
_PLAIN_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.\d{1,6})?)?(Z|[+-](?:0\d|1[0-3]):[0-5]\d)?$")
_FREE_TEXT = frozenset({XSD + "string", RDF_LANG_STRING})
_DATES = frozenset({XSD + "date", XSD + "dateTime"})


@dataclass(frozen=True)
class Abstraction:
    """What a profile's shapes can see, hence what a skeleton may leave out."""

    relevant: frozenset[str] | None  # predicates the shapes mention (None: all)
    kept_values: frozenset[str]  # predicates whose object values some shape inspects
    named: frozenset[str]  # IRIs the shapes name: never abstracted

    def __post_init__(self) -> None:
        # The same sets as pyoxigraph terms: testing a term against them then
        # hashes it where it lives instead of copying its IRI out first.
        nodes = lambda iris: frozenset(ox.NamedNode(i) for i in iris)  # noqa: E731
        object.__setattr__(self, "_relevant", None if self.relevant is None else nodes(self.relevant))
        object.__setattr__(self, "_kept", nodes(self.kept_values))
        object.__setattr__(self, "_named", nodes(self.named))


def abstraction_for(shapes: rdflib.Graph, relevant: frozenset[str] | None, generic_messages: bool,
                    also_named: frozenset[str] = frozenset()) -> Abstraction | None:
    """The abstraction allowed by a shapes graph, or None when documents must always be validated.

    ``generic_messages``: result messages are written from the constraint
    alone; otherwise every shape that reports must carry its own
    ``sh:message`` (pySHACL's messages quote values, which would then be the
    first document's values). ``also_named``: IRIs the caller's own handling
    looks at (kept as they are, like those the shapes name).
    """
    predicates = {str(p) for p in shapes.predicates()}
    if predicates & OPAQUE_PARAMETERS:
        return None
    if not generic_messages:
        if any(shapes.value(s, URIRef(SH + "message")) is None for s in _reporting_shapes(shapes)):
            return None
    kept: set[str] = set()
    for shape in {s for s, p, _ in shapes if str(p) in VALUE_PARAMETERS}:
        found = _path_predicates_reaching(shapes, shape, set())
        if found is None:
            return None
        kept |= found
    kept |= {str(o) for p in COMPARED_PROPERTIES for o in shapes.objects(None, p)}
    named = frozenset(str(t) for triple in shapes for t in triple if isinstance(t, URIRef)) | also_named
    return Abstraction(relevant, frozenset(kept), named)


def _reporting_shapes(shapes: rdflib.Graph) -> set:
    """Shapes whose violations become results: targeted shapes and their ``sh:property`` shapes, recursively.

    Shapes nested in ``sh:or``, ``sh:node`` and the like only decide their
    parent's result, which carries the parent's message.
    """
    found = {s for s, p, _ in shapes if str(p) in TARGETS}
    pending = list(found)
    while pending:
        for child in shapes.objects(pending.pop(), URIRef(SH + "property")):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def _path_predicates_reaching(shapes: rdflib.Graph, shape, seen: set) -> set[str] | None:
    """The predicates of the paths whose value nodes ``shape`` checks; None if it checks focus nodes of a target."""
    if shape in seen:
        return set()
    seen.add(shape)
    path = shapes.value(shape, URIRef(SH + "path"))
    if path is not None:
        return {str(t) for t in _path_terms(shapes, path)}
    if any(str(p) in TARGETS for p in shapes.predicates(shape)):
        return None
    found: set[str] = set()
    parents = [s for p in NESTING for s in shapes.subjects(p, shape)]
    parents += [s for p in NESTING for lst in _lists_containing(shapes, shape) for s in shapes.subjects(p, lst)]
    if not parents:
        return None  # a value check we cannot place: be safe
    for parent in parents:
        more = _path_predicates_reaching(shapes, parent, seen)
        if more is None:
            return None
        found |= more
    return found


def _lists_containing(shapes: rdflib.Graph, node) -> list:
    heads = []
    for cell in shapes.subjects(RDF.first, node):
        while (previous := shapes.value(predicate=RDF.rest, object=cell)) is not None:
            cell = previous
        heads.append(cell)
    return heads


def _path_terms(shapes: rdflib.Graph, path) -> list[URIRef]:
    if isinstance(path, URIRef):
        return [path]
    terms = []
    for _, _, o in shapes.triples((path, None, None)):
        terms += _path_terms(shapes, o)
    return [t for t in terms if not str(t).startswith((SH, str(RDF)))]


_FREE_TEXT_NODES = frozenset(ox.NamedNode(d) for d in _FREE_TEXT)
_XSD_DATE = ox.NamedNode(XSD + "date")
_XSD_DATETIME = ox.NamedNode(XSD + "dateTime")


def _plain_date(literal: ox.Literal, is_date: bool) -> bool:
    m = _PLAIN_DATETIME.match(literal.value)
    if m is None or is_date == (m.group(4) is not None):
        return False
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return int(m.group(1)) >= 1


def skeleton(triples: Sequence, abstraction: Abstraction) -> tuple[tuple, list[str]] | None:
    """The skeleton of a document (pyoxigraph triples or quads) and the text of each abstracted node.

    The texts are in order of first appearance, written as validation
    results write focus nodes (an IRI, or ``_:`` and a blank node label).
    None for input that is not pyoxigraph terms.
    """
    relevant, kept, named = abstraction._relevant, abstraction._kept, abstraction._named  # type: ignore[attr-defined]
    try:
        rows = [(t.subject, t.predicate, t.object) for t in triples]
    except AttributeError:
        return None
    if relevant is not None:
        rows = [row for row in rows if row[1] in relevant]
    # IRIs kept as they are: named by the shapes, or a value a shape inspects (everywhere it occurs).
    inspected = {o for _, p, o in rows if p in kept} if kept else ()
    numbers: dict = {}
    texts: list[str] = []

    def node(term):
        """The number of ``term`` (blank nodes negative), or the IRI itself where it is kept."""
        number = numbers.get(term)
        if number is None:
            if type(term) is ox.BlankNode:
                number = numbers[term] = -len(texts) - 1
                texts.append("_:" + term.value)
            elif term not in named and term not in inspected:
                number = numbers[term] = len(texts)
                texts.append(term.value)
            else:
                return term
        return number

    key = []
    for s, p, o in rows:
        subject = node(s)
        if type(o) is ox.Literal:
            if p not in kept:
                datatype = o.datatype
                if datatype in _FREE_TEXT_NODES or (
                        (datatype == _XSD_DATETIME or datatype == _XSD_DATE) and _plain_date(o, datatype == _XSD_DATE)):
                    o = (datatype, o.language)
        else:
            o = node(o)
        key.append((subject, p, o))
    return tuple(key), texts


# How a document's term enters the key of its template skeleton (see template_skeleton).
_VALUE, _IF_NAMED, _IF_NOT_PLAIN_DATE, _IF_NOT_PLAIN_DATETIME = range(4)


@dataclass
class _TemplatePlan:
    """For one template and abstraction: which of a document's terms can change its skeleton, and how."""

    rules: tuple[tuple[int, int], ...]  # (term index, how it enters the key)
    known: BoundedCache  # key -> (skeleton, each abstracted node as a term index or a fixed text)


def template_skeleton(statements: Statements, abstraction: Abstraction) -> tuple[tuple, list[str]]:
    """:func:`skeleton` of statements made from a JSON-LD template, computed once per template and key.

    Within one template, a skeleton can only differ by the document's terms:
    which IRIs are named or inspected (then kept as they are), which literal
    values are kept (inspected, not free text, or a date not plainly
    written). Those make the key; everything else (rows, predicates, blank
    nodes, which terms are equal) is the template's: the document's terms
    in a :class:`Statements` differ from each other and from the template's
    fixed IRIs (checked when they were made), so the numbering of nodes is
    the template's too.
    """
    template = statements.template
    plan = template.derived.get(("validation.skeleton", abstraction))
    if plan is None:
        plan = template.derived[("validation.skeleton", abstraction)] = _plan(template, abstraction)
    terms = statements.terms
    named = abstraction._named  # type: ignore[attr-defined]
    key = []
    for index, rule in plan.rules:
        term = terms[index]
        if rule == _VALUE:
            key.append(term.value)
        elif rule == _IF_NAMED:
            key.append(term.value if term in named else None)
        else:
            key.append(None if _plain_date(term, rule == _IF_NOT_PLAIN_DATE) else term.value)
    key = tuple(key)
    found = plan.known.get(key)
    if found is None:
        skeleton_key, texts = skeleton(statements, abstraction)  # type: ignore[misc]
        where = {_text(terms[i]): i for i in range(template.iri_count + template.blank_count)}
        plan.known.put(key, (skeleton_key, [where.get(t, t) for t in texts]))
        return skeleton_key, texts
    skeleton_key, places = found
    return skeleton_key, [p if type(p) is str else _text(terms[p]) for p in places]


def _plan(template, abstraction: Abstraction) -> _TemplatePlan:
    relevant, kept = abstraction._relevant, abstraction._kept  # type: ignore[attr-defined]
    rows = [row for row in template.recipe if relevant is None or row[1] in relevant]
    iri_end, blank_end = template.iri_count, template.iri_count + template.blank_count
    rules: set[tuple[int, int]] = set()
    for s, p, o in rows:
        for term, is_object in ((s, False), (o, True)):
            if type(term) is not int or iri_end <= term < blank_end:
                continue  # fixed, or a blank node (always numbered)
            if term < iri_end:
                rules.add((term, _VALUE if is_object and p in kept else _IF_NAMED))
                continue
            _, language, datatype = template.literal_slots[term - blank_end]
            if p in kept:
                rules.add((term, _VALUE))
            elif language or datatype in _FREE_TEXT_NODES:
                continue  # reduced to its datatype and language, the slot's own
            elif datatype == _XSD_DATE:
                rules.add((term, _IF_NOT_PLAIN_DATE))
            elif datatype == _XSD_DATETIME:
                rules.add((term, _IF_NOT_PLAIN_DATETIME))
            else:
                rules.add((term, _VALUE))
    # A few keys per template are expected (documents with other named IRIs or odd dates); a
    # template whose kept values differ in every document gains nothing and is kept small.
    return _TemplatePlan(tuple(sorted(rules)), BoundedCache(64))


def _text(term) -> str:
    return "_:" + term.value if type(term) is ox.BlankNode else term.value


def rebind(results: list, texts: list[str], to: list[str]) -> list:
    """``results`` (of a document whose abstracted nodes are ``texts``) for the document whose nodes are ``to``."""
    if texts == to:
        return results
    position = {text: i for i, text in enumerate(texts)}
    return [r if r.focus_node not in position else r.with_focus(to[position[r.focus_node]]) for r in results]
