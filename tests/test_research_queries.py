"""The researchers' queries (queries/research-*.rq) against the demo generator's own records.

The expected figures come from :func:`credgraph.demo.generator.issue_plan`,
the records the generator writes credentials from, never from the store. The
queries are written as a researcher writes them (plain COUNT and SUM, no
defensive DISTINCT), and the demo data states every specification several
times over (its catalogue and every credential that awards it): the answers
are right only if every statement counts once. On embedded Oxigraph,
``oxigraph serve`` and Virtuoso.
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from pathlib import Path

import pytest

from credgraph import queries
from credgraph.demo import generator as demo_data
from credgraph.graph.sources import catalogue_import
from credgraph.graph.sources import ingest
from credgraph.graph.sources import vocab
from credgraph.graph.store.interface import open_store
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

from conftest import BACKENDS, _clear_remote

SCALE, SEED = 0.02, 5  # 100 credentials
NAL = "http://publications.europa.eu/resource/authority/country/"
EQF = "http://data.europa.eu/snb/eqf/"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("research-demo")
    demo_data.generate(out, scale=SCALE, seed=SEED)
    return out


@pytest.fixture(scope="module")
def truth() -> demo_data.IssuePlan:
    return demo_data.issue_plan(scale=SCALE, seed=SEED)


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, demo_dir, tmp_path_factory):
    """The demo set imported through the normal pipeline (catalogues, then credentials), once per backend."""
    if request.param == "virtuoso":
        server = request.getfixturevalue("virtuoso_server")
        server.clear()
        store = server.open()
    elif request.param == "oxigraph-serve":
        url = request.getfixturevalue("oxigraph_server")
        _clear_remote(url)
        store = open_store(url)
    else:
        store = open_store("memory:")
    ws = Workspace(Settings(store="memory:", data_dir=tmp_path_factory.mktemp("research-ws")), store=store)
    vocab.load_shipped(store, ["eqf"])
    for path in sorted((demo_dir / "catalogues").glob("*.csv")):
        result = catalogue_import.ingest_catalogue(ws, path)
        assert not result.problems, result.problems
    summary = ingest.ingest_paths(ws, [demo_dir / "credentials"])
    assert not summary.rejected, [d.problems for d in summary.rejected][:3]
    # Learner pseudonyms live in the research store (docs/privacy.md): the learner query reads there.
    yield SimpleNamespace(public=store, research=ws.research)
    ws.close()
    store.close()


def rows(store, name: str) -> list[dict]:
    return [{k: v.value for k, v in row.items()} for row in store.select(queries.load(name)).rows]


def test_credentials_by_eqf_level(loaded, truth):
    expected = Counter(f"{EQF}{spec.eqf}" for spec, _, _ in truth.issued)
    got = {r["level"]: int(r["credentials"]) for r in rows(loaded.public, "research-credentials-by-eqf")}
    assert got == dict(expected)
    assert sum(got.values()) == len(truth.issued)


def test_credentials_by_country(loaded, truth):
    expected = Counter(NAL + spec.provider.country3 for spec, _, _ in truth.issued)
    got = {r["country"]: int(r["credentials"]) for r in rows(loaded.public, "research-credentials-by-country")}
    assert got == dict(expected)


def test_credentials_by_month(loaded, truth):
    expected = Counter(day.isoformat()[:7] for _, day, _ in truth.issued)
    got = {r["month"]: int(r["credentials"]) for r in rows(loaded.public, "research-credentials-by-month")}
    assert got == dict(expected)


def test_credentials_by_skill(loaded, truth):
    expected = Counter(ESCO_SKILL + skill for spec, _, _ in truth.issued
                       for skill in {s for _, skills in spec.outcomes for s in skills})
    got = {r["skill"]: int(r["credentials"]) for r in rows(loaded.public, "research-credentials-by-skill")}
    assert got == dict(expected)


def test_ects_by_country(loaded, truth):
    ects, count = Counter(), Counter()
    for spec, _, _ in truth.issued:
        ects[NAL + spec.provider.country3] += spec.ects
        count[NAL + spec.provider.country3] += 1
    got = {r["country"]: (float(r["ects"]), int(r["credentials"])) for r in rows(loaded.public, "research-ects-by-country")}
    assert got == {c: (float(ects[c]), count[c]) for c in ects}


def test_learners_with_several_credentials(loaded, truth):
    held = Counter(learner.number for _, _, learner in truth.issued)
    several = [n for n in held.values() if n >= 2]
    [got] = rows(loaded.research, "research-learners-with-several")
    [anonymous] = rows(loaded.public, "research-learners-with-several")  # no pseudonyms in the public store
    assert int(anonymous["learners"]) == 0
    assert (int(got["learners"]), int(got["credentials"])) == (len(several), sum(several))
    assert len(several) > 5  # the demo set has repeat learners, so the check means something


def test_eqf_levels_lists_each_level_once(loaded):
    # Catalogues and credentials restate each level's skos:inScheme; the merge holds it once.
    assert len(loaded.public.select(queries.load("eqf-levels")).rows) == 8


def test_virtuoso_takes_durations_only_bound(request):
    """Virtuoso 7.2 refuses an xsd:duration constant with a clear error; bound through STRDT it takes it."""
    from credgraph.graph.store.interface import Provenance, StoreError
    import pyoxigraph as ox

    server = request.getfixturevalue("virtuoso_server")
    server.clear()
    store = server.open()
    duration = ox.Literal("PT60H", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#duration"))
    data = [ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), duration)]
    store.bind_durations = False
    with pytest.raises(StoreError, match="xsd:duration"):
        store.load_graph("urn:credgraph:source:duration", data, Provenance("source", "t", "sha256:d"))
    assert store.graph_hash("urn:credgraph:source:duration") is None  # nothing of the write landed
    store.bind_durations = True
    store.load_graph("urn:credgraph:source:duration", data, Provenance("source", "t", "sha256:d"))
    [row] = store.select("SELECT ?o WHERE { <http://example.org/s> <http://example.org/p> ?o }").rows
    assert row["o"].datatype == duration.datatype  # the type is kept; Virtuoso writes the value in seconds


def test_the_query_page_examples_are_the_research_queries():
    from credgraph import queries

    examples = {q.name for q in queries.all_queries() if q.example and not q.is_update}
    # Less the learner query: pseudonyms are only in the researcher view, never on the anonymous page.
    assert examples == {q.name for q in queries.all_queries() if q.name.startswith("research-")} - {
        "research-learners-with-several"}
    assert len(examples) == 5


@pytest.mark.parametrize("by", ["eqf", "field", "country", "provider", "month"])
def test_issuance_statistics_count_credentials(loaded, truth, by):
    from credgraph.graph.services.issuance_stats import issuance_stats

    table = issuance_stats(loaded.public, by, k=1)  # k=1: nothing suppressed, so the cells add up
    assert table.total_shown == len(truth.issued)  # one specification, one level and one field each
    got = {c.key.rsplit("/", 1)[-1]: c.count for c in table.cells}
    expected = {
        "eqf": Counter(str(spec.eqf) for spec, _, _ in truth.issued),
        "field": Counter(spec.isced for spec, _, _ in truth.issued),
        "country": Counter(spec.provider.country3 for spec, _, _ in truth.issued),
        "provider": Counter(spec.provider.iri.rsplit("/", 1)[-1] for spec, _, _ in truth.issued),
        "month": Counter(day.isoformat()[:7] for _, day, _ in truth.issued),
    }[by]
    assert got == dict(expected)
