"""Datatype checks derived from the shipped ELM model (ontology ranges, SHACL sh:datatype), not from hand lists."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from credgraph.graph.sources import datatypes
from credgraph.graph.sources import jsonld
from credgraph.graph.sources.datatypes import _short, literal_problem, literal_problems
from credgraph.graph.sources.jsonld_contexts import EDC_AP, VC_V1
from credgraph.graph import namespaces as ns

# A well-formed and an ill-formed lexical value for every datatype with a lexical rule.
X = ns.XSD
VALUES = {
    X + "dateTime": ("2024-03-26T10:00:00Z", "26/03/2024"),
    X + "date": ("2024-03-26", "2024-02-30"),
    X + "duration": ("P1M", "one month"),
    X + "integer": ("42", "forty-two"),
    X + "int": ("42", "4.2"),
    X + "long": ("42", "4.2"),
    X + "short": ("42", "4.2"),
    X + "nonNegativeInteger": ("0", "-1"),
    X + "positiveInteger": ("3", "0"),
    X + "decimal": ("2.5", "2,5"),
    X + "double": ("2.5e3", "many"),
    X + "float": ("2.5", "many"),
    X + "boolean": ("true", "yes"),
}


def test_every_range_of_the_shipped_model_is_either_checked_or_takes_any_string():
    # A new range in the model must not pass unchecked by accident.
    ranges = {d for types in datatypes.property_datatypes().values() for d in types}
    assert ranges <= datatypes.CHECKED | datatypes.ANY_STRING, ranges - datatypes.CHECKED - datatypes.ANY_STRING
    assert datatypes.CHECKED <= set(VALUES)


def test_the_model_gives_the_ranges_real_documents_need():
    types = datatypes.property_datatypes()
    assert types[ns.ELM + "maximumDuration"] == {X + "duration"}
    assert types[ns.ELM + "volumeOfLearning"] == {X + "duration"}
    assert X + "dateTime" in types[ns.CRED + "issued"]
    assert X + "string" in types[ns.ELM + "point"]  # the EC profile keeps credit points as strings


@pytest.mark.parametrize("prop", sorted(datatypes.checked_properties()))
def test_each_datatype_property_accepts_its_range_and_refuses_other_text(prop):
    subject = ox.NamedNode("urn:x:s")
    checked = sorted(datatypes.property_datatypes()[prop] & datatypes.CHECKED)
    good = VALUES[checked[0]][0]
    assert literal_problems([ox.Triple(subject, ox.NamedNode(prop), ox.Literal(good))]) == []
    bad = VALUES[checked[0]][1]
    if all(literal_problem(ox.Literal(bad, datatype=ox.NamedNode(d))) is None for d in checked):
        bad = "not a value of any kind"
    problems = literal_problems([ox.Triple(subject, ox.NamedNode(prop), ox.Literal(bad))])
    assert len(problems) == 1
    short = _short(prop)
    assert problems[0].startswith(f"{short} of <urn:x:s>: \"{bad}\" is not a valid xsd:"), problems[0]


@pytest.mark.parametrize("value", ["P1M", "P21D", "PT60H", "P1Y2M10DT2H30M"])
def test_maximum_duration_values_of_real_credentials_pass(value):
    doc = {"@context": [VC_V1, EDC_AP], "id": "urn:x:spec", "type": "LearningAchievementSpecification",
           "maximumDuration": value}
    assert literal_problems(jsonld.to_triples(doc, "doc")) == []


def test_typed_values_are_checked_against_their_own_datatype():
    # The EDC context types dateOfBirth as xsd:dateTime; a value that is none is refused, naming the property.
    doc = {"@context": [VC_V1, EDC_AP], "id": "urn:x:spec", "type": "LearningAchievementSpecification",
           "volumeOfLearning": "125 hours"}
    [problem] = literal_problems(jsonld.to_triples(json.loads(json.dumps(doc)), "doc"))
    assert problem.startswith("elm:volumeOfLearning of <urn:x:spec>:") and "125 hours" in problem
