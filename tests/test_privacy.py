"""Personal data stays private: the split of an EDC credential, pseudonyms, message scrubbing."""

from __future__ import annotations

import hashlib
import hmac
import json

import pyoxigraph as ox
import pytest

from credgraph.graph.sources import edc
from credgraph.graph.sources import jsonld
from credgraph.graph.sources import privacy
from credgraph.graph.sources import seal
from credgraph.graph import namespaces as ns

KEY = bytes(range(32))
PERSONAL = ["Ana", "Andromeda", "1999-10-01", "LA-234218", "97168A", "ana.andromeda", "Calle Iglesia",
            "urn:epass:person:1", "urn:credential:43662fb0"]


@pytest.fixture
def signed_triples(shared_data):
    doc = json.loads((shared_data / "samples" / "Sample-CertOfPart-signed.jsonld").read_bytes())
    payload = seal.open_seal(doc, "signed").payload
    return jsonld.to_triples(jsonld.decode_json(payload, "signed"), "signed")


def test_public_part_has_no_personal_data(signed_triples):
    split = edc.split_edc(signed_triples, "signed", KEY)
    _, record = edc.issuance_record(split, "cred-x")
    text = "\n".join(str(t) for t in split.public + record)
    for value in PERSONAL:
        assert value not in text, value
    # ... while the private graph is the whole document.
    private = "\n".join(str(t) for t in split.private)
    assert all(value in private for value in PERSONAL)


def test_public_part_describes_what_was_awarded(signed_triples):
    split = edc.split_edc(signed_triples, "signed", KEY)
    titles = {t.object.value for t in split.public if t.predicate.value == ns.DC + "title"}
    assert "EDC Updates Webinar" in titles
    assert split.issuer_country == ox.NamedNode("http://publications.europa.eu/resource/authority/country/BEL")
    assert split.issued == "2023-09-27"
    assert len(split.specifications) == 1 and split.specifications[0].value.startswith(ns.CG_ID + "spec/")
    legal = {t.object.value for t in split.public if t.subject == split.awarding_body and t.predicate.value == ns.ROV + "legalName"}
    assert legal == {"European Digital Credentials for Learning Support Team"}
    assert not any(str(t.subject).startswith("<urn:") or str(t.object).startswith("<urn:") for t in split.public)


def test_pseudonym_is_keyed_hmac_of_the_learner_key(signed_triples):
    graph = privacy.Graph(signed_triples)
    key = privacy.learner_key(graph, ox.NamedNode("urn:epass:person:1"))
    assert key == "nid:http://publications.europa.eu/resource/authority/country/ITA:LA-234218"
    split = edc.split_edc(signed_triples, "signed", KEY)
    assert split.learner == hmac.new(KEY, key.encode(), hashlib.sha256).hexdigest()
    assert edc.split_edc(signed_triples, "signed", b"another key" * 3).learner != split.learner


def test_same_learner_in_two_credentials_gets_one_pseudonym(signed_triples):
    other = [ox.Triple(ox.NamedNode("urn:credential:other") if t.subject.value.startswith("urn:credential:") else t.subject,
                       t.predicate, t.object) for t in signed_triples]
    assert edc.split_edc(other, "other", KEY).learner == edc.split_edc(signed_triples, "signed", KEY).learner


def test_learner_key_falls_back_to_email_then_identifier():
    p, cp, ident = ox.NamedNode("urn:epass:person:1"), ox.NamedNode("urn:epass:cp"), ox.NamedNode("urn:epass:id")
    e = ns.ELM
    triples = [
        ox.Triple(p, ox.NamedNode(e + "contactPoint"), cp),
        ox.Triple(cp, ox.NamedNode(e + "emailAddress"), ox.NamedNode("mailto:Someone@Example.org")),
        ox.Triple(p, ox.NamedNode(ns.ADMS + "identifier"), ident),
        ox.Triple(ident, ox.NamedNode(ns.SKOS + "notation"), ox.Literal("123")),
    ]
    assert privacy.learner_key(privacy.Graph(triples), p) == "mail:someone@example.org"
    assert privacy.learner_key(privacy.Graph(triples[2:]), p) == "id::123"
    assert privacy.learner_key(privacy.Graph([]), p) is None


def test_assert_public_refuses_personal_terms(signed_triples):
    graph = privacy.Graph(signed_triples)
    forbidden = privacy.personal_terms(graph, [ox.NamedNode("urn:epass:person:1")], ox.NamedNode("urn:credential:43662fb0-c31c-4afb-b501-e85aea91c0a8"))
    leak = [ox.Triple(ox.NamedNode(ns.CG_ID + "spec/x"), ox.NamedNode(ns.DC + "title"), ox.Literal("Andromeda", language="en"))]
    with pytest.raises(privacy.PrivacyError, match="signed: personal data"):
        privacy.assert_public(leak, forbidden, "signed")


def test_scrub_withholds_personal_values(signed_triples):
    graph = privacy.Graph(signed_triples)
    forbidden = privacy.personal_terms(graph, [ox.NamedNode("urn:epass:person:1")], None)
    text = privacy.scrub("value LA-234218 of urn:epass:person:1 (Ana Andromeda)", forbidden)
    assert "LA-234218" not in text and "Andromeda" not in text and "[withheld]" in text


def _numbered(triples) -> list:
    """Statements with blank nodes numbered in order of appearance (to compare up to their labels)."""
    numbers: dict = {}
    name = lambda t: numbers.setdefault(t, len(numbers)) if isinstance(t, ox.BlankNode) else t  # noqa: E731
    return [(name(t.subject), t.predicate, name(t.object)) for t in triples]


def test_remembered_public_descriptions_equal_minting_afresh(shared_data):
    doc = json.loads((shared_data / "samples" / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    spec = ox.NamedNode("urn:epass:learningActivitySpec:1")
    documents = []
    for i, title in enumerate(["EDC Updates Webinar", "EDC Updates Webinar", "Another webinar"]):
        d = json.loads(json.dumps(doc))
        d["id"] = f"urn:credential:mint-{i}"
        d["credentialSubject"]["hasClaim"]["specifiedBy"]["title"] = {"en": title}
        documents.append(list(jsonld.to_triples(d, f"d{i}")))
    # A literal the public part leaves out (a personal property) still goes into the minted IRI.
    for i in range(2):
        documents.append(documents[0] + [ox.Triple(spec, ox.NamedNode(ns.FOAF + "name"), ox.Literal(f"hidden {i}"))])
    fresh = []
    for triples in documents:
        privacy._MINTED.clear()
        fresh.append(edc.split_edc(triples, "d", KEY))
    for triples, expected in zip(documents + documents, fresh + fresh):  # remembered from the second document on
        split = edc.split_edc(triples, "d", KEY)
        assert _numbered(split.public) == _numbered(expected.public)
        assert split.specifications == expected.specifications
        assert split.awarding_body == expected.awarding_body
    specs = [s.specifications[0] for s in fresh]
    assert specs[0] == specs[1] and specs[2] != specs[0]  # same course, one IRI; another title, another
    assert len({specs[0], specs[3], specs[4]}) == 3


def test_a_remembered_description_maps_each_documents_own_blank_nodes():
    spec, org, cred, person, claim = (ox.BlankNode() for _ in range(5))
    E = ns.ELM

    def document(spec, org, cred, person, claim):
        return [
            ox.Triple(cred, ox.NamedNode(ns.RDF + "type"), ox.NamedNode(E + "EuropeanDigitalCredential")),
            ox.Triple(cred, ox.NamedNode(ns.CRED + "credentialSubject"), person),
            ox.Triple(person, ox.NamedNode(E + "hasClaim"), claim),
            ox.Triple(claim, ox.NamedNode(E + "specifiedBy"), spec),
            ox.Triple(spec, ox.NamedNode(ns.RDF + "type"), ox.NamedNode(E + "Qualification")),
            ox.Triple(spec, ox.NamedNode(ns.DC + "title"), ox.Literal("Course")),
            ox.Triple(spec, ox.NamedNode(E + "learningOutcome"), org),
            ox.Triple(org, ox.NamedNode(ns.DC + "title"), ox.Literal("An outcome")),
        ]

    privacy._MINTED.clear()
    one = edc.split_edc(document(spec, org, cred, person, claim), "one", KEY)
    other = [ox.BlankNode() for _ in range(5)]
    two = edc.split_edc(document(*other), "two", KEY)
    assert two.specifications == one.specifications and two.specifications[0].value.startswith(ns.CG_ID + "spec/")
    assert not {t for t in two.public for t in (t.subject, t.object)} & set(other)  # none of the document's own blank nodes
