"""SHACL validation of documents: Annex I compliance, storability, the EC EDC profile.

Profiles (``PROFILES``) name a shapes file shipped in ``vocabularies/shapes/``:

- ``annex-i-credential``: the elements of Annex I of Council Recommendation
  2022/C 243/02 in an issued credential (violations for M1-M11, infos for O1-O5);
- ``annex-i-catalogue``: the Annex I elements that belong to a catalogue offer;
- ``storable-credential`` / ``storable-specification``: the minimum for a document to
  be stored at all (violations mean "reject");
- ``edc-generic``: the European Commission's ``EDC-generic-no-cv`` profile.

pySHACL's cost is dominated by fixed work per call and per shape, so
``validate_many`` validates many documents in one call: each document's nodes
are kept apart (a node that two documents describe differently is renamed per
document for the run) and results are handed back to the documents that contain
their focus node. See docs/validation.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache

import pyoxigraph as ox
import rdflib
from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from pyshacl.shapes_graph import ShapesGraph
from rdflib import BNode, Literal, URIRef

from credgraph import vocabularies
from credgraph.graph.sources import memo_check
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.bounded_cache import BoundedCache
from credgraph.graph.sources.jsonld_templates import Statements
from credgraph.graph.sources.validation_memo import Abstraction, abstraction_for, rebind, skeleton, template_skeleton

PROFILES: dict[str, str] = {
    "annex-i-credential": "shapes/annex-i-credential.ttl",
    "annex-i-catalogue": "shapes/annex-i-catalogue.ttl",
    "storable-credential": "shapes/storable.ttl",
    "storable-specification": "shapes/storable.ttl",
    "edc-generic": "shapes/edc-generic-no-cv.ttl",
}

ANNEX_I_ELEMENTS: dict[str, str] = {
    "M1": "identification of the learner",
    "M2": "title",
    "M3": "country/region of the issuer",
    "M4": "awarding body",
    "M5": "date of issuing",
    "M6": "learning outcomes",
    "M7": "notional workload",
    "M8": "level (EQF/NQF), if applicable",
    "M9": "type of assessment",
    "M10": "form of participation",
    "M11": "type of quality assurance",
    "O1": "prerequisites",
    "O2": "supervision and identity verification",
    "O3": "grade",
    "O4": "integration/stackability options",
    "O5": "further information",
}
_ELEMENT_ORDER = {element: i for i, element in enumerate(ANNEX_I_ELEMENTS)}

SHAPES_NS = "https://w3id.org/credgraph/shapes/"
_SH = "http://www.w3.org/ns/shacl#"
_ANNEX_ELEMENT = URIRef(ns.CG + "annexIElement")
_PROFILE = URIRef(ns.CG + "profile")
_CLOSED = URIRef("http://www.w3.org/ns/shacl#closed")
_RDFS_SUBCLASS = ns.RDFS + "subClassOf"
_SEVERITY = {URIRef(_SH + "Violation"): "violation", URIRef(_SH + "Warning"): "warning", URIRef(_SH + "Info"): "info"}
_SEVERITY_RANK = {"violation": 0, "warning": 1, "info": 2}
_RDF_TYPE = URIRef(ns.RDF + "type")
_EDC = URIRef(ns.ELM + "EuropeanDigitalCredential")
_VC = URIRef(ns.CRED + "VerifiableCredential")
_CREDENTIAL_SUBJECT = URIRef(ns.CRED + "credentialSubject")
_HAS_CLAIM = URIRef(ns.ELM + "hasClaim")
_SPEC_CLASSES = (URIRef(ns.ELM + "LearningAchievementSpecification"), URIRef(ns.ELM + "Qualification"))


@dataclass(frozen=True)
class _Profile:
    """How one profile is run: its shapes, what a document must contain, which Annex I elements it covers."""

    file: str
    # Run only the shapes of the file annotated cg:profile "<name>" (several
    # profiles share one file); otherwise every shape of the file.
    select_shapes: bool = False
    roots: tuple[URIRef, ...] = ()  # a document must contain a node of one of these classes
    root_label: str = ""
    elements: tuple[str, ...] = ()  # Annex I elements the profile reports on
    untyped_credentials: bool = False  # treat a VC whose subject has elm:hasClaim as an EDC


_SETTINGS: dict[str, _Profile] = {
    "annex-i-credential": _Profile(
        PROFILES["annex-i-credential"], roots=(_EDC,), root_label="elm:EuropeanDigitalCredential",
        elements=tuple(ANNEX_I_ELEMENTS), untyped_credentials=True,
    ),
    "annex-i-catalogue": _Profile(
        PROFILES["annex-i-catalogue"], roots=_SPEC_CLASSES,
        root_label="elm:LearningAchievementSpecification or elm:Qualification",
        elements=("M2", "M3", "M4", "M6", "M7", "M8", "M9", "M10", "M11", "O1", "O4", "O5"),
    ),
    "storable-credential": _Profile(
        PROFILES["storable-credential"], select_shapes=True,
        roots=(_EDC, _VC), root_label="elm:EuropeanDigitalCredential or cred:VerifiableCredential",
    ),
    "storable-specification": _Profile(
        PROFILES["storable-specification"], select_shapes=True,
        roots=_SPEC_CLASSES, root_label="elm:LearningAchievementSpecification or elm:Qualification",
    ),
    "edc-generic": _Profile(
        PROFILES["edc-generic"], roots=(_EDC, _VC),
        root_label="elm:EuropeanDigitalCredential or cred:VerifiableCredential",
    ),
}

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


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one document against one profile."""

    profile: str
    conforms: bool  # no violation
    results: list[ValidationResult]

    def _no_root(self) -> bool:
        return any(r.shape == _document_shape(self.profile) for r in self.results)

    def elements_missing(self) -> list[str]:
        """Annex I element ids reported missing (violations and infos), in Annex I order."""
        if self._no_root():
            return list(_SETTINGS[self.profile].elements) if self.profile in _SETTINGS else []
        found = {r.element for r in self.results if r.element and r.severity in ("violation", "info")}
        return sorted(found, key=_ELEMENT_ORDER.__getitem__)

    def elements_present(self) -> list[str]:
        """The Annex I element ids of the profile that are not reported missing."""
        if self.profile not in _SETTINGS or self._no_root():
            return []
        missing = set(self.elements_missing())
        return [e for e in _SETTINGS[self.profile].elements if e not in missing]

    def to_json(self) -> dict:
        """A JSON-ready dict: profile, conforms, counts, elements and every result."""
        counts = {s: sum(1 for r in self.results if r.severity == s) for s in ("violation", "warning", "info")}
        return {
            "profile": self.profile,
            "conforms": self.conforms,
            "counts": counts,
            "elements_missing": self.elements_missing(),
            "elements_present": self.elements_present(),
            "results": [asdict(r) for r in self.results],
        }

    def to_text(self) -> str:
        """Readable report: a summary line, then one line per result
        (severity, element, focus node, path, message)."""
        counts = [f"{sum(1 for r in self.results if r.severity == s)} {s}s" for s in ("violation", "warning", "info")]
        lines = [f"{self.profile}: {'conforms' if self.conforms else 'does not conform'} ({', '.join(counts)})"]
        for r in self.results:
            lines.append(f"{r.severity:<9} {r.element or '-':<4} {r.focus_node or '-'}  {r.path or '-'}  {r.message}")
        return "\n".join(lines)


def validate(data, profile: str = "annex-i-credential") -> ValidationReport:
    """Validate one document (pyoxigraph Triples/Quads, or an rdflib Graph) against ``profile``."""
    return validate_many([data], profile)[0]


def validate_many(documents: Sequence, profile: str) -> list[ValidationReport]:
    """Validate several documents in one pySHACL run; one report per document, in order.

    Gives the same results as ``validate`` on each document alone: nodes that
    documents share but describe differently are renamed per document for the
    run, and each result goes to the documents that contain its focus node.
    A document of the same shape as one validated before (see
    :mod:`credgraph.graph.sources.validation_memo`) reuses that document's results.
    """
    documents = list(documents)
    return _validate(documents, profile, _skeletons(documents, _shapes(profile).abstraction, profile))


def validate_profiles(documents: Sequence, profiles: Sequence[str]) -> dict[str, list[ValidationReport]]:
    """:func:`validate_many` for several profiles; each document's skeleton is computed once for all."""
    documents = list(documents)
    abstraction = _joint_abstraction(tuple(profiles))
    skeletons = _skeletons(documents, abstraction, "+".join(profiles))
    return {profile: _validate(documents, profile, skeletons) for profile in profiles}


@cache
def _joint_abstraction(profiles: tuple[str, ...]) -> Abstraction | None:
    """What none of ``profiles`` can see: a skeleton under it is one under each of them."""
    found = [_shapes(p).abstraction for p in profiles]
    if any(a is None for a in found):
        return None
    relevant = None if any(a.relevant is None for a in found) else frozenset().union(*(a.relevant for a in found))
    return Abstraction(relevant, frozenset().union(*(a.kept_values for a in found)), frozenset().union(*(a.named for a in found)))


def _skeletons(documents: list, abstraction: Abstraction | None, namespace: str) -> list[tuple | None]:
    """Each document's skeleton (None where it has none), marked with what it was computed for."""
    out: list[tuple | None] = []
    for d in documents:
        if abstraction is None or isinstance(d, rdflib.Graph):
            found = None
        elif isinstance(d, Statements):
            found = template_skeleton(d, abstraction)
        else:
            found = skeleton(d, abstraction)
        out.append(None if found is None else ((namespace, found[0]), found[1]))
    return out


def _validate(documents: list, profile: str, skeletons: list) -> list[ValidationReport]:
    settings = _settings(profile)
    shapes = _shapes(profile)
    results: list[list[ValidationResult] | None] = [None] * len(documents)
    first: dict[tuple, int] = {}  # skeleton -> the document of this batch validated for it
    to_run: list[int] = []
    for i, found in enumerate(skeletons):
        if found is None:
            to_run.append(i)
            continue
        key, texts = found
        hit = shapes.memo.get(key)
        if hit is not None:
            results[i] = rebind(hit[0], hit[1], texts)
            if memo_check.due("validation skeleton"):  # one use in N also validated afresh, and compared
                _check_memo(results[i], _validate_batch(documents, [i], settings, profile)[0], profile, i)
        elif key not in first:
            first[key] = i
            to_run.append(i)
    for i, computed in zip(to_run, _validate_batch(documents, to_run, settings, profile)):
        results[i] = computed
        if skeletons[i] is not None:
            shapes.memo.put(skeletons[i][0], (computed, skeletons[i][1]))
    reports = []
    for i, found in enumerate(skeletons):
        if results[i] is None:
            j = first[found[0]]
            results[i] = rebind(results[j], skeletons[j][1], found[1])
            if memo_check.due("validation skeleton"):
                _check_memo(results[i], _validate_batch(documents, [i], settings, profile)[0], profile, i)
        ordered = sorted(results[i], key=_sort_key)
        reports.append(ValidationReport(profile, not any(r.severity == "violation" for r in ordered), ordered))
    return reports


def _check_memo(remembered: list[ValidationResult], fresh: list[ValidationResult], profile: str, index: int) -> None:
    if sorted(set(remembered), key=_sort_key) != sorted(set(fresh), key=_sort_key):
        memo_check.fail("validation skeleton", f"document {index} of the batch ({profile})",
                        f"{len(remembered)} results from the memo, {len(fresh)} validated afresh")


def _validate_batch(documents: list, which: list[int], settings: _Profile, profile: str) -> list[list[ValidationResult]]:
    """One pySHACL run over the documents at positions ``which``; the results of each, in that order."""
    relevant = _shapes(profile).predicates
    terms: dict = {}  # one conversion per distinct term in the whole batch
    docs = [_rdflib_triples(documents[i], i, relevant, terms) for i in which]
    if not docs:
        return []
    if settings.untyped_credentials:
        docs = [_mark_untyped_credentials(d) for d in docs]
    merged, owners, original = _merge(docs, _shapes(profile).named)
    raw = _run(profile, merged)
    per_doc: list[list[ValidationResult]] = [[] for _ in docs]
    for result, focus in raw:
        for i in owners.get(focus, ()):
            per_doc[i].append(result if focus not in original else result.with_focus(original[focus]))
    out = []
    for i, results in enumerate(per_doc):
        if settings.roots and not _has_root(docs[i], settings.roots):
            results.append(ValidationResult(
                "violation", "", "", "rdf:type", f"the document holds no {settings.root_label}", _document_shape(profile)))
        if settings.elements:
            results = _keep_most_severe_per_element(results)
        out.append(sorted(set(results), key=_sort_key))
    return out


# -- profiles and shapes ---------------------------------------------------------

def _settings(profile: str) -> _Profile:
    try:
        return _SETTINGS[profile]
    except KeyError:
        raise ValueError(f"unknown validation profile {profile!r}; known: {', '.join(PROFILES)}") from None


def _document_shape(profile: str) -> str:
    return f"{SHAPES_NS}{profile}#Document"


@dataclass
class _Shapes:
    graph: ShapesGraph
    names: list[str]  # shapes to run (use_shapes), [] for all
    elements: dict[URIRef, tuple[str, ...]]  # shape -> the Annex I elements it reports
    predicates: frozenset[str] | None  # IRIs the shapes mention; None: keep every triple
    lock: threading.Lock
    abstraction: Abstraction | None  # what documents of the same shape may differ in (None: never reuse)
    memo: BoundedCache  # skeleton -> (results, texts of the document they were computed on)
    named: frozenset  # rdflib IRIs the shapes (and this module) look at by name


@cache
def _shapes(profile: str) -> _Shapes:
    """The parsed shapes of ``profile``, harvested once and reused by every run.

    pySHACL rebuilds its shape objects on every call; reusing them is most of the
    difference between a lean and a slow call (SimpleMemory: the shapes graph
    needs no named-graph bookkeeping).
    """
    settings = _settings(profile)
    graph = rdflib.Graph(store="SimpleMemory")
    graph.parse(data=vocabularies.read_bytes(settings.file), format="turtle")
    names = sorted(str(s) for s in graph.subjects(_PROFILE, Literal(profile))) if settings.select_shapes else []
    if settings.select_shapes and not names:
        raise ValueError(f"{settings.file}: no shape is marked cg:profile {profile!r}")
    # A triple whose predicate no shape mentions cannot change a result (no
    # closed shapes, no SPARQL here): it is left out of the data graph.
    closed = any(True for _ in graph.subject_objects(_CLOSED))
    mentioned = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    predicates = None if closed else frozenset(mentioned | {ns.RDF + "type", _RDFS_SUBCLASS})
    shapes = ShapesGraph(graph)
    if names:
        shapes.shapes_from_uris([URIRef(s) for s in names])
    else:
        list(shapes.shapes)
    elements: dict[URIRef, tuple[str, ...]] = {}
    for s, o in graph.subject_objects(_ANNEX_ELEMENT):
        if isinstance(s, URIRef):
            elements[s] = tuple(sorted({*elements.get(s, ()), str(o)}, key=_ELEMENT_ORDER.__getitem__))
    # The classes _has_root and _mark_untyped_credentials look for are looked at by identity too.
    looked_at = frozenset(str(c) for c in (*settings.roots, _EDC, _VC))
    abstraction = abstraction_for(graph, predicates, generic_messages=profile == "edc-generic", also_named=looked_at)
    named = frozenset(URIRef(i) for i in mentioned | looked_at)
    return _Shapes(shapes, names, elements, predicates, threading.Lock(), abstraction, BoundedCache(256), named)


class _ResultsValidator(Validator):
    """A pySHACL validator that hands back its raw results instead of building a report graph.

    Building the report graph (cloning every result path into it) costs more
    than the validation itself for Annex I profiles, where most results are
    infos about optional elements.
    """

    @classmethod
    def create_validation_report(cls, sg, conforms: bool, results: list):
        return results, ""


def _run(profile: str, graph: rdflib.Graph) -> list[tuple[ValidationResult, object]]:
    """Run the profile's shapes over ``graph``; each result with its (renamed) focus node."""
    settings = _settings(profile)
    shapes = _shapes(profile)
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


def _per_element(result: ValidationResult, shapes: _Shapes) -> list[ValidationResult]:
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


def _result(profile: str, shapes: _Shapes, result_node, triples: list) -> tuple[ValidationResult, object]:
    fields: dict[str, object] = {}
    messages = []
    for s, p, o in triples:
        if s != result_node:
            continue  # a nested sh:detail result (sh:node): the finding is the outer one, as in pySHACL's report
        node = o[1] if isinstance(o, tuple) else o
        name = str(p)[len(_SH):]
        if name == "resultMessage":
            messages.append(str(node))
        else:
            fields[name] = node
    shape = fields.get("sourceShape")
    severity = _SEVERITY.get(fields.get("resultSeverity"), "violation")
    path_node = fields.get("resultPath")
    path = _compact_path(shapes.graph.graph, path_node) if path_node is not None else ""
    element = ",".join(shapes.elements.get(shape, ())) if isinstance(shape, URIRef) else ""
    if element or profile != "edc-generic":
        message = messages[0] if messages else _generic_message(shapes.graph.graph, fields)
    else:
        # The EC shapes carry no messages; pySHACL's own ones quote values (personal data).
        message = _generic_message(shapes.graph.graph, fields)
    focus = fields.get("focusNode")
    result = ValidationResult(severity, element, _node_text(focus), path, message, _node_text(shape))
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
        value = sg.value(shape, URIRef(_SH + key)) if shape is not None else None
        params[key] = _curie(value) if isinstance(value, URIRef) else (str(value) if value is not None else "?")
    return template.format(**params)


# -- terms and paths -------------------------------------------------------------

_PREFIXES = {
    "elm": ns.ELM, "cred": ns.CRED, "dc": ns.DC, "skos": ns.SKOS, "foaf": ns.FOAF, "rdf": ns.RDF,
    "rdfs": ns.RDFS, "xsd": ns.XSD, "adms": ns.ADMS, "rov": ns.ROV, "prov": ns.PROV, "cg": ns.CG,
    "sh": _SH, "owl": ns.OWL, "locn": "http://www.w3.org/ns/locn#", "org": "http://www.w3.org/ns/org#",
}


def _curie(iri: str) -> str:
    for prefix, base in _PREFIXES.items():
        if iri.startswith(base) and "/" not in iri[len(base):] and "#" not in iri[len(base):]:
            return f"{prefix}:{iri[len(base):]}"
    return f"<{iri}>"


def _node_text(node) -> str:
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
        _PATH_CACHE[key] = _render_path(sg, node)
    return _PATH_CACHE[key]


def _render_path(sg: rdflib.Graph, node) -> str:
    if isinstance(node, URIRef):
        return _curie(str(node))
    if sg.value(node, URIRef(ns.RDF + "first")) is not None:
        return "/".join(_render_path(sg, item) for item in sg.items(node))
    for key, wrap in (("alternativePath", None), ("inversePath", "^{}"), ("zeroOrMorePath", "{}*"),
                      ("oneOrMorePath", "{}+"), ("zeroOrOnePath", "{}?")):
        inner = sg.value(node, URIRef(_SH + key))
        if inner is None:
            continue
        if wrap is None:
            return "(" + "|".join(_render_path(sg, item) for item in sg.items(inner)) + ")"
        text = _render_path(sg, inner)
        return wrap.format(f"({text})" if "/" in text or "|" in text else text)
    return _node_text(node)


def _rdflib_triples(data, index: int, relevant: frozenset[str] | None, cache: dict) -> list[tuple]:
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


# -- documents kept apart in one run ---------------------------------------------

def _mark_untyped_credentials(triples: list[tuple]) -> list[tuple]:
    """Add the EDC type to a cred:VerifiableCredential whose subject has a claim (for this run only)."""
    typed = {s for s, p, o in triples if p == _RDF_TYPE and o == _EDC}
    vcs = {s for s, p, o in triples if p == _RDF_TYPE and o == _VC} - typed
    if not vcs:
        return triples
    claimants = {s for s, p, _ in triples if p == _HAS_CLAIM}
    extra = [(s, _RDF_TYPE, _EDC) for s, p, o in triples if p == _CREDENTIAL_SUBJECT and s in vcs and o in claimants]
    return triples + sorted(set(extra))


def _has_root(triples: list[tuple], roots: tuple[URIRef, ...]) -> bool:
    return any(p == _RDF_TYPE and o in roots for _, p, o in triples)


def _merge(docs: list[list[tuple]], named: frozenset):
    """One graph for all documents, with each document's nodes kept apart.

    A node several documents mention is renamed per document, unless the
    shapes name it (a class, a property, an ``sh:in`` value): which nodes a
    shape reaches, and so the results about a node, can depend on the rest of
    its document, and renaming an IRI no shape names changes nothing else.
    Returns the graph, the documents each (renamed) node belongs to, and
    renamed node -> original text.
    """
    appears: dict[object, set[int]] = {}
    for i, triples in enumerate(docs):
        for s, _, o in triples:
            appears.setdefault(s, set()).add(i)
            if not isinstance(o, Literal):
                appears.setdefault(o, set()).add(i)
    renamed = {n for n, where in appears.items() if len(where) > 1 and (isinstance(n, BNode) or n not in named)}
    original: dict[object, str] = {}
    local_names: dict[tuple[object, int], object] = {}

    def local(node, i):
        new = local_names.get((node, i))
        if new is None:
            new = BNode(f"cgv{i}x{node}") if isinstance(node, BNode) else URIRef(f"urn:credgraph:validation:{i}:{node}")
            local_names[(node, i)] = new
            original[new] = _node_text(node)
        return new

    unique: set[tuple] = set()
    owners: dict[object, set[int]] = {}
    for i, triples in enumerate(docs):
        for s, p, o in triples:
            if s in renamed:
                s = local(s, i)
            if o in renamed:
                o = local(o, i)
            unique.add((s, p, o))
            owners.setdefault(s, set()).add(i)
            if not isinstance(o, Literal):
                owners.setdefault(o, set()).add(i)
    graph = rdflib.Graph()
    graph.addN((s, p, o, graph) for s, p, o in unique)
    return graph, owners, original


def _keep_most_severe_per_element(results: list[ValidationResult]) -> list[ValidationResult]:
    """Drop an Annex I info when the same element is a violation in the document (M8)."""
    worst: dict[str, int] = {}
    for r in results:
        if r.element:
            worst[r.element] = min(worst.get(r.element, 9), _SEVERITY_RANK[r.severity])
    return [r for r in results if not r.element or _SEVERITY_RANK[r.severity] == worst[r.element]]


def _sort_key(r: ValidationResult):
    return (_SEVERITY_RANK[r.severity], _ELEMENT_ORDER.get(r.element, 99), r.focus_node, r.path, r.message, r.shape)
