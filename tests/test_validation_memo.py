"""Reusing validation results for documents of the same shape: same answers as validating each alone."""

from __future__ import annotations

import copy
import json

import pyoxigraph as ox
import pytest

from credgraph.graph.sources import jsonld
from credgraph.graph.sources import memo_check
from credgraph.graph.sources import validation
from credgraph.graph.sources.validation_profiles import shapes_for
from credgraph.graph.sources.validation_shacl import run_shacl
from credgraph.graph.sources.validation import validate_many
from credgraph.graph.sources.validation_profiles import PROFILES
from credgraph.graph.sources.validation_memo import skeleton

SAMPLE = "Sample-CertOfPart-unsigned.jsonld"


@pytest.fixture(scope="module")
def base(shared_data) -> dict:
    return json.loads((shared_data / "samples" / SAMPLE).read_bytes())


def variant(base: dict, i: int, **changes) -> list[ox.Triple]:
    """The EC sample for another learner (other id, names, birth date), with ``changes`` applied."""
    doc = copy.deepcopy(base)
    doc["id"] = f"urn:credential:test-{i}"
    subject = doc["credentialSubject"]
    subject["givenName"] = {"en": f"Given{i}"}
    subject["familyName"] = {"en": f"Family{i}"}
    subject["dateOfBirth"] = f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}T00:00:00Z"
    for path, value in changes.items():
        node = doc
        *parents, last = path.split(".")
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return jsonld.to_triples(doc, f"variant-{i}")


def fresh(triples: list[ox.Triple], profile: str):
    """The report of a document validated alone, with nothing remembered."""
    shapes_for(profile).memo.clear()
    return validate_many([triples], profile)[0]


@pytest.fixture(scope="module")
def documents(base) -> list[list[ox.Triple]]:
    return [
        variant(base, 1),
        variant(base, 2),  # same shape as 1
        variant(base, 3, **{"credentialSubject.dateOfBirth": "1990-13-45T00:00:00Z"}),  # ill-typed date
        variant(base, 4, **{"credentialSubject.dateOfBirth": "1990-02-30"}),  # another ill-typed date
        variant(base, 5, **{"credentialSubject.hasClaim.title": None}),  # claim without title
        variant(base, 6, **{"credentialSubject.givenName": None, "credentialSubject.familyName": None,
                            "credentialSubject.fullName": None, "credentialSubject.nationalID": None}),  # M1 missing
        variant(base, 7, **{"validFrom": "2024-01-01"}),  # a date instead of a date-time
        variant(base, 8, **{"credentialSubject.hasClaim.type": "LearningActivity"}),  # a claim of another class
        variant(base, 9, **{"type": ["VerifiableCredential"]}),  # not typed as an EDC
    ]


@pytest.mark.parametrize("profile", ["annex-i-credential", "storable-credential", "edc-generic"])
def test_remembered_results_equal_validating_alone(documents, profile):
    alone = [fresh(d, profile) for d in documents]
    shapes_for(profile).memo.clear()
    first = validate_many(documents, profile)
    again = validate_many(list(reversed(documents)), profile)[::-1]  # every one from memory now
    assert first == alone
    assert again == alone


def test_documents_that_differ_only_in_learner_are_validated_once(base, monkeypatch):
    monkeypatch.setattr(memo_check, "EVERY", 0)  # the sampled cross-check redoes a use on purpose; this counts the memo's own work
    runs = []
    real = run_shacl
    monkeypatch.setattr(validation, "run_shacl", lambda profile, graph: runs.append(len(graph)) or real(profile, graph))
    shapes_for("annex-i-credential").memo.clear()
    docs = [variant(base, i) for i in range(20)]
    reports = validate_many(docs, "annex-i-credential")
    assert len(runs) == 1
    # Each report names its own credential, never another learner's.
    for i, report in enumerate(reports):
        focus = {r.focus_node for r in report.results}
        assert f"urn:credential:test-{i}" in focus
        assert not any(f"urn:credential:test-{j}" in focus for j in range(20) if j != i)
    assert validate_many(docs[:3], "annex-i-credential") == reports[:3]
    assert len(runs) == 1  # the second call runs nothing


def test_a_value_a_shape_inspects_is_part_of_the_skeleton(base):
    storable = shapes_for("storable-credential").abstraction
    assert storable is not None and any(p.endswith("/point") for p in storable.kept_values)
    credit = ox.BlankNode()
    point = ox.NamedNode("http://data.europa.eu/snb/model/elm/point")
    good = variant(base, 1) + [ox.Triple(credit, point, ox.Literal("5"))]
    bad = variant(base, 1) + [ox.Triple(credit, point, ox.Literal("five"))]
    assert skeleton(good, storable)[0] != skeleton(bad, storable)[0]
    assert fresh(good, "storable-credential").conforms
    validate_many([good], "storable-credential")  # remembered
    assert not validate_many([bad], "storable-credential")[0].conforms


def test_learner_names_and_plain_dates_are_not_part_of_the_skeleton(base):
    annex = shapes_for("annex-i-credential").abstraction
    one, two = skeleton(variant(base, 1), annex), skeleton(variant(base, 2), annex)
    assert one[0] == two[0] and one[1] != two[1]
    assert "urn:credential:test-1" in one[1] and "urn:credential:test-2" in two[1]


def test_profiles_whose_results_could_depend_on_values_are_never_remembered(tmp_path):
    import rdflib

    from credgraph.graph.sources.validation_memo import abstraction_for

    sparql = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:message "m" ;
            sh:sparql [ sh:select "SELECT $this WHERE { $this ?p ?o }" ] .""", format="turtle")
    assert abstraction_for(sparql, None, generic_messages=False) is None
    pattern_on_focus = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:message "m" ; sh:pattern "^urn:a" .""", format="turtle")
    assert abstraction_for(pattern_on_focus, None, generic_messages=False) is None
    no_message = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:PropertyShape ; sh:targetClass <urn:C> ; sh:path <urn:p> ; sh:minCount 1 .""", format="turtle")
    assert abstraction_for(no_message, None, generic_messages=False) is None
    assert abstraction_for(no_message, None, generic_messages=True) is not None
    for profile in PROFILES:
        assert shapes_for(profile).abstraction is not None


def test_several_profiles_at_once_equal_each_alone(documents):
    profiles = ("storable-credential", "annex-i-credential")
    alone = {p: [fresh(d, p) for d in documents] for p in profiles}
    for p in profiles:
        shapes_for(p).memo.clear()
    assert validation.validate_profiles(documents, profiles) == alone
    assert validation.validate_profiles(documents[::-1], profiles) == {p: r[::-1] for p, r in alone.items()}


def test_iris_no_shape_names_are_part_of_the_skeleton_only_by_identity(base):
    annex = shapes_for("annex-i-credential").abstraction
    one = variant(base, 1)
    country = next(t.object for t in one if t.predicate.value.endswith("/countryCode"))
    other = ox.NamedNode(country.value[:-3] + "FRA")
    swap = {country: other}
    moved = [ox.Triple(swap.get(t.subject, t.subject), t.predicate, swap.get(t.object, t.object)) for t in one]
    assert moved != one
    assert skeleton(one, annex)[0] == skeleton(moved, annex)[0]
    # A class the shapes name is part of it as it is.
    edc = ox.NamedNode("http://data.europa.eu/snb/model/elm/EuropeanDigitalCredential")
    untyped = [t for t in one if t.object != edc]
    assert skeleton(one, annex)[0] != skeleton(untyped, annex)[0]


def test_properties_compared_by_a_shape_keep_their_values():
    import rdflib

    from credgraph.graph.sources.validation_memo import abstraction_for

    shapes = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:PropertyShape ; sh:targetClass <urn:C> ; sh:message "m" ;
            sh:path <urn:start> ; sh:lessThan <urn:end> .""", format="turtle")
    found = abstraction_for(shapes, None, generic_messages=False)
    assert {"urn:start", "urn:end"} <= found.kept_values


def _named_iri(abstraction) -> str:
    """An IRI the shapes name that is not an RDF or SHACL term (a class of ELM)."""
    return next(i for i in sorted(abstraction.named) if i.startswith("http://data.europa.eu/snb/model/elm/"))


@pytest.mark.parametrize("profiles", [("storable-credential", "annex-i-credential"), ("edc-generic",)])
def test_skeletons_from_a_template_equal_those_of_the_statements(base, documents, profiles):
    from credgraph.graph.sources.jsonld_templates import Statements
    from credgraph.graph.sources.validation_memo import template_skeleton

    abstraction = validation._joint_abstraction(profiles)
    more = [
        # The learner's IRI replaced by one the shapes name: kept as it is, not numbered.
        variant(base, 20, **{"credentialSubject.id": _named_iri(abstraction)}),
        variant(base, 21, **{"issued": "2024-01-01T10:00:00.0000000000Z"}),  # a date-time not plainly written
        variant(base, 22, **{"credentialSubject.dateOfBirth": "0000-01-01T00:00:00Z"}),
        variant(base, 23, **{"credentialSubject.id": "urn:epass:person:other"}),
    ]
    made = [d for d in documents + more if isinstance(d, Statements)]
    assert len(made) >= len(documents + more) - 2  # nearly all made from a template
    for d in made + made[::-1]:  # the second time every key is known
        assert template_skeleton(d, abstraction) == skeleton(list(d), abstraction)
    keys = {template_skeleton(d, abstraction)[0] for d in made}
    assert len(keys) > 3  # the documents differ in what the shapes can see


def test_a_document_string_equal_to_a_fixed_iri_of_its_template_is_not_taken_from_rows(base):
    from credgraph.graph.sources.jsonld_templates import Statements

    abstraction = validation._joint_abstraction(("storable-credential", "annex-i-credential"))
    person = "http://data.europa.eu/snb/model/elm/Person"  # also the type of the learner: a fixed IRI
    d = variant(base, 30, **{"credentialSubject.id": person})
    assert not isinstance(d, Statements)
    assert len(d) == len(set(d))
    assert validation.validate_profiles([d], ("storable-credential",))["storable-credential"][0] == fresh(d, "storable-credential")
    assert skeleton(d, abstraction) is not None
