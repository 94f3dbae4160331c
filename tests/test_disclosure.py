"""The disclosure model of docs/privacy.md, attacked from outside (issue #13, items 2 and 3).

On imported demo credentials (catalogues, rules, 500 credentials to made-up
learners): what an anonymous reader can learn on /sparql, the REST statistics
and the linked-data routes, what a researcher key adds on the researcher view,
and that one credential in hand leads nowhere.
"""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from credgraph.api import create_app
from credgraph.api.config import ApiSettings
from credgraph.api.keys import add_key
from credgraph.demo import generator as demo_data
from credgraph.graph.sources import vocab
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

CG = "https://w3id.org/credgraph/ns#"
# The query of the hostile review: distinct learners per issuer country (it found FRA = 1).
LEARNERS_PER_COUNTRY = f"""PREFIX cg: <{CG}>
SELECT ?country (COUNT(DISTINCT ?learner) AS ?learners)
WHERE {{ ?record cg:issuerCountry ?country ; cg:learner ?learner }}
GROUP BY ?country ORDER BY ?learners"""
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from fastapi.testclient import TestClient

    tmp = tmp_path_factory.mktemp("disclosure")
    demo_data.generate(tmp / "demo", scale=0.1, seed=3)
    ws = Workspace(Settings(data_dir=tmp / "data", store="memory:"))
    vocab.load_shipped(ws.store)
    loaded = demo_data.load(ws, tmp / "demo")
    assert loaded.credentials.count("imported") == 500, [d.problems for d in loaded.credentials.rejected][:3]
    keys = tmp / "keys.json"
    client_keys = {role: add_key(keys, role, f"{role}-1") for role in ("researcher", "agency", "admin", "issuer")}
    app = create_app(ws, ApiSettings(keys_file=keys, audit_log=tmp / "audit.log"))
    with TestClient(app) as client:
        client.ws, client.keys, client.files = ws, client_keys, tmp / "demo"
        yield client


def sparql(client, query: str, role: str | None = None, view: str | None = None):
    headers = dict(JSON_RESULTS)
    if role:
        headers["Authorization"] = f"Bearer {client.keys[role]}"
    data = {"query": query}
    if view:
        data["view"] = view
    return client.post("/sparql", data=data, headers=headers)


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def test_anonymous_learner_counts_per_country_reveal_nothing(world):
    """The review's query answered FRA = 1 anonymously; now the public view holds no learner at all."""
    answer = sparql(world, LEARNERS_PER_COUNTRY)
    assert rows(answer) == []
    # Nor any pseudonym under any predicate, nor a graph holding one.
    assert rows(sparql(world, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?r <{CG}learner> ?l }}")) == [{"n": "0"}]
    assert rows(sparql(world, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?r <{CG}learner> ?l }} }}")) == [{"n": "0"}]
    hex64 = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isLiteral(?o) && REGEX(STR(?o), "^[0-9a-f]{64}$")) }'
    assert rows(sparql(world, hex64)) == [{"n": "0"}]
    # A key for another role does not open the researcher view; no key at all gets 401.
    assert sparql(world, LEARNERS_PER_COUNTRY, view="research").status_code == 401
    assert sparql(world, LEARNERS_PER_COUNTRY, role="agency", view="research").status_code == 403
    assert sparql(world, LEARNERS_PER_COUNTRY, role="issuer", view="research").status_code == 403


def test_the_researcher_view_links_records_of_one_learner_and_is_audited(world):
    found = rows(sparql(world, LEARNERS_PER_COUNTRY, role="researcher", view="research"))
    assert found and sum(int(r["learners"]) for r in found) >= 100
    two_or_more = f"""PREFIX cg: <{CG}>
    SELECT (COUNT(*) AS ?learners) WHERE {{
      {{ SELECT ?learner WHERE {{ ?record cg:learner ?learner }} GROUP BY ?learner HAVING (COUNT(?record) >= 2) }} }}"""
    [answer] = rows(sparql(world, two_or_more, role="researcher", view="research"))
    assert int(answer["learners"]) >= 1
    # The researcher view holds records and pseudonyms, never the private documents.
    private = rows(sparql(world, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                 'FILTER(STRSTARTS(STR(?g), "urn:credgraph:private:")) }', role="researcher", view="research"))
    assert private == [{"n": "0"}]
    audit = [json.loads(line) for line in (world.ws.settings.data_dir.parent / "audit.log").read_text().splitlines()]
    assert any(e["role"] == "researcher" and "view=research" in e["what"] for e in audit)


def test_anonymous_statistics_suppress_small_cells(world):
    for by in ("country", "provider", "learners", "completions", "month", "eqf"):
        answer = world.get("/api/v1/stats/issuance", params={"by": by})
        assert answer.status_code == 200, answer.text
        table = answer.json()
        assert all(cell["count"] >= table["k"] for cell in table["cells"]), (by, table)
    # k is not the caller's to lower.
    answer = world.get("/api/v1/stats/issuance", params={"by": "learners", "k": 1})
    assert all(cell["count"] >= 5 for cell in answer.json()["cells"])


def test_one_credential_in_hand_leads_nowhere(world):
    """The holder of a credential (an employer it was shown to) cannot find its record or graph, let alone others."""
    path = sorted((world.files / "credentials").rglob("*.jsonld"))[0]
    data = path.read_bytes()
    credential_id = json.loads(data)["id"]
    unkeyed = "cred-" + hashlib.sha256(credential_id.encode()).hexdigest()[:16]  # the old, computable name
    graph = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <urn:credgraph:source:{unkeyed}> {{ ?s ?p ?o }} }}"
    assert rows(sparql(world, graph)) == [{"n": "0"}]
    assert world.get(f"/id/issuance/{unkeyed}").status_code == 404
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    dump = io.BytesIO()
    world.ws.store.dump(dump)
    text = dump.getvalue().decode()
    assert digest not in text and unkeyed not in text and credential_id not in text
    # The record exists, under a name only the instance secret gives.
    keyed = world.ws.keyed_id("cred", credential_id)
    assert f"urn:credgraph:source:{keyed}" in text and keyed != unkeyed
