"""One reading of a credential: a value Annex I validation finds is never "cannot be determined" in a report.

For each element stated on a credential's claims rather than only on its
specification (type of assessment, identity verification, quality assurance),
a document states it in each place the validator accepts; the import records it
and the comparability report of the credential reads it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from credgraph.graph.sources import document_steps
from credgraph.graph.sources import ingest
from credgraph.graph.services import recognition
from credgraph.graph.services.recognition_policy import EQUIVALENT, UNDETERMINED
from credgraph.graph.sources import vocab
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

SNB = "http://data.europa.eu/snb/"
PORTFOLIO = SNB + "assessment/4f03b91c0e"
UNSUPERVISED = SNB + "supervision-verification/c598449d64"
QA = SNB + "accreditation/820101cba6"
CG = "https://w3id.org/credgraph/ns#"
UNDETERMINED = UNDETERMINED


@pytest.fixture
def mc(shared_data) -> dict:
    return json.loads((shared_data / "samples" / "written-mc-annex1-unsigned.jsonld").read_text(encoding="utf-8"))


@pytest.fixture
def ws(tmp_path):
    w = Workspace(Settings(store="memory:", data_dir=tmp_path / "ws"))
    vocab.load_shipped(w.store)
    yield w
    w.close()


def concept(iri: str) -> dict:
    scheme = iri.rsplit("/", 1)[0] + "/25831c2"
    return {"id": iri, "type": "Concept", "inScheme": {"id": scheme, "type": "ConceptScheme"}}


def achievement(doc: dict) -> dict:
    return doc["credentialSubject"]["hasClaim"][0]


def nodes(doc, type_name: str):
    """Every object of ``type_name`` in the document (an organisation is repeated wherever it is named)."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == type_name:
                yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def without_assessment(doc: dict) -> dict:
    del achievement(doc)["provenBy"]
    return doc


ACCREDITATION = {"id": "urn:epass:accreditation:1", "type": "Accreditation", "title": {"en": "Programme accreditation"},
                 "dcType": concept(QA)}


def assessment_on_the_claims_assessment(doc):  # claim/provenBy/specifiedBy/dc:type (the EC sample's place)
    return doc


def assessment_on_the_specification(doc):  # claim/specifiedBy/provenBy/dc:type
    without_assessment(doc)
    achievement(doc)["specifiedBy"]["provenBy"] = {"id": "urn:epass:learningAssessmentSpec:9", "type": "LearningAssessmentSpecification",
                                                   "title": {"en": "Portfolio"}, "dcType": concept(PORTFOLIO)}
    return doc


def qa_on_the_specification(doc):
    achievement(doc)["specifiedBy"]["accreditation"] = ACCREDITATION
    return doc


def qa_on_the_awarding_body(doc):
    for org in nodes(doc, "Organisation"):
        org["accreditation"] = ACCREDITATION
    # the issuer is the same organisation in the sample: make it another one without accreditation
    doc["issuer"] = dict(copy.deepcopy({k: v for k, v in doc["issuer"].items() if k != "accreditation"}), id="urn:epass:org:7")
    return doc


def qa_on_the_issuer(doc):
    doc["issuer"] = dict(copy.deepcopy(doc["issuer"]), id="urn:epass:org:7", accreditation=ACCREDITATION)
    return doc


CASES = {
    "assessment type": ("M9", [assessment_on_the_claims_assessment, assessment_on_the_specification], {PORTFOLIO}),
    "identity verification": ("O2", [assessment_on_the_claims_assessment], {UNSUPERVISED}),
    "quality assurance": ("M11", [qa_on_the_specification, qa_on_the_awarding_body, qa_on_the_issuer], None),
}


def import_doc(ws, doc: dict, path: Path) -> document_steps.DocumentResult:
    path.write_text(json.dumps(doc))
    [result] = ingest.ingest_paths(ws, [path]).documents
    assert result.status in ("imported", "replaced"), result.problems
    return result


def record_of(result) -> str:
    return f"https://w3id.org/credgraph/id/issuance/{result.source_id}"


@pytest.mark.parametrize("element, place", [(e, p) for e, (_, places, _) in CASES.items() for p in places],
                         ids=lambda x: x if isinstance(x, str) else x.__name__)
def test_what_the_validator_finds_the_report_reads(ws, mc, tmp_path, element, place):
    code, _, expected = CASES[element]
    doc = place(copy.deepcopy(mc))
    result = import_doc(ws, doc, tmp_path / "a.jsonld")
    assert code in result.compliance.present, (element, place.__name__, result.compliance.missing)
    record = record_of(result)
    report = recognition.compare(ws.store, record, record)
    found = report.element(element)
    assert found.verdict != UNDETERMINED, (element, place.__name__, found)
    assert found.verdict == EQUIVALENT
    if element == "quality assurance":
        assert "accredited" in found.subject_value
    else:
        facts = {"assessment type": "assessmentType", "identity verification": "idVerification"}[element]
        rows = ws.store.select(f"SELECT ?v WHERE {{ <{record}> <{CG}{facts}> ?v }}").rows
        assert {r["v"].value for r in rows} == expected


def test_an_accreditation_on_the_specification_is_read_from_the_specification_too(ws, mc, tmp_path):
    from credgraph.graph.services import specifications

    result = import_doc(ws, qa_on_the_specification(copy.deepcopy(mc)), tmp_path / "d.jsonld")
    record = record_of(result)
    spec = specifications.resolve_credentials(ws.store, [record])[record].spec
    facts = specifications.load_specs(ws.store, [spec])[spec]
    assert facts.accreditations and facts.qa_types == {QA}
    assert recognition.compare(ws.store, spec, spec).element("quality assurance").verdict == EQUIVALENT


@pytest.mark.parametrize("element", ["assessment type", "identity verification"])
def test_a_credential_without_the_element_stays_undetermined(ws, mc, tmp_path, element):
    result = import_doc(ws, without_assessment(copy.deepcopy(mc)), tmp_path / "b.jsonld")
    assert CASES[element][0] in result.compliance.missing
    record = record_of(result)
    assert recognition.compare(ws.store, record, record).element(element).verdict == UNDETERMINED


def test_a_multi_claim_credential_resolves_to_its_achievement(ws, mc, tmp_path):
    result = import_doc(ws, mc, tmp_path / "c.jsonld")
    report = recognition.compare(ws.store, record_of(result), record_of(result))
    assert report.subject_title == "Building digital micro-credentials"
