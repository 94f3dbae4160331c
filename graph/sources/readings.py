"""What an issued credential states, read from where Annex I validation finds it.

The comparability report, stacking and statistics read a specification's
facts from the public description (:mod:`credgraph.graph.services.specifications`).
Some elements are stated on the claim rather than on its specification: the
type of assessment and the identity verification on the achievement's
``elm:provenBy`` assessment, quality assurance on the awarding body or the
issuer. The ``annex-i-credential`` validator finds them there; so that no
service reports "cannot be determined" for a value the validator sees, the
values are read here by evaluating *the validator's own* ``sh:path`` of the
element (the shipped ``shapes/annex-i-credential.ttl``), on the credential's
main claims (:func:`credgraph.graph.sources.annex_i.main_claims`), and recorded on the
public issuance record:

- M9 type of assessment -> ``cg:assessmentType`` (the ``dc:type`` concepts);
- O2 identity verification -> ``cg:idVerification`` (the concepts);
- M11 quality assurance -> ``cg:accredited true`` and ``cg:qualityAssuranceType``
  (the ``dc:type`` of each accreditation found).

Only concept IRIs are recorded: they are public vocabulary, never personal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection

from credgraph import vocabularies
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.privacy import Graph

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
AIC = "https://w3id.org/credgraph/shapes/annex-i-credential#"
DC_TYPE = ns.DC + "type"


@dataclass
class Readings:
    """The credential-level values of the elements read on the claims (concept IRIs)."""

    assessment_types: list[ox.NamedNode] = field(default_factory=list)
    id_verifications: list[ox.NamedNode] = field(default_factory=list)
    accredited: bool = False
    quality_assurance_types: list[ox.NamedNode] = field(default_factory=list)


# A SHACL path as plain data: ("p", iri) | ("seq", [paths]) | ("alt", [paths]) | ("inv", path)
Path = tuple


@cache
def element_path(shape: str) -> Path:
    """The ``sh:path`` of an ``annex-i-credential`` shape (e.g. ``"M9"``), as plain data."""
    g = rdflib.Graph()
    g.parse(data=vocabularies.read_bytes("shapes/annex-i-credential.ttl"), format="turtle")
    node = g.value(rdflib.URIRef(AIC + shape), SH.path)
    if node is None:
        raise KeyError(f"annex-i-credential has no shape {shape} with a path")
    return _path(g, node)


def _path(g: rdflib.Graph, node) -> Path:
    if isinstance(node, rdflib.URIRef):
        return ("p", str(node))
    alternatives = g.value(node, SH.alternativePath)
    if alternatives is not None:
        return ("alt", [_path(g, n) for n in Collection(g, alternatives)])
    inverse = g.value(node, SH.inversePath)
    if inverse is not None:
        return ("inv", _path(g, inverse))
    if g.value(node, rdflib.RDF.first) is not None:
        return ("seq", [_path(g, n) for n in Collection(g, node)])
    raise ValueError(f"unsupported SHACL path form in annex-i-credential: {node}")


def values(graph: Graph, focus, path: Path) -> list:
    """The value nodes of ``path`` from ``focus`` (SHACL path semantics, in order, without duplicates)."""
    kind, arg = path
    if kind == "p":
        found = graph.objects(focus, arg)
    elif kind == "seq":
        found = [focus]
        for step in arg:
            found = [v for node in found for v in values(graph, node, step)]
    elif kind == "alt":
        found = [v for step in arg for v in values(graph, focus, step)]
    else:  # inverse: subjects pointing at focus
        (_, prop) = arg if arg[0] == "p" else (None, None)
        if prop is None:
            raise ValueError("only an inverse of a predicate is supported")
        node = ox.NamedNode(prop)
        found = [t.subject for t in graph.triples if t.predicate == node and t.object == focus]
    return list(dict.fromkeys(found))


def read(graph: Graph, credential, main_claims: list) -> Readings:
    """The readings of one credential: its main claims for M9 and O2, the credential for M11."""
    concepts = lambda nodes: list(dict.fromkeys(n for n in nodes if isinstance(n, ox.NamedNode)))  # noqa: E731
    out = Readings()
    out.assessment_types = concepts(v for c in main_claims for v in values(graph, c, element_path("M9")))
    out.id_verifications = concepts(v for c in main_claims for v in values(graph, c, element_path("O2")))
    accreditations = values(graph, credential, element_path("M11"))
    out.accredited = bool(accreditations)
    out.quality_assurance_types = concepts(t for a in accreditations for t in graph.objects(a, DC_TYPE))
    return out
