"""Reading issued credentials as they are issued: issuer country, issue date (ELM 3.1, 3.2, 3.3, badges)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.graph.sources import edc
from credgraph.graph.sources import ingest
from credgraph.graph.sources import jsonld
from credgraph.graph.sources.jsonld_contexts import EDC_AP, VC_V1, VC_V2
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

CRED = "https://www.w3.org/2018/credentials#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
ATU = "http://publications.europa.eu/resource/authority/atu/"


@pytest.fixture
def samples(shared_data) -> Path:
    return shared_data / "samples"


def load(samples: Path, name: str) -> dict:
    return json.loads((samples / name).read_text(encoding="utf-8"))


def locations(node):
    """Every location object in ``node`` (an organisation is repeated wherever it is named)."""
    if isinstance(node, dict):
        if node.get("type") == "Location":
            yield node
        for value in node.values():
            yield from locations(value)
    elif isinstance(node, list):
        for value in node:
            yield from locations(value)


def split(doc: dict) -> edc.CredentialSplit:
    return edc.split_edc(jsonld.to_triples(doc, "doc"), "doc", b"k" * 32)


@pytest.fixture
def ws(tmp_path):
    w = Workspace(Settings(store="memory:", data_dir=tmp_path))
    vocab.load_shipped(w.store)
    yield w
    w.close()


# -- issuer country --------------------------------------------------------------


def test_region_code_is_address_detail_never_the_country(samples):
    doc = load(samples, "written-mc-annex1-unsigned.jsonld")
    assert doc["issuer"]["location"]["spatialCode"]["id"] == ATU + "IRL_CTH_DUB"
    assert split(doc).issuer_country == ox.NamedNode(COUNTRY + "IRL")
    # The region stays in the public description as what it is (the location's spatial code).
    public = {(t.predicate.value, t.object.value) for t in split(doc).public if isinstance(t.object, ox.NamedNode)}
    assert (ns.ELM + "spatialCode", ATU + "IRL_CTH_DUB") in public


def test_only_a_region_gives_no_issuer_country(samples):
    doc = load(samples, "written-mc-annex1-unsigned.jsonld")
    for location in locations(doc):
        location.pop("address", None)
    assert split(doc).issuer_country is None


def test_a_country_given_as_spatial_code_counts(samples):
    doc = load(samples, "written-mc-annex1-unsigned.jsonld")
    for location in locations(doc):
        location.pop("address", None)
        location["spatialCode"] = [location["spatialCode"], {"id": COUNTRY + "IRL", "type": "Concept"}]
    assert split(doc).issuer_country == ox.NamedNode(COUNTRY + "IRL")


@pytest.mark.parametrize("iri, ok", [
    (COUNTRY + "IRL", True), (COUNTRY + "1A0", True), (ATU + "IRL_CTH_DUB", False),
    ("http://data.europa.eu/nuts/code/IE061", False), (COUNTRY + "IRL/x", False), (COUNTRY, False),
])
def test_country_authority_table_only(iri, ok):
    assert edc.is_country(ox.NamedNode(iri)) is ok


# -- issue date -----------------------------------------------------------------------


def test_ebsi_elm32_diploma_is_dated_by_issued_not_valid_from(samples):
    s = split(load(samples, "written-ebsi-elm32-diploma.jsonld"))
    assert (s.issued, s.issued_from) == ("2024-03-26", CRED + "issued")


@pytest.mark.parametrize("contexts", [[VC_V1, EDC_AP], [VC_V2, EDC_AP]], ids=["vc1-elm31", "vc2-elm32"])
@pytest.mark.parametrize("present, expected", [
    (("issued", "issuanceDate", "validFrom"), "issued"),
    (("issuanceDate", "validFrom"), "issuanceDate"),
    (("validFrom",), "validFrom"),
    ((), "awardingDate"),
])
def test_issue_date_preference(samples, contexts, present, expected):
    doc = load(samples, "written-ebsi-elm32-diploma.jsonld")
    doc["@context"] = contexts
    dates = {"issued": "2024-03-26T09:30:00Z", "issuanceDate": "2023-01-02T00:00:00Z", "validFrom": "2019-09-20T00:00:00Z"}
    for key in ("issued", "issuanceDate", "validFrom"):
        doc.pop(key, None)
        if key in present:
            doc[key] = dates[key]
    s = split(doc)
    want = {"issued": "2024-03-26", "issuanceDate": "2023-01-02", "validFrom": "2019-09-20", "awardingDate": "2019-07-15"}[expected]
    prop = (ns.ELM if expected == "awardingDate" else CRED) + expected
    assert (s.issued, s.issued_from) == (want, prop)


def test_elm33_credential_reads_issuance_date(samples):
    s = split(load(samples, "written-elm33-credential.jsonld"))
    assert (s.issued, s.issued_from) == ("2025-02-03", CRED + "issuanceDate")


def test_the_record_says_where_its_date_came_from(ws, samples):
    summary = ingest.ingest_paths(ws, [samples / "written-ebsi-elm32-diploma.jsonld"])
    [result] = summary.documents
    assert result.status == "imported", result.problems
    assert (result.issued, result.issued_from, result.issuer_country) == ("2024-03-26", CRED + "issued", COUNTRY + "ESP")
    rows = ws.store.select(
        "SELECT ?d ?from ?c WHERE { ?r <https://w3id.org/credgraph/ns#issued> ?d ; "
        "<https://w3id.org/credgraph/ns#issuedFrom> ?from ; <https://w3id.org/credgraph/ns#issuerCountry> ?c }").rows
    assert [(r["d"].value, r["from"].value, r["c"].value) for r in rows] == [("2024-03-26", CRED + "issued", COUNTRY + "ESP")]


def test_badge_date_source_is_recorded(samples):
    from credgraph.graph.sources import badges

    doc = load(samples, "written-ob3-alignment.json")
    s = badges.split_badge(doc, jsonld.to_triples(doc, "b"), "b", b"k" * 32)
    assert (s.issued, s.issued_from) == ("2024-05-01", CRED + "validFrom")


def test_statistics_count_a_multi_claim_credential_once_for_what_it_awards(ws, samples):
    from credgraph.graph.services.issuance_stats import issuance_stats

    summary = ingest.ingest_paths(ws, [samples / "written-mc-annex1-unsigned.jsonld", samples / "written-ebsi-elm32-diploma.jsonld"])
    assert [d.status for d in summary.documents] == ["imported", "imported"]
    by_eqf = {c.label: c.count for c in issuance_stats(ws.store, "eqf", k=1).cells}
    assert sum(by_eqf.values()) == 2, by_eqf  # the micro-credential's three activities are not counted
    by_country = {c.label: c.count for c in issuance_stats(ws.store, "country", k=1).cells}
    assert set(by_country) == {"Ireland", "Spain"} or set(by_country) == {"IRL", "ESP"}, by_country
