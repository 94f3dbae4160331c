"""JSON-LD to RDF: bundled contexts only, ELM 3.1/3.2/3.3, the nationalID defect, bad documents."""

from __future__ import annotations

import json
import socket

import pyoxigraph as ox
import pytest

from credgraph.graph.sources import jsonld
from credgraph.graph.sources import jsonld_contexts
from credgraph.graph.sources.datatypes import literal_problem, literal_problems
from credgraph.graph.sources.jsonld_contexts import (
    BUNDLED_CONTEXTS,
    EDC_AP,
    VC_V1,
    VC_V2,
    bundled_context,
    context_urls,
    inline_contexts,
)
from credgraph.graph.sources import memo_check
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.jsonld_contexts import DocumentError


@pytest.fixture
def unsigned(shared_data) -> dict:
    return json.loads((shared_data / "samples" / "Sample-CertOfPart-unsigned.jsonld").read_bytes())


@pytest.fixture
def no_network(monkeypatch):
    """Any socket use fails the test: parsing must never go to the network."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def predicates(triples) -> set[str]:
    return {t.predicate.value for t in triples}


def test_elm_31_sample_parses_offline_with_bundled_contexts(unsigned, no_network):
    triples = jsonld.to_triples(unsigned, "unsigned.jsonld")
    assert len(triples) == len(set(triples)) == 156
    assert ox.Triple(
        ox.NamedNode("urn:epass:person:1"), ox.NamedNode(ns.RDF + "type"), ox.NamedNode(ns.ELM + "Person")
    ) in triples


def test_national_id_defect_lands_on_ontology_property(unsigned):
    triples = jsonld.to_triples(unsigned, "unsigned.jsonld")
    assert ns.ELM + "nationalId" in predicates(triples)
    assert ns.ELM + "nationalID" not in predicates(triples)


def test_elm_32_vc_v2_context_gives_the_same_graph(unsigned, no_network):
    v1 = set(jsonld.to_triples(unsigned, "v1"))
    v2_doc = dict(unsigned, **{"@context": [VC_V2, EDC_AP]})
    assert set(jsonld.to_triples(v2_doc, "v2")) == v1


def test_elm_33_namespace_is_normalised_to_31():
    doc = {
        "@context": [VC_V2, {"elm": ns.ELM_33, "title": {"@id": "http://purl.org/dc/terms/title"},
                                    "specifiedBy": {"@id": "elm:specifiedBy", "@type": "@id"},
                                    "nationalID": {"@id": "elm:nationalID", "@type": "@id"}}],
        "id": "urn:x:cred", "type": ["VerifiableCredential", "elm:EuropeanDigitalCredential"],
        "credentialSubject": {"id": "urn:x:p", "type": "elm:Person", "nationalID": "urn:x:nid",
                              "elm:hasClaim": {"id": "urn:x:claim", "specifiedBy": "urn:x:spec"}},
    }
    triples = jsonld.to_triples(doc, "elm33.jsonld")
    assert not any(ns.ELM_33 in str(t) for t in triples)
    assert ox.Triple(ox.NamedNode("urn:x:cred"), ox.NamedNode(ns.RDF + "type"), ox.NamedNode(ns.ELM + "EuropeanDigitalCredential")) in triples
    assert ox.Triple(ox.NamedNode("urn:x:claim"), ox.NamedNode(ns.ELM + "specifiedBy"), ox.NamedNode("urn:x:spec")) in triples
    assert ox.Triple(ox.NamedNode("urn:x:p"), ox.NamedNode(ns.ELM + "nationalId"), ox.NamedNode("urn:x:nid")) in triples


def test_open_badges_context_is_bundled(shared_data, no_network):
    doc = json.loads((shared_data / "samples" / "ob3-basicOpenBadgeCredential.json").read_bytes())
    triples = jsonld.to_triples(doc, "ob3.json")
    assert any(t.object == ox.Literal("Teamwork") for t in triples)


@pytest.mark.parametrize(
    "context",
    [
        ["https://www.w3.org/2018/credentials/v1", "https://example.org/my-context.jsonld"],
        "http://schema.org/",
        [VC_V2, {"@import": "https://evil.example/ctx.jsonld"}],
    ],
)
def test_unknown_remote_context_is_rejected_naming_the_url(unsigned, context, no_network):
    doc = dict(unsigned, **{"@context": context})
    with pytest.raises(DocumentError) as info:
        jsonld.to_triples(doc, "doc.jsonld")
    url = [c for c in context_urls(doc) if c not in BUNDLED_CONTEXTS][0]
    assert "doc.jsonld" in str(info.value) and url in str(info.value)


def test_remote_context_nested_in_a_node_is_rejected(unsigned):
    doc = json.loads(json.dumps(unsigned))
    doc["credentialSubject"]["@context"] = "https://example.org/scoped.jsonld"
    with pytest.raises(DocumentError, match="https://example.org/scoped.jsonld"):
        jsonld.to_triples(doc, "doc.jsonld")


def test_document_without_context_is_not_json_ld():
    with pytest.raises(DocumentError, match="no @context"):
        jsonld.to_triples({"id": "urn:x"}, "plain.json")


@pytest.mark.parametrize(
    "data, expected",
    [
        (b'{"id": "urn:x", "type": ', "truncated JSON"),
        (b'{"id": "urn:x",, }', "malformed JSON"),
        (b'{"name": "caf\xe9"}', "not UTF-8"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b"[" * 150 + b"]" * 150, "nested too deeply"),
    ],
)
def test_unreadable_json_names_document_and_problem(data, expected):
    with pytest.raises(DocumentError) as info:
        jsonld.decode_json(data, "bad.json")
    assert str(info.value).startswith("bad.json: ") and expected in str(info.value)


def test_malformed_json_reports_line_and_column():
    with pytest.raises(DocumentError, match=r"line 2, column \d+"):
        jsonld.decode_json(b'{"a": 1,\n "b": }', "bad.json")


def test_bom_is_accepted():
    assert jsonld.decode_json(b'\xef\xbb\xbf{"a": 1}', "bom.json") == {"a": 1}


@pytest.mark.parametrize(
    "value, datatype, ok",
    [
        ("2024-13-45", "date", False), ("2024-02-29", "date", True), ("2023-02-29", "date", False),
        ("2024-05-01T10:00:00Z", "dateTime", True), ("2024-13-45T10:00:00Z", "dateTime", False),
        ("2024-05-01T10:00:00+02:00", "dateTime", True), ("yesterday", "dateTime", False),
        ("PT125H", "duration", True), ("P2M", "duration", True), ("P", "duration", False), ("125 hours", "duration", False),
        ("5", "decimal", True), ("five", "decimal", False), ("5", "positiveInteger", True), ("0", "positiveInteger", False),
        ("true", "boolean", True), ("yes", "boolean", False),
    ],
)
def test_literal_well_formedness(value, datatype, ok):
    literal = ox.Literal(value, datatype=ox.NamedNode(ns.XSD + datatype))
    assert (literal_problem(literal) is None) is ok


def test_duration_in_words_is_a_problem_and_personal_values_are_withheld():
    cp, person = ox.NamedNode("urn:x:cp"), ox.NamedNode("urn:x:p")
    triples = [
        ox.Triple(cp, ox.NamedNode(ns.ELM + "maximumDuration"), ox.Literal("five months")),
        ox.Triple(person, ox.NamedNode(ns.ELM + "dateOfBirth"), ox.Literal("1999-13-45", datatype=ox.NamedNode(ns.XSD + "date"))),
    ]
    problems = literal_problems(triples, withheld={ns.ELM + "dateOfBirth"})
    assert any('elm:maximumDuration' in p and '"five months" is not a valid xsd:duration' in p for p in problems)
    assert any("elm:dateOfBirth" in p and "withheld" in p for p in problems)
    assert not any("1999-13-45" in p for p in problems)


@pytest.mark.parametrize("sample", ["Sample-CertOfPart-unsigned.jsonld", "credential-sample.jsonld", "ob3-basicOpenBadgeCredential.json"])
def test_pruning_unused_context_terms_changes_nothing(shared_data, sample, monkeypatch):
    doc = json.loads((shared_data / "samples" / sample).read_bytes())
    def shape(triples):  # blank node labels differ from parse to parse
        return sorted(tuple("_" if isinstance(x, ox.BlankNode) else str(x) for x in (t.subject, t.predicate, t.object)) for t in triples)

    pruned = shape(jsonld.to_triples(doc, sample))
    monkeypatch.setattr(jsonld_contexts, "_pruned", lambda context, words: context)
    assert shape(jsonld.to_triples(doc, sample)) == pruned


def _reference_triples(document: dict) -> set:
    """The straightforward way: inline contexts, parse the whole document, normalise."""
    inlined = inline_contexts(document, "reference")
    return set(jsonld.normalise(q.triple for q in ox.parse(json.dumps(inlined).encode(), ox.RdfFormat.JSON_LD)))


def _same_graph(ours: list, reference: set) -> bool:
    """Equal up to blank node labels (each parse labels its blank nodes afresh)."""
    def dataset(triples):
        d = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        d.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        return {str(q) for q in d}
    return len(ours) == len(set(ours)) and dataset(ours) == dataset(reference)


def _learner(document: dict, i: int) -> dict:
    doc = json.loads(json.dumps(document))
    doc["id"] = f"urn:credential:learner-{i}"
    subject = doc["credentialSubject"]
    subject["givenName"] = {"en": f"Given \"{i}\" é"}
    subject["familyName"] = {"en": [f"Family{i}", "Second"], "de": f"Familie{i}"}
    subject["dateOfBirth"] = f"19{60 + i}-01-0{1 + i}T00:00:00Z"
    return doc


def test_embedded_images_come_back_whole(unsigned):
    triples = jsonld.to_triples(unsigned, "unsigned.jsonld")
    assert _same_graph(triples, _reference_triples(unsigned))
    longest = max((t.object.value for t in triples if isinstance(t.object, ox.Literal)), key=len)
    assert len(longest) > 40_000 and longest.startswith("data:") or longest.isascii()
    assert not any(jsonld.TOKEN in str(t) for t in triples)


def test_documents_of_one_template_are_parsed_once_and_each_gets_its_own_values(unsigned, monkeypatch):
    monkeypatch.setattr(memo_check, "EVERY", 0)  # the sampled cross-check parses a document again on purpose
    from credgraph.graph.sources import jsonld_templates

    jsonld_templates.TEMPLATES.clear()
    parses = []
    real = jsonld._parse
    monkeypatch.setattr(jsonld, "_parse", lambda text, name: parses.append(name) or real(text, name))
    docs = [_learner(unsigned, i) for i in range(4)]
    results = [jsonld.to_triples(d, f"learner-{i}") for i, d in enumerate(docs)]
    assert len(parses) == 1
    for doc, triples in zip(docs, results):
        assert _same_graph(triples, _reference_triples(doc))
    names = [{t.object.value for t in r if t.predicate.value == ns.FOAF + "givenName"} for r in results]
    assert names == [{f'Given "{i}" é'} for i in range(4)]
    # Blank nodes are each document's own, never shared through the template.
    blanks = [{term for t in r for term in (t.subject, t.object) if isinstance(term, ox.BlankNode)} for r in results]
    assert all(not (blanks[i] & blanks[j]) for i in range(4) for j in range(i + 1, 4))


@pytest.mark.parametrize("sample", [
    "Sample-CertOfPart-unsigned.jsonld", "ob3-basicOpenBadgeCredential.json",
])
def test_shipped_samples_parse_as_the_straightforward_way(shared_data, sample):
    doc = json.loads((shared_data / "samples" / sample).read_bytes())
    for i in range(2):  # the second time from the template
        assert _same_graph(jsonld.to_triples(_learner(doc, i) if "CertOfPart" in sample else doc, "s"),
                           _reference_triples(_learner(doc, i) if "CertOfPart" in sample else doc))


@pytest.mark.parametrize("where", ["@id of a node", "IRI value", "language value", "value object in a language map"])
def test_strings_in_any_position_parse_as_the_straightforward_way(where):
    long = "data:text/plain;base64," + "QUJD" * 600
    node = {"id": "urn:x:1", "type": "Note", "title": {"en": long}, "note": "plain"}
    if where == "@id of a node":
        node = {"id": long, "type": "Note", "title": {"en": "short"}}
    elif where == "IRI value":
        node["homepage"] = long
    elif where == "value object in a language map":
        node["title"] = {"@value": "x", "@language": "en"}
    doc = {"@context": [{"@vocab": "http://example.org/", "id": "@id", "type": "@type",
                         "title": {"@id": "http://purl.org/dc/terms/title", "@container": "@language"},
                         "note": "http://example.org/note",
                         "homepage": {"@id": "http://xmlns.com/foaf/0.1/homepage", "@type": "@id"}}],
           "@graph": [node]}
    before = json.dumps(doc)
    triples = jsonld.to_triples(doc, "doc.jsonld")
    assert _same_graph(triples, _reference_triples(doc))
    assert not any(jsonld.TOKEN in str(t) for t in triples)
    assert json.dumps(doc) == before  # the caller's document is left as it was


def test_literal_terms_of_the_edc_contexts():
    from credgraph.graph.sources.jsonld_templates import literal_terms

    terms = literal_terms([bundled_context(VC_V1), bundled_context(EDC_AP)])
    assert {"content", "notation", "dateOfBirth", "issued"} <= terms.plain
    assert {"givenName", "familyName", "title", "prefLabel"} <= terms.language_maps
    # IRIs, types and keyword aliases are never literal positions.
    assert not {"id", "type", "specifiedBy", "homepage", "awardingBody"} & (terms.plain | terms.language_maps)


def test_elm_33_iris_given_as_ids_are_still_normalised():
    doc = {"@context": [VC_V2, EDC_AP], "id": "urn:x:cred", "type": "VerifiableCredential",
           "credentialSubject": {"id": "urn:x:p", "hasClaim": {"id": "urn:x:claim", "specifiedBy": ns.ELM_33 + "Spec1"}}}
    for _ in range(2):
        triples = jsonld.to_triples(doc, "elm33-ids.jsonld")
        assert not any(ns.ELM_33 in str(t) for t in triples)
        assert any(t.object == ox.NamedNode(ns.ELM + "Spec1") for t in triples)


def test_a_node_named_twice_is_one_node(unsigned):
    # The sample embeds the same organisation and concepts in several places.
    triples = jsonld.to_triples(_learner(unsigned, 7), "x")
    reference = _reference_triples(_learner(unsigned, 7))
    assert len(triples) == len(reference) and _same_graph(triples, reference)


@pytest.mark.parametrize("iri", [
    "urn:x:a%ZZ", "http://ex.org/a b", "HTTP://EX.org/x", "urn:x:ä", "mailto:foo@bar", "http://[::1]/x",
    "tag:x,2024:y", "http://ex.org/a#b#c", "urn:x:<y>", "http://ex.org/%7e",
])
def test_odd_iris_come_out_as_a_straightforward_parse_gives_them(iri):
    # Tokenised IRIs are put back with NamedNode(); one it refuses sends the
    # document to the parser, which drops the node as JSON-LD says.
    doc = {"@context": [VC_V1, EDC_AP], "id": "urn:x:c", "type": "VerifiableCredential",
           "credentialSubject": {"id": iri, "type": "Person"}}
    for _ in range(2):
        assert set(jsonld.to_triples(doc, "odd.jsonld")) == _reference_triples(doc)


def test_checks_that_pick_statements_by_template_find_what_they_find_in_all(unsigned):
    from credgraph.graph.sources import document_steps
    from credgraph.graph.sources.jsonld_templates import Statements

    docs = [_learner(unsigned, i) for i in range(4)]
    docs[1]["credentialSubject"]["dateOfBirth"] = "1990-13-45T00:00:00Z"
    docs[2]["validFrom"] = "yesterday"
    docs[3]["credentialSubject"]["hasClaim"]["specifiedBy"]["mode"]["id"] = "http://data.europa.eu/snb/learning-assessment/0000000000"
    for doc in docs + docs:  # the second time the template's choices are known
        made = jsonld.to_triples(doc, "doc")
        assert isinstance(made, Statements)
        assert literal_problems(made) == literal_problems(list(made))
        assert document_steps.concept_pairs(made) == document_steps.concept_pairs(list(made))
    problems = [literal_problems(jsonld.to_triples(d, "doc")) for d in docs]
    assert not problems[0] and problems[1] and any("yesterday" in p for p in problems[2])
    concepts = [{c.value for c, _ in document_steps.concept_pairs(jsonld.to_triples(d, "doc"))} for d in docs]
    assert concepts[3] - concepts[0] == {"http://data.europa.eu/snb/learning-assessment/0000000000"}


def test_statements_made_from_a_template_are_read_only(unsigned):
    made = jsonld.to_triples(_learner(unsigned, 1), "doc")
    with pytest.raises(TypeError):
        made.append(made[0])
    copy = list(made) + [made[0]]
    assert len(copy) == len(made) + 1
    import copy as copying
    import pickle

    for other in (copying.copy(made), copying.deepcopy(made), pickle.loads(pickle.dumps(made))):
        assert type(other) is list and other == list(made)


@pytest.mark.parametrize("fixed, literal, iri, count, from_rows", [
    (ox.Literal("same"), "same", "urn:x:b", 1, False),  # the same statement twice: one statement
    (ox.Literal("same"), "other", "urn:x:b", 2, True),
    (ox.Literal("same", language="en"), "same", "urn:x:b", 2, True),  # equal value, another literal
    (ox.Literal("1", datatype=ox.NamedNode(ns.XSD + "integer")), "1", "urn:x:b", 2, True),
    (ox.Literal("same"), "other", "urn:x:a", 1, False),  # a document IRI equal to a fixed one
])
def test_a_document_string_equal_to_a_fixed_term_of_its_template(fixed, literal, iri, count, from_rows):
    from credgraph.graph.sources.jsonld_templates import IRI_TOKEN, TOKEN, Statements, make_template

    p = ox.NamedNode("http://example.org/note")
    a, token_iri = ox.NamedNode("urn:x:a"), ox.NamedNode(IRI_TOKEN + "0")
    template = make_template([
        ox.Triple(a, p, ox.Literal(TOKEN + "0")),
        ox.Triple(a, p, fixed),
        ox.Triple(token_iri, p, fixed),
    ], literals=1, iris=1)
    made = template.instantiate([literal], [iri])
    assert isinstance(made, Statements) is from_rows
    assert len(made) == len(set(made)) == count + 1
    assert set(made) == {ox.Triple(a, p, ox.Literal(literal)), ox.Triple(a, p, fixed), ox.Triple(ox.NamedNode(iri), p, fixed)}


def test_a_document_with_thousands_of_strings_parses_as_the_straightforward_way(unsigned):
    doc = _learner(unsigned, 1)
    doc["credentialSubject"]["givenName"] = {"en": [f"name {n}" for n in range(5000)]}  # more tokens than made ahead
    for _ in range(2):
        triples = jsonld.to_triples(doc, "many.jsonld")
        assert _same_graph(triples, _reference_triples(doc))
    assert {f"name {n}" for n in (0, 4095, 4096, 4999)} <= {t.object.value for t in triples}
