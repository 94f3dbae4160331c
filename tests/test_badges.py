"""Open Badges 3.0 -> ELM 3.1: specification, outcomes with ESCO skills, issuer, learner kept private."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from credgraph.graph.sources import badges
from credgraph.graph.sources import jsonld
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.edc import CredentialError, issuance_record

KEY = b"k" * 32
ESCO_TEAMWORK = "http://data.europa.eu/esco/skill/6c8e8c4b-5a0c-4a4b-9a5e-3d1a3b1d2c3f"


@pytest.fixture
def badge(shared_data) -> dict:
    return json.loads((shared_data / "samples" / "ob3-basicOpenBadgeCredential.json").read_bytes())


def split(doc: dict):
    return badges.split_badge(doc, jsonld.to_triples(doc, "badge.json"), "badge.json", KEY)


def objects(triples, s, p):
    return {t.object for t in triples if t.subject == s and t.predicate.value == p}


def test_achievement_becomes_learning_achievement_specification(badge):
    result = split(badge)
    spec = ox.NamedNode("https://example.com/achievements/21st-century-skills/teamwork")
    assert result.specifications == [spec]
    assert ox.NamedNode(ns.ELM + "LearningAchievementSpecification") in objects(result.public, spec, ns.RDF + "type")
    assert objects(result.public, spec, ns.DC + "title") == {ox.Literal("Teamwork")}
    assert len(objects(result.public, spec, ns.DC + "description")) == 1
    org = ox.NamedNode("https://example.com/issuers/876543")
    assert result.awarding_body == org
    assert objects(result.public, org, ns.ROV + "legalName") == {ox.Literal("Example Corp")}
    assert result.issued == "2010-01-01"


def test_learner_and_credential_id_only_private(badge):
    result = split(badge)
    learner = ox.NamedNode("did:example:ebfeb1f712ebc6f1c276e12ec21")
    credential = ox.NamedNode("http://example.com/credentials/3527")
    assert any(t.subject == learner for t in result.private)
    for t in result.public:
        assert learner not in (t.subject, t.object) and credential not in (t.subject, t.object)
    assert result.learner and len(result.learner) == 64 and "ebfeb1f7" not in result.learner
    record, triples = issuance_record(result, "badge-x")
    assert any(t.predicate.value == ns.CG + "learner" for t in triples)


def test_esco_alignment_becomes_related_esco_skill_on_an_outcome(badge):
    badge["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "work in teams", "targetUrl": ESCO_TEAMWORK, "targetFramework": "ESCO"},
        {"type": ["Alignment"], "targetName": "Local framework item", "targetUrl": "https://example.com/framework/42"},
    ]
    badge["issuer"]["address"] = {"type": ["Address"], "addressCountryCode": "DE"}
    result = split(badge)
    spec = result.specifications[0]
    outcomes = objects(result.public, spec, ns.ELM + "learningOutcome")
    assert len(outcomes) == 2
    skills = {o for out in outcomes for o in objects(result.public, out, ns.ELM + "relatedESCOSkill")}
    assert skills == {ox.NamedNode(ESCO_TEAMWORK)}
    titles = {o.value for out in outcomes for o in objects(result.public, out, ns.DC + "title")}
    assert titles == {"work in teams", "Local framework item"}
    assert result.issuer_country == ox.NamedNode("http://publications.europa.eu/resource/authority/country/DEU")


def test_not_a_badge_is_rejected(badge):
    badge["type"] = ["VerifiableCredential"]
    with pytest.raises(CredentialError, match="not an OpenBadgeCredential"):
        split(badge)


def test_badge_without_achievement_name_is_rejected(badge):
    del badge["credentialSubject"]["achievement"]["name"]
    with pytest.raises(CredentialError, match="achievement.name"):
        split(badge)


def test_elm_view_has_the_annex_i_shape(badge):
    result = split(badge)
    view = badges.elm_view(result, badge, result.public)
    types = {t.object.value for t in view if t.predicate.value == ns.RDF + "type"}
    assert {ns.ELM + "EuropeanDigitalCredential", ns.ELM + "Person", ns.ELM + "LearningAchievement"} <= types
    assert any(t.predicate.value == ns.CRED + "issued" for t in view)
