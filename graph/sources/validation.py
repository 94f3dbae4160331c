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

The profiles and their shapes are in :mod:`~credgraph.graph.sources.validation_profiles`,
one pySHACL run and the reading of its results in
:mod:`~credgraph.graph.sources.validation_shacl`, the memo of results per document
skeleton in :mod:`~credgraph.graph.sources.validation_memo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache

import rdflib
from rdflib import BNode, Literal, URIRef

from credgraph.graph.sources import memo_check
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.jsonld_templates import Statements
from credgraph.graph.sources.validation_memo import Abstraction, rebind, skeleton, template_skeleton
from credgraph.graph.sources.validation_profiles import (
    EDC_CLASS,
    ELEMENT_ORDER,
    Profile,
    SETTINGS,
    VC_CLASS,
    document_shape,
    profile_settings,
    shapes_for,
)
from credgraph.graph.sources.validation_shacl import ValidationResult, node_text, rdflib_triples, run_shacl


_SEVERITY_RANK = {"violation": 0, "warning": 1, "info": 2}
_RDF_TYPE = URIRef(ns.RDF + "type")
_CREDENTIAL_SUBJECT = URIRef(ns.CRED + "credentialSubject")
_HAS_CLAIM = URIRef(ns.ELM + "hasClaim")


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one document against one profile."""

    profile: str
    conforms: bool  # no violation
    results: list[ValidationResult]

    def _no_root(self) -> bool:
        return any(r.shape == document_shape(self.profile) for r in self.results)

    def elements_missing(self) -> list[str]:
        """Annex I element ids reported missing (violations and infos), in Annex I order."""
        if self._no_root():
            return list(SETTINGS[self.profile].elements) if self.profile in SETTINGS else []
        found = {r.element for r in self.results if r.element and r.severity in ("violation", "info")}
        return sorted(found, key=ELEMENT_ORDER.__getitem__)

    def elements_present(self) -> list[str]:
        """The Annex I element ids of the profile that are not reported missing."""
        if self.profile not in SETTINGS or self._no_root():
            return []
        missing = set(self.elements_missing())
        return [e for e in SETTINGS[self.profile].elements if e not in missing]

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
    return _validate(documents, profile, _skeletons(documents, shapes_for(profile).abstraction, profile))


def validate_profiles(documents: Sequence, profiles: Sequence[str]) -> dict[str, list[ValidationReport]]:
    """:func:`validate_many` for several profiles; each document's skeleton is computed once for all."""
    documents = list(documents)
    abstraction = _joint_abstraction(tuple(profiles))
    skeletons = _skeletons(documents, abstraction, "+".join(profiles))
    return {profile: _validate(documents, profile, skeletons) for profile in profiles}


@cache
def _joint_abstraction(profiles: tuple[str, ...]) -> Abstraction | None:
    """What none of ``profiles`` can see: a skeleton under it is one under each of them."""
    found = [shapes_for(p).abstraction for p in profiles]
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
    settings = profile_settings(profile)
    shapes = shapes_for(profile)
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


def _validate_batch(documents: list, which: list[int], settings: Profile, profile: str) -> list[list[ValidationResult]]:
    """One pySHACL run over the documents at positions ``which``; the results of each, in that order."""
    relevant = shapes_for(profile).predicates
    terms: dict = {}  # one conversion per distinct term in the whole batch
    docs = [rdflib_triples(documents[i], i, relevant, terms) for i in which]
    if not docs:
        return []
    if settings.untyped_credentials:
        docs = [_mark_untyped_credentials(d) for d in docs]
    merged, owners, original = _merge(docs, shapes_for(profile).named)
    raw = run_shacl(profile, merged)
    per_doc: list[list[ValidationResult]] = [[] for _ in docs]
    for result, focus in raw:
        for i in owners.get(focus, ()):
            per_doc[i].append(result if focus not in original else result.with_focus(original[focus]))
    out = []
    for i, results in enumerate(per_doc):
        if settings.roots and not _has_root(docs[i], settings.roots):
            results.append(ValidationResult(
                "violation", "", "", "rdf:type", f"the document holds no {settings.root_label}", document_shape(profile)))
        if settings.elements:
            results = _keep_most_severe_per_element(results)
        out.append(sorted(set(results), key=_sort_key))
    return out


def _mark_untyped_credentials(triples: list[tuple]) -> list[tuple]:
    """Add the EDC type to a cred:VerifiableCredential whose subject has a claim (for this run only)."""
    typed = {s for s, p, o in triples if p == _RDF_TYPE and o == EDC_CLASS}
    vcs = {s for s, p, o in triples if p == _RDF_TYPE and o == VC_CLASS} - typed
    if not vcs:
        return triples
    claimants = {s for s, p, _ in triples if p == _HAS_CLAIM}
    extra = [(s, _RDF_TYPE, EDC_CLASS) for s, p, o in triples if p == _CREDENTIAL_SUBJECT and s in vcs and o in claimants]
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
            original[new] = node_text(node)
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
    return (_SEVERITY_RANK[r.severity], ELEMENT_ORDER.get(r.element, 99), r.focus_node, r.path, r.message, r.shape)
