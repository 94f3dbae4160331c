"""SHACL validation profiles: Annex I (credential, catalogue), storable, EC EDC-generic."""

from __future__ import annotations

import json
import logging

import pyoxigraph as ox
import pytest
import rdflib

from credgraph import vocabularies
from credgraph.graph.sources import jsonld
from credgraph.graph.sources.catalogue_csv import parse_catalogue_csv
from credgraph.graph.sources.validation import ValidationReport, validate, validate_many
from credgraph.graph.sources.validation_profiles import ANNEX_I_ELEMENTS, PROFILES
from credgraph.graph.sources.validation_shacl import ValidationResult

ELM = "http://data.europa.eu/snb/model/elm/"
CRED = "https://www.w3.org/2018/credentials#"
DC = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SAMPLE_ID = "urn:credential:43662fb0-c31c-4afb-b501-e85aea91c0a8"

# A credential that states every Annex I element, mandatory and optional.
COMPLETE = """
@prefix elm:  <http://data.europa.eu/snb/model/elm/> .
@prefix cred: <https://www.w3.org/2018/credentials#> .
@prefix dc:   <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rov:  <http://www.w3.org/ns/regorg#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix ex:   <urn:example:> .

ex:credential a cred:VerifiableCredential, elm:EuropeanDigitalCredential ;
    cred:issuer ex:university ;
    cred:issued "2024-05-01T10:00:00Z"^^xsd:dateTime ;
    cred:credentialSubject ex:learner .
ex:learner a elm:Person ;
    foaf:givenName "Ada"@en ; foaf:familyName "Lovelace-Test"@en ;
    elm:dateOfBirth "1990-02-03T00:00:00Z"^^xsd:dateTime ;
    elm:hasClaim ex:achievement .
ex:university a elm:Organisation ;
    rov:legalName "Example University"@en ;
    elm:location ex:university-location .
ex:university-location a dc:Location ; elm:address ex:university-address .
ex:university-address a elm:Address ; elm:countryCode <http://publications.europa.eu/resource/authority/country/DEU> .
ex:achievement a elm:LearningAchievement ;
    dc:title "Data Literacy"@en ;
    elm:awardedBy ex:awarding ;
    elm:provenBy ex:assessment ;
    elm:specifiedBy ex:spec .
ex:awarding a elm:AwardingProcess ; elm:awardingBody ex:university ;
    elm:awardingDate "2024-04-30T00:00:00Z"^^xsd:dateTime .
ex:assessment a elm:LearningAssessment ;
    elm:grade "1.3" ;
    elm:idVerification <http://data.europa.eu/snb/supervision-verification/c598449d64> ;
    elm:specifiedBy ex:assessment-spec .
ex:assessment-spec a elm:LearningAssessmentSpecification ;
    dc:title "Written exam"@en ;
    dc:type <http://data.europa.eu/snb/assessment/6e6cb2cc78> .
ex:spec a elm:Qualification ;
    dc:title "Data Literacy"@en ;
    elm:learningOutcome ex:outcome ;
    elm:creditPoint ex:credit ;
    elm:volumeOfLearning "PT125H"^^xsd:duration ;
    elm:EQFLevel <http://data.europa.eu/snb/eqf/6> ;
    elm:mode <http://data.europa.eu/snb/learning-assessment/920fbb3cbe> ;
    elm:learningSetting <http://data.europa.eu/snb/learning-setting/6fd4685715> ;
    elm:accreditation ex:accreditation ;
    elm:entryRequirement ex:entry ;
    elm:isPartOf ex:masters ;
    elm:additionalNote ex:note .
ex:outcome a elm:LearningOutcome ; dc:title "Analyse data sets"@en .
ex:credit a elm:CreditPoint ; elm:framework <http://data.europa.eu/snb/education-credit/6fcec5c5af> ; elm:point "5" .
ex:accreditation a elm:Accreditation ; dc:type <http://data.europa.eu/snb/accreditation/bb4618238e> .
ex:entry a elm:Note ; elm:noteLiteral "Basic statistics"@en .
ex:note a elm:Note ; elm:noteLiteral "Part of the MSc Data Science"@en .
"""

# A catalogue entry: a learning opportunity offering a specification.
SPECIFICATION = """
@prefix elm:  <http://data.europa.eu/snb/model/elm/> .
@prefix dc:   <http://purl.org/dc/terms/> .
@prefix rov:  <http://www.w3.org/ns/regorg#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix ex:   <urn:example:> .

ex:opportunity a elm:LearningOpportunity ; dc:title "Cloud Basics"@en ;
    elm:learningAchievementSpecification ex:spec ; elm:providedBy ex:college .
ex:college a elm:Organisation ; rov:legalName "Example College"@en ; elm:location ex:loc .
ex:loc a dc:Location ; elm:address ex:addr .
ex:addr a elm:Address ; elm:countryCode <http://publications.europa.eu/resource/authority/country/FRA> .
ex:spec a elm:LearningAchievementSpecification ;
    dc:title "Cloud Basics"@en ;
    elm:learningOutcome ex:outcome ;
    elm:creditPoint ex:credit ;
    elm:mode <http://data.europa.eu/snb/learning-assessment/e92d221e4d> ;
    elm:provenBy ex:exam ;
    elm:accreditation ex:qa .
ex:outcome a elm:LearningOutcome ; dc:title "Deploy a virtual machine"@en .
ex:credit a elm:CreditPoint ; elm:point "2.5" .
ex:exam a elm:LearningAssessmentSpecification ; dc:type <http://data.europa.eu/snb/assessment/4f03b91c0e> .
ex:qa a elm:Accreditation ; dc:type <http://data.europa.eu/snb/accreditation/820101cba6> .
"""


def ttl(text: str) -> list[ox.Triple]:
    return list(ox.parse(text.encode(), ox.RdfFormat.TURTLE))


def iri(local: str) -> str:
    return local if ":" in local and not local.startswith("ex:") else "urn:example:" + local.removeprefix("ex:")


def without(triples: list[ox.Triple], *drops: tuple[str | None, str]) -> list[ox.Triple]:
    """``triples`` minus those matching (subject or None, predicate)."""
    def dropped(t: ox.Triple) -> bool:
        return any(t.predicate.value == p and (s is None or t.subject.value == iri(s)) for s, p in drops)
    return [t for t in triples if not dropped(t)]


def replace_object(triples: list[ox.Triple], predicate: str, obj) -> list[ox.Triple]:
    return [ox.Triple(t.subject, t.predicate, obj) if t.predicate.value == predicate else t for t in triples]


def kinds(report: ValidationReport) -> set[tuple[str, str]]:
    return {(r.severity, r.element) for r in report.results}


@pytest.fixture(scope="module")
def sample_json(shared_data) -> dict:
    return json.loads((shared_data / "samples" / "Sample-CertOfPart-unsigned.jsonld").read_text("utf-8"))


@pytest.fixture(scope="module")
def sample(sample_json) -> list[ox.Triple]:
    return jsonld.to_triples(sample_json, "Sample-CertOfPart-unsigned.jsonld")


@pytest.fixture(scope="module")
def complete() -> list[ox.Triple]:
    return ttl(COMPLETE)


# -- annex-i-credential ------------------------------------------------------------

def test_ec_sample_reports_exactly_what_it_lacks(sample):
    # The EC Certificate of Participation is a webinar attendance (an
    # elm:LearningActivity): it states no learning outcomes, no assessment, no
    # quality assurance, no level; title, issuer country, awarding body, date
    # (validFrom), workload (volumeOfLearning P2M) and mode (online) are there.
    report = validate(sample)
    assert report.profile == "annex-i-credential"
    assert not report.conforms
    assert kinds(report) == {
        ("violation", "M6"), ("violation", "M9"), ("violation", "M11"),
        ("info", "M8"), ("info", "O1"), ("info", "O2"), ("info", "O3"), ("info", "O4"),
    }
    assert report.elements_missing() == ["M6", "M8", "M9", "M11", "O1", "O2", "O3", "O4"]
    assert report.elements_present() == ["M1", "M2", "M3", "M4", "M5", "M7", "M10", "O5"]
    m11 = next(r for r in report.results if r.element == "M11")
    assert m11.message == "M11 type of quality assurance is missing"
    assert m11.focus_node == SAMPLE_ID
    assert "elm:accreditation" in m11.path
    assert m11.shape == "https://w3id.org/credgraph/shapes/annex-i-credential#M11"


def test_signed_sample_payload_gives_the_same_report(shared_data, sample):
    signed = json.loads((shared_data / "samples" / "Sample-CertOfPart-signed.jsonld").read_text("utf-8"))
    payload = json.loads(signed["payload"])
    assert validate(jsonld.to_triples(payload, "signed")) == validate(sample)


def test_complete_credential_conforms_without_any_result(complete):
    report = validate(complete)
    assert report.conforms
    assert report.results == []
    assert report.elements_missing() == []
    assert report.elements_present() == list(ANNEX_I_ELEMENTS)


MANDATORY_REMOVALS = {
    "M1": [("ex:learner", FOAF + "givenName"), ("ex:learner", FOAF + "familyName")],
    "M2": [("ex:achievement", DC + "title")],
    "M3": [(None, ELM + "countryCode")],
    "M4": [(None, ELM + "awardingBody")],
    "M5": [(None, CRED + "issued"), (None, ELM + "awardingDate")],
    "M6": [(None, ELM + "learningOutcome")],
    "M7": [(None, ELM + "creditPoint"), (None, ELM + "volumeOfLearning")],
    "M8": [(None, ELM + "EQFLevel")],
    "M9": [("ex:assessment-spec", DC + "type")],
    "M10": [(None, ELM + "mode"), (None, ELM + "learningSetting")],
    "M11": [(None, ELM + "accreditation")],
}


@pytest.mark.parametrize("element", list(MANDATORY_REMOVALS))
def test_removing_a_mandatory_element_gives_exactly_its_violation(complete, element):
    report = validate(without(complete, *MANDATORY_REMOVALS[element]))
    assert not report.conforms
    assert kinds(report) == {("violation", element)}
    (result,) = report.results
    assert result.message.startswith(f"{element} ") and "missing" in result.message
    # Elements of the credential are reported on it, those of the claim on the
    # claim, M8 on the qualification that lacks its level.
    focus = {"M1": "credential", "M3": "credential", "M5": "credential", "M11": "credential", "M8": "spec"}
    assert result.focus_node == "urn:example:" + focus.get(element, "achievement")
    assert report.elements_missing() == [element]
    assert element not in report.elements_present()


OPTIONAL_REMOVALS = {
    "O1": [(None, ELM + "entryRequirement")],
    "O2": [(None, ELM + "idVerification")],
    "O3": [(None, ELM + "grade")],
    "O4": [(None, ELM + "isPartOf")],
    "O5": [(None, ELM + "additionalNote")],
}


@pytest.mark.parametrize("element", list(OPTIONAL_REMOVALS))
def test_missing_optional_element_is_an_info_not_a_violation(complete, element):
    report = validate(without(complete, *OPTIONAL_REMOVALS[element]))
    assert report.conforms
    assert kinds(report) == {("info", element)}
    assert report.elements_missing() == [element]


def test_level_is_required_of_a_qualification_only(complete):
    spec = ox.NamedNode("urn:example:spec")
    as_achievement_spec = [
        ox.Triple(t.subject, t.predicate, ox.NamedNode(ELM + "LearningAchievementSpecification"))
        if t.subject == spec and t.predicate.value == RDF_TYPE else t
        for t in without(complete, (None, ELM + "EQFLevel"))
    ]
    report = validate(as_achievement_spec)
    assert report.conforms
    assert kinds(report) == {("info", "M8")}
    # A qualification without a level: the violation only, not also the info.
    report = validate(without(complete, (None, ELM + "EQFLevel")))
    assert [(r.severity, r.message) for r in report.results] == [
        ("violation", "M8 level (EQF/NQF) is missing for a qualification")]


def test_verifiable_credential_with_a_claim_is_validated_as_edc(complete):
    untyped = [t for t in complete if not (t.predicate.value == RDF_TYPE and t.object.value == ELM + "EuropeanDigitalCredential")]
    assert validate(untyped).conforms
    report = validate(without(untyped, ("ex:achievement", DC + "title")))
    assert kinds(report) == {("violation", "M2")}


def test_credential_without_claim_lacks_every_claim_element(complete):
    report = validate(without(complete, (None, ELM + "hasClaim")))
    assert not report.conforms
    # M11 too: the issuer itself has no accreditation in this credential.
    assert kinds(report) == {("violation", e) for e in ("M2", "M4", "M6", "M7", "M9", "M10", "M11")} | {
        ("info", e) for e in ("M8", "O1", "O2", "O3", "O4", "O5")}
    assert report.elements_present() == ["M1", "M3", "M5"]
    m4 = next(r for r in report.results if r.element == "M4")
    assert m4.message == "M4 awarding body is missing (the credential has no claim)"
    assert m4.focus_node == "urn:example:credential" and m4.path == "cred:credentialSubject/elm:hasClaim"


def test_document_without_credential_is_a_violation():
    report = validate(ttl(SPECIFICATION))
    assert not report.conforms
    (result,) = report.results
    assert "holds no elm:EuropeanDigitalCredential" in result.message
    assert report.elements_present() == []
    assert report.elements_missing() == list(ANNEX_I_ELEMENTS)


# -- annex-i-catalogue ---------------------------------------------------------------

def test_catalogue_specification_reports_offer_elements():
    report = validate(ttl(SPECIFICATION), "annex-i-catalogue")
    assert report.conforms
    # No level on a non-qualification, no prerequisites, no stacking, no further information.
    assert kinds(report) == {("info", "M8"), ("info", "O1"), ("info", "O4"), ("info", "O5")}
    assert report.elements_present() == ["M2", "M3", "M4", "M6", "M7", "M9", "M10", "M11"]
    assert {r.focus_node for r in report.results} == {"urn:example:spec"}


@pytest.mark.parametrize("drops, expected", [
    ([(None, ELM + "countryCode")], {"M3"}),
    # Without its provider the offer has no country either.
    ([(None, ELM + "providedBy")], {"M3", "M4"}),
    ([(None, ELM + "learningOutcome")], {"M6"}),
    ([(None, ELM + "creditPoint")], {"M7"}),
    ([(None, ELM + "provenBy")], {"M9"}),
    ([(None, ELM + "mode")], {"M10"}),
    ([(None, ELM + "accreditation")], {"M11"}),
])
def test_catalogue_missing_mandatory_element(drops, expected):
    report = validate(without(ttl(SPECIFICATION), *drops), "annex-i-catalogue")
    assert not report.conforms
    assert {r.element for r in report.results if r.severity == "violation"} == expected


def test_catalogue_qualification_without_level_is_a_violation():
    data = ttl(SPECIFICATION.replace("ex:spec a elm:LearningAchievementSpecification", "ex:spec a elm:Qualification"))
    report = validate(data, "annex-i-catalogue")
    assert ("violation", "M8") in kinds(report) and ("info", "M8") not in kinds(report)


def test_catalogue_csv_example_conforms():
    parsed = parse_catalogue_csv(
        vocabularies.read_bytes("examples/catalogue-example.csv"), "catalogue-example.csv",
        lambda label: "http://data.europa.eu/esco/skill/test-" + label.replace(" ", "-"),
    )
    assert parsed.ok, parsed.errors
    report = validate(parsed.triples, "annex-i-catalogue")
    assert report.conforms, report.to_text()
    assert {r.severity for r in report.results} <= {"info"}
    assert validate(parsed.triples, "storable-specification").conforms


# -- storable profiles -----------------------------------------------------------------

def test_storable_credential_accepts_complete_and_sample(complete, sample):
    assert validate(complete, "storable-credential").results == []
    assert validate(sample, "storable-credential").results == []


def test_storable_rejects_ects_five(complete):
    bad = replace_object(complete, ELM + "point", ox.Literal("five"))
    report = validate(bad, "storable-credential")
    assert not report.conforms
    (result,) = report.results
    assert result.path == "elm:point" and "not a number" in result.message
    assert result.focus_node == "urn:example:credit"
    spec_report = validate(replace_object(ttl(SPECIFICATION), ELM + "point", ox.Literal("five")), "storable-specification")
    assert [r.path for r in spec_report.results] == ["elm:point"]


def test_storable_rejects_invalid_date(complete, caplog):
    bad = replace_object(complete, CRED + "issued", ox.Literal("2024-13-45", datatype=ox.NamedNode(XSD + "date")))
    with caplog.at_level(logging.DEBUG):
        report = validate(bad, "storable-credential")
    assert not report.conforms
    (result,) = report.results
    assert result.path == "cred:issued" and "not a valid xsd:dateTime or xsd:date" in result.message
    # rdflib would log the lexical form; for a birth date that is personal data.
    assert "2024-13-45" not in caplog.text


def test_storable_rejects_invalid_date_from_json_ld(sample_json):
    document = json.loads(json.dumps(sample_json))
    document["validFrom"] = "2024-13-45"
    report = validate(jsonld.to_triples(document, "bad-date.jsonld"), "storable-credential")
    assert [(r.severity, r.path) for r in report.results] == [("violation", "cred:validFrom")]


def test_storable_rejects_invalid_duration(complete):
    bad = replace_object(complete, ELM + "volumeOfLearning", ox.Literal("PT2X", datatype=ox.NamedNode(XSD + "duration")))
    report = validate(bad, "storable-credential")
    assert [(r.path, r.message) for r in report.results] == [
        ("elm:volumeOfLearning", "elm:volumeOfLearning is not a valid xsd:duration")]


def test_storable_credential_needs_subject_and_titled_claim(complete):
    no_title = validate(without(complete, ("ex:achievement", DC + "title")), "storable-credential")
    assert [r.message for r in no_title.results] == ["the claim has no title (dc:title)"]
    no_subject = validate(without(complete, (None, CRED + "credentialSubject")), "storable-credential")
    assert not no_subject.conforms
    assert "the credential has no subject (cred:credentialSubject)" in [r.message for r in no_subject.results]
    assert not validate([], "storable-credential").conforms


def test_storable_specification_needs_title_and_provider():
    spec = ttl(SPECIFICATION)
    assert validate(spec, "storable-specification").conforms
    no_provider = validate(without(spec, (None, ELM + "providedBy")), "storable-specification")
    assert [r.focus_node for r in no_provider.results] == ["urn:example:spec"]
    assert "no provider" in no_provider.results[0].message
    no_title = validate(without(spec, ("ex:spec", DC + "title")), "storable-specification")
    assert [r.message for r in no_title.results] == ["the specification has no title (dc:title)"]
    # A part of a larger specification may leave the provider to the whole.
    part = without(spec, (None, ELM + "providedBy")) + [
        ox.Triple(ox.NamedNode("urn:example:spec"), ox.NamedNode(ELM + "isPartOf"), ox.NamedNode("urn:example:whole"))]
    assert validate(part, "storable-specification").conforms


# -- reports ---------------------------------------------------------------------------

def test_text_and_json_reports_carry_every_field(sample):
    report = validate(sample)
    text = report.to_text()
    lines = text.splitlines()
    assert lines[0] == "annex-i-credential: does not conform (3 violations, 0 warnings, 5 infos)"
    assert len(lines) == 1 + len(report.results)
    m9 = next(line for line in lines if " M9 " in line)
    assert m9.startswith("violation")
    assert "urn:epass:activity:1" in m9 and "elm:provenBy" in m9 and "M9 type of assessment is missing" in m9
    data = json.loads(json.dumps(report.to_json()))
    assert data["profile"] == "annex-i-credential" and data["conforms"] is False
    assert data["counts"] == {"violation": 3, "warning": 0, "info": 5}
    assert data["elements_missing"] == report.elements_missing()
    first = data["results"][0]
    assert set(first) == {"severity", "element", "focus_node", "path", "message", "shape"}
    assert ValidationResult(**first) == report.results[0]


def test_no_personal_data_in_messages(sample):
    for profile in PROFILES:
        for r in validate(sample, profile).results:
            for value in ("Ana", "Andromeda", "1999", "LA-234218", "97168A"):
                assert value not in r.message and value not in r.path


# -- batches ---------------------------------------------------------------------------

def test_validate_many_equals_one_by_one(sample, complete):
    # Same IRIs (urn:example:*) with different content in several documents,
    # an exact duplicate, an rdflib Graph, a document without a credential.
    as_graph = rdflib.Graph().parse(data=COMPLETE, format="turtle")
    documents = [
        sample,
        complete,
        without(complete, *MANDATORY_REMOVALS["M9"]),
        without(complete, *MANDATORY_REMOVALS["M3"]),
        without(complete, *OPTIONAL_REMOVALS["O2"]),
        sample,
        as_graph,
        ttl(SPECIFICATION),
        replace_object(complete, ELM + "point", ox.Literal("five")),
    ]
    for profile in ("annex-i-credential", "storable-credential", "annex-i-catalogue"):
        batched = validate_many(documents, profile)
        one_by_one = [validate(d, profile) for d in documents]
        assert batched == one_by_one, profile
    reports = validate_many(documents, "annex-i-credential")
    assert kinds(reports[2]) == {("violation", "M9")}
    assert kinds(reports[3]) == {("violation", "M3")}
    assert reports[6].conforms and reports[6] == reports[1]


def test_validate_many_keeps_blank_nodes_of_documents_apart():
    text = COMPLETE.replace("ex:achievement", "_:achievement")
    base = ttl(text)
    # The same blank node label in every document (pyoxigraph keeps it): only the
    # second document lacks the title.
    documents = [base, without(base, (None, DC + "title")), base]
    reports = validate_many(documents, "annex-i-credential")
    assert [r.conforms for r in reports] == [True, False, True]
    assert reports == [validate(d) for d in documents]


def test_edc_generic_runs_on_the_sample(sample, complete):
    report = validate(sample, "edc-generic")
    assert not report.conforms
    # EDC-generic requires cred:issued; the sample has validFrom only.
    issued = [r for r in report.results if r.path == "cred:issued"]
    assert issued and issued[0].focus_node == SAMPLE_ID and issued[0].element == ""
    assert issued[0].message == "fewer values than the minimum of 1"
    assert issued[0].shape.startswith("http://data.europa.eu/snb/model/ap/edc-generic-no-cv/")
    assert validate_many([sample, complete], "edc-generic")[0] == report


def test_unknown_profile_and_bad_input_are_clear_errors(sample):
    with pytest.raises(ValueError, match="unknown validation profile 'annex-ii'"):
        validate(sample, "annex-ii")
    with pytest.raises(TypeError, match="document 1: expected pyoxigraph Triples/Quads"):
        validate_many([sample, [42]], "annex-i-credential")


def test_every_profile_file_is_shipped():
    for name, file in PROFILES.items():
        assert vocabularies.path(file).read_bytes(), name


def test_shipped_edc_profile_is_the_ec_file_unchanged(shared_data):
    shipped = vocabularies.path("shapes/edc-generic-no-cv.ttl").read_text("utf-8")
    header, _, body = shipped.partition("\n\n")
    assert "CC BY 4.0" in header and "European Commission" in header and "9d7c5d2" in header
    assert body == (shared_data / "elm-3.1" / "ap" / "EDC-generic-no-cv.ttl").read_text("utf-8")


def test_quads_and_generators_are_accepted(complete):
    graph = ox.NamedNode("urn:example:graph")
    quads = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in without(complete, *MANDATORY_REMOVALS["M6"]))
    assert kinds(validate(quads)) == {("violation", "M6")}
