"""Privacy: after importing real credentials (the EC samples), no public route or query form reveals personal data.

The personal values are taken from the private store itself (names, birth
date, identifiers, the credential's own id), then looked for in the answer of
every public route, in every result format and query form, including queries
that name the private graphs explicitly.
"""

from __future__ import annotations

import itertools

import pyoxigraph as ox
import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.api.keys import add_key
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.privacy import PERSONAL_PROPERTIES
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

SAMPLES = ("Sample-CertOfPart-unsigned.jsonld", "Sample-CertOfPart-signed.jsonld", "credential-sample.jsonld")


@pytest.fixture(scope="module")
def world(tmp_path_factory, shared_data):
    from fastapi.testclient import TestClient

    from credgraph.graph.sources import vocab

    tmp = tmp_path_factory.mktemp("privacy")
    ws = Workspace(Settings(data_dir=tmp, store="memory:"))
    vocab.load_shipped(ws.store)
    keys = tmp / "keys.json"
    from provider_iris import of_documents

    issuer = add_key(keys, "issuer", "issuer-1", providers=of_documents(shared_data / "samples" / n for n in SAMPLES))
    app = create_app(ws, ApiSettings(keys_file=keys, audit_log=tmp / "audit.log"))
    client = TestClient(app)
    imported = []
    for name in SAMPLES:
        data = (shared_data / "samples" / name).read_bytes()
        response = client.post("/api/v1/credentials", content=data, params={"name": name},
                               headers={"Content-Type": "application/ld+json", "Authorization": f"Bearer {issuer}"})
        if response.status_code in (200, 201):
            imported.append(response.json()["source_id"])
    assert imported, "no EC sample could be imported"
    secrets = personal_values(ws)
    assert any("Andromeda" in s for s in secrets)
    records = [row["r"].value for row in ws.store.select(
        "SELECT ?r WHERE { ?r a <https://w3id.org/credgraph/ns#IssuanceRecord> }")]
    assert records
    with client:
        client.ws, client.secrets, client.imported, client.records = ws, secrets, imported, records
        yield client


def personal_values(ws) -> set[str]:
    """Literal values and IRIs of personal properties, and the credentials' and persons' own IRIs."""
    found: set[str] = set()
    for quad in ws.private.quads():
        if quad.predicate.value in PERSONAL_PROPERTIES:
            term = quad.object
            if isinstance(term, ox.Literal) and len(term.value) >= 5:
                found.add(term.value)
            elif isinstance(term, ox.NamedNode):
                found.add(term.value)
            if isinstance(quad.subject, ox.NamedNode):
                found.add(quad.subject.value)
        if quad.predicate.value == ns.CRED + "credentialSubject" and isinstance(quad.object, ox.NamedNode):
            found.add(quad.object.value)
    for quad in ws.private.quads():
        if quad.predicate.value == ns.RDF + "type" and quad.object.value in (
            ns.ELM + "EuropeanDigitalCredential", ns.CRED + "VerifiableCredential"
        ) and isinstance(quad.subject, ox.NamedNode):
            found.add(quad.subject.value)
    # Country and concept IRIs are shared vocabulary, not personal.
    return {v for v in found if not v.startswith(("http://publications.europa.eu/", "http://data.europa.eu/snb/"))}


def assert_clean(response, secrets: set[str], where: str) -> None:
    text = response.content.decode("utf-8", "replace")
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{where} revealed {leaked[:3]}"


QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?g WHERE { GRAPH ?g { } }",
    "SELECT * FROM NAMED <{private}> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * FROM <{private}> WHERE { ?s ?p ?o }",
    "SELECT * WHERE { GRAPH <{private}> { ?s ?p ?o } }",
    "SELECT ?s ?name WHERE { ?s <http://xmlns.com/foaf/0.1/familyName>|<http://xmlns.com/foaf/0.1/givenName> ?name }",
    "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?o)), \"andromeda\")) }",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } FROM NAMED <{private}> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DESCRIBE ?s WHERE { ?s a <http://data.europa.eu/snb/model/elm/Person> }",
    "DESCRIBE <{subject}>",
    "SELECT (GROUP_CONCAT(STR(?o); separator=\"|\") AS ?all) WHERE { ?s ?p ?o }",
]
ACCEPTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values", "text/turtle", "application/ld+json", "application/n-triples",
           "application/rdf+xml"]


def test_sparql_never_reveals_personal_data(world):
    private = ns.private_graph(world.imported[0])
    subject = next(iter(sorted(s for s in world.secrets if s.startswith(("http", "urn")))), "urn:x")
    checked = 0
    for template, accept in itertools.product(QUERIES, ACCEPTS):
        query = template.replace("{private}", private).replace("{subject}", subject)
        for method in ("GET", "POST"):
            if method == "GET":
                response = world.get("/sparql", params={"query": query}, headers={"Accept": accept})
            else:
                response = world.post("/sparql", content=query,
                                      headers={"Content-Type": "application/sparql-query", "Accept": accept})
            assert response.status_code in (200, 406), (query, response.text[:200])
            assert_clean(response, world.secrets, f"{method} /sparql {query!r} as {accept}")
            checked += 1
    for param in ("named-graph-uri", "default-graph-uri"):
        response = world.get("/sparql", params={"query": "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
                                                param: private})
        assert_clean(response, world.secrets, f"/sparql with {param}")
        checked += 1
    assert checked > 200
    ask = world.get("/sparql", params={"query": 'ASK { ?s ?p ?o FILTER(CONTAINS(STR(?o), "Andromeda")) }'})
    assert ask.json()["boolean"] is False


def test_public_routes_never_reveal_personal_data(world, shared_data):
    specs = [row["spec"].value for row in world.ws.store.select(
        "SELECT DISTINCT ?spec WHERE { ?r <https://w3id.org/credgraph/ns#specification> ?spec }")]
    orgs = [row["org"].value for row in world.ws.store.select(
        "SELECT DISTINCT ?org WHERE { ?r <https://w3id.org/credgraph/ns#awardingBody> ?org }")]
    gets = [
        ("/sparql", {}, {"Accept": "text/html"}),
        ("/sparql", {}, {"Accept": "text/turtle"}),
        ("/api/v1/catalogue", {"q": "Andromeda"}, {}),
        ("/api/v1/catalogue", {}, {}),
        ("/openapi.json", {}, {}),
    ]
    for by in ("eqf", "country", "field", "skill", "provider", "month", "learners", "completions"):
        gets.append(("/api/v1/stats/issuance", {"by": by}, {}))
    for record in world.records:
        path = "/id/" + record[len(ns.CG_ID):]
        for accept in ("text/turtle", "application/ld+json", "application/n-triples", "text/html"):
            gets.append((path, {}, {"Accept": accept}))
    for spec in specs:
        gets.append(("/api/v1/specifications/" + spec, {}, {}))
        gets.append(("/api/v1/stacking/targets", {"specification": spec}, {}))
        gets.append(("/api/v1/equivalence", {"specification": spec}, {}))
        if spec.startswith(ns.CG_ID):
            gets.append(("/id/" + spec[len(ns.CG_ID):], {}, {"Accept": "text/turtle"}))
    for org in orgs:
        gets.append(("/api/v1/providers/" + org, {}, {}))
    for source_id in world.imported:
        gets.append((f"/api/v1/credentials/{source_id}/private", {"why": "curious"}, {}))
    for path, params, headers in gets:
        response = world.get(path, params=params, headers=headers)
        assert_clean(response, world.secrets, f"GET {path} {params} {headers}")
    with_spec = [row["r"].value for row in world.ws.store.select(
        "SELECT ?r WHERE { ?r <https://w3id.org/credgraph/ns#specification> ?spec }")]
    assert with_spec
    posts = [
        ("/api/v1/stacking/evaluate", {"credentials": with_spec}),
        ("/api/v1/recognition/compare", {"subject": with_spec[0], "reference": with_spec[-1]}),
    ]
    for path, body in posts:
        response = world.post(path, json=body)
        assert response.status_code == 200, response.text[:300]
        assert_clean(response, world.secrets, f"POST {path}")
    # Someone else's document, sent for validation: the answer reports on it without echoing personal data.
    sample = (shared_data / "samples" / "Sample-CertOfPart-unsigned.jsonld").read_bytes()
    for path in ("/api/v1/validate", "/api/v1/verify"):
        response = world.post(path, content=sample, headers={"Content-Type": "application/ld+json"})
        assert response.status_code == 200
        assert_clean(response, world.secrets, f"POST {path}")
