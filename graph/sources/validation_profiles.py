"""The validation profiles and their shapes: which shapes file each profile runs (shipped in
``vocabularies/shapes/``), what a document must contain, which Annex I elements it reports on;
and each profile's shapes loaded once, with what a document's memo skeleton may leave out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import rdflib
from pyshacl.shapes_graph import ShapesGraph
from rdflib import Literal, URIRef

from credgraph import vocabularies
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.bounded_cache import BoundedCache
from credgraph.graph.sources.validation_memo import Abstraction, abstraction_for


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
ELEMENT_ORDER = {element: i for i, element in enumerate(ANNEX_I_ELEMENTS)}

SHAPES_NS = "https://w3id.org/credgraph/shapes/"
SH_NS = "http://www.w3.org/ns/shacl#"
_ANNEX_ELEMENT = URIRef(ns.CG + "annexIElement")
_PROFILE = URIRef(ns.CG + "profile")
_CLOSED = URIRef("http://www.w3.org/ns/shacl#closed")
_RDFS_SUBCLASS = ns.RDFS + "subClassOf"


EDC_CLASS = URIRef(ns.ELM + "EuropeanDigitalCredential")
VC_CLASS = URIRef(ns.CRED + "VerifiableCredential")


_SPEC_CLASSES = (URIRef(ns.ELM + "LearningAchievementSpecification"), URIRef(ns.ELM + "Qualification"))


@dataclass(frozen=True)
class Profile:
    """How one profile is run: its shapes, what a document must contain, which Annex I elements it covers."""

    file: str
    # Run only the shapes of the file annotated cg:profile "<name>" (several
    # profiles share one file); otherwise every shape of the file.
    select_shapes: bool = False
    roots: tuple[URIRef, ...] = ()  # a document must contain a node of one of these classes
    root_label: str = ""
    elements: tuple[str, ...] = ()  # Annex I elements the profile reports on
    untyped_credentials: bool = False  # treat a VC whose subject has elm:hasClaim as an EDC


SETTINGS: dict[str, Profile] = {
    "annex-i-credential": Profile(
        PROFILES["annex-i-credential"], roots=(EDC_CLASS,), root_label="elm:EuropeanDigitalCredential",
        elements=tuple(ANNEX_I_ELEMENTS), untyped_credentials=True,
    ),
    "annex-i-catalogue": Profile(
        PROFILES["annex-i-catalogue"], roots=_SPEC_CLASSES,
        root_label="elm:LearningAchievementSpecification or elm:Qualification",
        elements=("M2", "M3", "M4", "M6", "M7", "M8", "M9", "M10", "M11", "O1", "O4", "O5"),
    ),
    "storable-credential": Profile(
        PROFILES["storable-credential"], select_shapes=True,
        roots=(EDC_CLASS, VC_CLASS), root_label="elm:EuropeanDigitalCredential or cred:VerifiableCredential",
    ),
    "storable-specification": Profile(
        PROFILES["storable-specification"], select_shapes=True,
        roots=_SPEC_CLASSES, root_label="elm:LearningAchievementSpecification or elm:Qualification",
    ),
    "edc-generic": Profile(
        PROFILES["edc-generic"], roots=(EDC_CLASS, VC_CLASS),
        root_label="elm:EuropeanDigitalCredential or cred:VerifiableCredential",
    ),
}


def profile_settings(profile: str) -> Profile:
    try:
        return SETTINGS[profile]
    except KeyError:
        raise ValueError(f"unknown validation profile {profile!r}; known: {', '.join(PROFILES)}") from None


def document_shape(profile: str) -> str:
    return f"{SHAPES_NS}{profile}#Document"


@dataclass
class Shapes:
    graph: ShapesGraph
    names: list[str]  # shapes to run (use_shapes), [] for all
    elements: dict[URIRef, tuple[str, ...]]  # shape -> the Annex I elements it reports
    predicates: frozenset[str] | None  # IRIs the shapes mention; None: keep every triple
    lock: threading.Lock
    abstraction: Abstraction | None  # what documents of the same shape may differ in (None: never reuse)
    memo: BoundedCache  # skeleton -> (results, texts of the document they were computed on)
    named: frozenset  # rdflib IRIs the shapes (and this module) look at by name


@cache
def shapes_for(profile: str) -> Shapes:
    """The parsed shapes of ``profile``, harvested once and reused by every run.

    pySHACL rebuilds its shape objects on every call; reusing them is most of the
    difference between a lean and a slow call (SimpleMemory: the shapes graph
    needs no named-graph bookkeeping).
    """
    settings = profile_settings(profile)
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
            elements[s] = tuple(sorted({*elements.get(s, ()), str(o)}, key=ELEMENT_ORDER.__getitem__))
    # The classes _has_root and _mark_untyped_credentials look for are looked at by identity too.
    looked_at = frozenset(str(c) for c in (*settings.roots, EDC_CLASS, VC_CLASS))
    abstraction = abstraction_for(graph, predicates, generic_messages=profile == "edc-generic", also_named=looked_at)
    named = frozenset(URIRef(i) for i in mentioned | looked_at)
    return Shapes(shapes, names, elements, predicates, threading.Lock(), abstraction, BoundedCache(256), named)
