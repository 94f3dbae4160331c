"""The contract with pySHACL: the fast path finds what public ``pyshacl.validate`` finds.

``graph/sources/validation.py`` drives pySHACL through its internals (``DataGraph``,
``ShapesGraph``, an overridden ``create_validation_report``) to reuse parsed
shapes and skip the report graph; pyproject.toml pins pySHACL to the tested
minor release. This test is what a new pySHACL release must pass: on every
shipped profile, for complete and broken documents, the fast path's raw results
are the results of the public API on the same data graph and shapes.
"""

from __future__ import annotations

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib import URIRef

from credgraph import vocabularies
from credgraph.graph.sources import validation
from credgraph.graph.sources.validation_profiles import PROFILES, profile_settings, shapes_for
from credgraph.graph.sources.validation_shacl import SEVERITY, node_text, rdflib_triples, render_path, run_shacl
from credgraph.graph.sources.catalogue_csv import parse_catalogue_csv
from test_validation import COMPLETE, SPECIFICATION, ttl, without

ELM = "http://data.europa.eu/snb/model/elm/"
DC = "http://purl.org/dc/terms/"
SH = "http://www.w3.org/ns/shacl#"


def documents() -> dict[str, list[ox.Triple]]:
    complete, spec = ttl(COMPLETE), ttl(SPECIFICATION)
    catalogue = parse_catalogue_csv(vocabularies.read_bytes("examples/catalogue-example.csv"), "catalogue-example.csv")
    return {
        "complete credential": complete,
        "credential without title, level, assessment": without(complete, (None, DC + "title"), (None, ELM + "EQFLevel"), (None, ELM + "provenBy")),
        "credential without its subject": without(complete, (None, "https://www.w3.org/2018/credentials#credentialSubject")),
        "specification": spec,
        "specification without outcomes and credit": without(spec, (None, ELM + "learningOutcome"), (None, ELM + "creditPoint")),
        "catalogue example": list(catalogue.triples),
    }


def data_graph(profile: str, triples: list[ox.Triple]) -> rdflib.Graph:
    """The data graph the fast path validates for one document (its own preparation steps)."""
    settings = profile_settings(profile)
    docs = [rdflib_triples(triples, 0, shapes_for(profile).predicates, {})]
    if settings.untyped_credentials:
        docs = [validation._mark_untyped_credentials(d) for d in docs]
    graph, _, _ = validation._merge(docs, shapes_for(profile).named)
    return graph


def fast(profile: str, graph: rdflib.Graph) -> set[tuple]:
    shapes = shapes_for(profile)
    found = set()
    for result, focus in run_shacl(profile, graph):
        # A shape that stands for several Annex I elements is reported once per element,
        # each with its own severity: compare the shape's finding, not the split.
        several = len(shapes.elements.get(URIRef(result.shape), ())) > 1
        found.add((str(focus), result.shape, result.path, "*" if several else result.severity))
    return found


def public(profile: str, graph: rdflib.Graph) -> set[tuple]:
    shapes = shapes_for(profile)
    shapes_graph = rdflib.Graph().parse(data=vocabularies.read_bytes(PROFILES[profile]), format="turtle")
    conforms, report, _ = pyshacl.validate(
        graph, shacl_graph=shapes_graph, inference="none", use_shapes=shapes.names or None, allow_infos=True, allow_warnings=True)
    found = set()
    for result in report.objects(None, URIRef(SH + "result")):  # the report's results (not their sh:detail)
        shape = report.value(result, URIRef(SH + "sourceShape"))
        path = report.value(result, URIRef(SH + "resultPath"))
        severity = SEVERITY[report.value(result, URIRef(SH + "resultSeverity"))]
        shape_text = node_text(shape)
        several = len(shapes.elements.get(shape, ())) > 1 if isinstance(shape, URIRef) else False
        found.add((str(report.value(result, URIRef(SH + "focusNode"))), shape_text,
                   render_path(report, path) if path is not None else "", "*" if several else severity))
    return found


def _anonymous_shapes_apart(found: set[tuple]) -> set[tuple]:
    # An anonymous shape's blank node is copied into the public report under a new name.
    return {(focus, shape if not shape.startswith("_:") else "_:anonymous", path, severity) for focus, shape, path, severity in found}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_fast_path_finds_what_public_pyshacl_validate_finds(profile):
    compared = 0
    for name, triples in documents().items():
        graph = data_graph(profile, triples)
        expected = _anonymous_shapes_apart(public(profile, graph))
        got = _anonymous_shapes_apart(fast(profile, graph))
        assert got == expected, f"{profile} on {name}: only fast {sorted(got - expected)[:5]}; only public {sorted(expected - got)[:5]}"
        compared += len(expected)
    assert compared > 0  # the documents are broken enough for every profile to say something


def test_pyshacl_is_the_pinned_release():
    # The pin in pyproject.toml (>=0.40,<0.41); a new minor release must pass the test above before the pin moves.
    major, minor = (int(x) for x in pyshacl.__version__.split(".")[:2])
    assert (major, minor) == (0, 40)
