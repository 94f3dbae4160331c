"""One pySHACL run over a graph, and its results read as :class:`ValidationResult` findings: the
Annex I element each concerns, a message that reads (``M9 type of assessment is missing``),
the path and shape as compact names. Also the graph pySHACL is given: documents' triples as
rdflib terms (each distinct term converted once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from rdflib import BNode, Literal, URIRef

from credgraph.graph import namespaces as ns
from credgraph.graph.sources.validation_profiles import ANNEX_I_ELEMENTS, SH_NS, Shapes, profile_settings, shapes_for


SEVERITY = {URIRef(SH_NS + "Violation"): "violation", URIRef(SH_NS + "Warning"): "warning", URIRef(SH_NS + "Info"): "info"}


# rdflib logs the lexical form of every ill-typed literal it meets ("Failed to
# convert Literal lexical form ..."); for a birth date that is personal data in
# a log. Ill-typed literals are exactly what validation reports, so drop those records.
class _DropLiteralConversionWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_DropLiteralConversionWarnings())


@dataclass(frozen=True)
class ValidationResult:
    """One finding: what is wrong (or missing), where, and which shape said so."""

    severity: str  # "violation" | "warning" | "info"
    element: str  # Annex I element id ("M1".."M11", "O1".."O5") or ""
    focus_node: str  # IRI or "_:b.." of the focus node
    path: str  # compact property path, "" if none
    message: str  # for Annex I starting with the element: "M9 type of assessment is missing"
    shape: str  # the source shape IRI (or "_:..." for an anonymous shape)

    def with_focus(self, focus_node: str) -> ValidationResult:
        """The same finding about another node (made directly: ``dataclasses.replace`` is several times slower)."""
        return ValidationResult(self.severity, self.element, focus_node, self.path, self.message, self.shape)


class _ResultsValidator(Validator):
    """A pySHACL validator that hands back its raw results instead of building a report graph.

    Building the report graph (cloning every result path into it) costs more
    than the validation itself for Annex I profiles, where most results are
    infos about optional elements.
    """

    @classmethod
    def create_validation_report(cls, sg, conforms: bool, results: list):
        return results, ""


def run_shacl(profile: str, graph: rdflib.Graph) -> list[tuple[ValidationResult, object]]:
    """Run the profile's shapes over ``graph``; each result with its (renamed) focus node."""
    settings = profile_settings(profile)
    shapes = shapes_for(profile)
    options = {"inplace": True, "use_shapes": shapes.names or None}
    with shapes.lock:  # shape objects keep evaluation state while they run
        validator = _ResultsValidator(DataGraph.from_rdflib(graph), shacl_graph=shapes.graph.graph, options=options)
        validator.shacl_graph = shapes.graph
        _, raw, _ = validator.run()
    results = []
    for _, node, triples in raw:
        result, focus = _result(profile, shapes, node, triples)
        results.extend((r, focus) for r in _per_element(result, shapes))
    return results


def _per_element(result: ValidationResult, shapes: Shapes) -> list[ValidationResult]:
    """One result per Annex I element for a shape that stands for several (aic:Claim:
    without a claim, every element of the claim is missing, each with its usual severity)."""
    elements = shapes.elements.get(URIRef(result.shape), ()) if result.shape.startswith("http") else ()
    if len(elements) < 2:
        return [result]
    return [
        ValidationResult(
            "violation" if e.startswith("M") and e != "M8" else "info", e, result.focus_node, result.path,
            f"{e} {ANNEX_I_ELEMENTS[e].removesuffix(', if applicable')} is missing ({result.message})", result.shape)
        for e in elements
    ]


def _result(profile: str, shapes: Shapes, result_node, triples: list) -> tuple[ValidationResult, object]:
    fields: dict[str, object] = {}
    messages = []
    for s, p, o in triples:
        if s != result_node:
            continue  # a nested sh:detail result (sh:node): the finding is the outer one, as in pySHACL's report
        node = o[1] if isinstance(o, tuple) else o
        name = str(p)[len(SH_NS):]
        if name == "resultMessage":
            messages.append(str(node))
        else:
            fields[name] = node
    shape = fields.get("sourceShape")
    severity = SEVERITY.get(fields.get("resultSeverity"), "violation")
    path_node = fields.get("resultPath")
    path = _compact_path(shapes.graph.graph, path_node) if path_node is not None else ""
    element = ",".join(shapes.elements.get(shape, ())) if isinstance(shape, URIRef) else ""
    if element or profile != "edc-generic":
        message = messages[0] if messages else _generic_message(shapes.graph.graph, fields)
    else:
        # The EC shapes carry no messages; pySHACL's own ones quote values (personal data).
        message = _generic_message(shapes.graph.graph, fields)
    focus = fields.get("focusNode")
    result = ValidationResult(severity, element, node_text(focus), path, message, node_text(shape))
    return result, focus


_COMPONENT_TEXT = {
    "MinCount": "fewer values than the minimum of {minCount}",
    "MaxCount": "more values than the maximum of {maxCount}",
    "Datatype": "a value is not a valid {datatype}",
    "Class": "a value is not an instance of {class}",
    "NodeKind": "a value is not of node kind {nodeKind}",
    "Node": "a value does not conform to shape {node}",
    "Pattern": "a value does not match the pattern {pattern}",
    "In": "a value is not one of the allowed values",
    "HasValue": "the required value {hasValue} is missing",
    "UniqueLang": "more than one value in the same language",
    "LanguageIn": "a value is in a language not allowed",
    "MinLength": "a value is shorter than {minLength} characters",
    "MaxLength": "a value is longer than {maxLength} characters",
    "Or": "a value matches none of the alternatives (sh:or)",
    "And": "a value does not satisfy all of the shapes (sh:and)",
    "Not": "a value matches a shape it must not match (sh:not)",
    "Xone": "a value does not match exactly one of the alternatives (sh:xone)",
    "Closed": "a property not allowed by the closed shape",
    "QualifiedMinCount": "fewer qualifying values than required",
    "QualifiedMaxCount": "more qualifying values than allowed",
}


def _generic_message(sg: rdflib.Graph, fields: dict) -> str:
    """A message built from the constraint alone, never quoting data values."""
    component = str(fields.get("sourceConstraintComponent", ""))
    name = component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    template = _COMPONENT_TEXT.get(name, f"{name or 'a'} constraint is not satisfied")
    shape = fields.get("sourceShape")
    params = {}
    for key in ("minCount", "maxCount", "datatype", "class", "nodeKind", "node", "pattern", "hasValue", "minLength", "maxLength"):
        value = sg.value(shape, URIRef(SH_NS + key)) if shape is not None else None
        params[key] = _curie(value) if isinstance(value, URIRef) else (str(value) if value is not None else "?")
    return template.format(**params)


_PREFIXES = {
    "elm": ns.ELM, "cred": ns.CRED, "dc": ns.DC, "skos": ns.SKOS, "foaf": ns.FOAF, "rdf": ns.RDF,
    "rdfs": ns.RDFS, "xsd": ns.XSD, "adms": ns.ADMS, "rov": ns.ROV, "prov": ns.PROV, "cg": ns.CG,
    "sh": SH_NS, "owl": ns.OWL, "locn": "http://www.w3.org/ns/locn#", "org": "http://www.w3.org/ns/org#",
}


def _curie(iri: str) -> str:
    for prefix, base in _PREFIXES.items():
        if iri.startswith(base) and "/" not in iri[len(base):] and "#" not in iri[len(base):]:
            return f"{prefix}:{iri[len(base):]}"
    return f"<{iri}>"


def node_text(node) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


_PATH_CACHE: dict[tuple[int, object], str] = {}


def _compact_path(sg: rdflib.Graph, node) -> str:
    """A SHACL path as SPARQL-like text: ``a/b``, ``(a|b)``, ``^a``, ``a*``."""
    key = (id(sg), node)
    if key not in _PATH_CACHE:
        _PATH_CACHE[key] = render_path(sg, node)
    return _PATH_CACHE[key]


def render_path(sg: rdflib.Graph, node) -> str:
    if isinstance(node, URIRef):
        return _curie(str(node))
    if sg.value(node, URIRef(ns.RDF + "first")) is not None:
        return "/".join(render_path(sg, item) for item in sg.items(node))
    for key, wrap in (("alternativePath", None), ("inversePath", "^{}"), ("zeroOrMorePath", "{}*"),
                      ("oneOrMorePath", "{}+"), ("zeroOrOnePath", "{}?")):
        inner = sg.value(node, URIRef(SH_NS + key))
        if inner is None:
            continue
        if wrap is None:
            return "(" + "|".join(render_path(sg, item) for item in sg.items(inner)) + ")"
        text = render_path(sg, inner)
        return wrap.format(f"({text})" if "/" in text or "|" in text else text)
    return node_text(node)


def rdflib_triples(data, index: int, relevant: frozenset[str] | None, cache: dict) -> list[tuple]:
    """The triples of one document as rdflib terms, only those with a ``relevant`` predicate."""
    if isinstance(data, rdflib.Graph):
        if isinstance(data, (rdflib.Dataset, rdflib.ConjunctiveGraph)):
            triples = [(s, p, o) for s, p, o, _ in data.quads((None, None, None, None))]
        else:
            triples = list(data)
        return [t for t in triples if relevant is None or str(t[1]) in relevant]
    out = []
    try:
        for t in data:
            if relevant is not None and t.predicate.value not in relevant:
                continue
            out.append((_term(t.subject, cache), _term(t.predicate, cache), _term(t.object, cache)))
    except (AttributeError, TypeError):
        raise TypeError(
            f"document {index}: expected pyoxigraph Triples/Quads or an rdflib Graph, got {type(data).__name__}"
        ) from None
    return out


def _term(term, cache: dict):
    found = cache.get(term)
    if found is None:
        if isinstance(term, ox.NamedNode):
            found = URIRef(term.value)
        elif isinstance(term, ox.BlankNode):
            found = BNode(term.value)
        elif isinstance(term, ox.Literal):
            found = (Literal(term.value, lang=term.language) if term.language
                     else Literal(term.value, datatype=URIRef(term.datatype.value)))
        else:
            raise TypeError(f"unsupported RDF term {term!r} (RDF-star triples are not validated)")
        cache[term] = found
    return found
