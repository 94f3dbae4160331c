"""The store interface, run against embedded Oxigraph and a real ``oxigraph serve``."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from credgraph import queries
from credgraph.graph.store.interface import Provenance, QuerySyntaxError, StoreError, open_store


@pytest.fixture
def store(any_store):
    """The store contract holds on every backend: embedded, oxigraph serve and Virtuoso."""
    return any_store

EX = "http://example.org/"
P = ox.NamedNode(EX + "p")


def triples(*pairs: tuple[str, str]) -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(EX + s), P, ox.Literal(o)) for s, o in pairs]


def prov(source: str = "test.ttl", digest: str = "sha256:1") -> Provenance:
    return Provenance(kind="source", source=source, content_hash=digest, title="a test graph")


G1 = "urn:credgraph:source:one"
G2 = "urn:credgraph:source:two"


def values_of(store, graph: str | None = None) -> list[str]:
    result = store.select("SELECT ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?o")
    return [row["o"].value for row in result.rows]


def test_load_and_query_merged_default_graph(store):
    store.load_graph(G1, triples(("a", "1"), ("b", "2")), prov())
    store.load_graph(G2, triples(("c", "3")), prov("other.ttl", "sha256:2"))
    assert values_of(store) == ["1", "2", "3"]


def test_replace_is_whole_graph_and_leaves_others(store):
    store.load_graph(G1, triples(("a", "1"), ("b", "2")), prov())
    store.load_graph(G2, triples(("c", "3")), prov())
    store.load_graph(G1, triples(("a", "9")), prov(digest="sha256:new"))
    assert values_of(store) == ["3", "9"]
    assert store.graph_hash(G1) == "sha256:new"


def test_replace_graphs_writes_several_graphs_and_provenance(store):
    store.replace_graphs(
        {G1: triples(("a", "1")), G2: triples(("b", "2"), ("c", "3"))},
        {G1: prov("x.csv", "sha256:x"), G2: prov("y.csv", "sha256:y")},
    )
    infos = {g.name: g for g in store.graphs()}
    assert set(infos) == {G1, G2}
    assert (infos[G1].source, infos[G1].content_hash, infos[G1].triples) == ("x.csv", "sha256:x", 1)
    assert infos[G2].triples == 2 and infos[G2].kind == "source" and infos[G2].title == "a test graph"
    assert infos[G1].imported_at[:4].isdigit()


def test_blank_nodes_survive_a_write(store):
    node = ox.BlankNode()
    data = [
        ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "has"), node),
        ox.Triple(node, P, ox.Literal("inner")),
    ]
    store.load_graph(G1, data, prov())
    result = store.select("SELECT ?o WHERE { <http://example.org/a> <http://example.org/has>/<http://example.org/p> ?o }")
    assert [r["o"].value for r in result.rows] == ["inner"]


def test_failed_replace_leaves_earlier_data(store):
    store.load_graph(G1, triples(("a", "1")), prov())
    with pytest.raises(ValueError):
        # provenance missing for G2: nothing of this call may land
        store.replace_graphs({G1: triples(("z", "0")), G2: triples(("y", "5"))}, {G1: prov()})
    assert values_of(store) == ["1"]
    assert [g.name for g in store.graphs()] == [G1]


def test_drop_graphs_removes_exactly_them(store):
    store.load_graph(G1, triples(("a", "1")), prov())
    store.load_graph(G2, triples(("b", "2")), prov())
    store.drop_graphs([G1])
    assert values_of(store) == ["2"]
    assert [g.name for g in store.graphs()] == [G2]
    assert store.graph_hash(G1) is None


def test_bindings_are_terms_not_text(store):
    store.load_graph(G1, triples(("a", "1"), ("b", 'tricky" } ; DROP ALL ; #')), prov())
    hostile = ox.Literal('tricky" } ; DROP ALL ; #')
    result = store.select("SELECT ?s WHERE { ?s <http://example.org/p> ?o }", {"o": hostile})
    assert [r["s"].value for r in result.rows] == [EX + "b"]
    assert len(values_of(store)) == 2


def test_values_rows(store):
    store.load_graph(G1, triples(("a", "1"), ("b", "2"), ("c", "3")), prov())
    result = store.select(
        "SELECT ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?o",
        values=[{"s": ox.NamedNode(EX + "a")}, {"s": ox.NamedNode(EX + "c")}],
    )
    assert [r["o"].value for r in result.rows] == ["1", "3"]


def test_ask_and_construct(store):
    store.load_graph(G1, triples(("a", "1")), prov())
    assert store.ask("ASK WHERE { ?s <http://example.org/p> \"1\" }") is True
    assert store.ask("ASK WHERE { ?s <http://example.org/p> \"2\" }") is False
    built = store.construct("CONSTRUCT { ?s <http://example.org/q> ?o } WHERE { ?s <http://example.org/p> ?o }")
    assert built == [ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "q"), ox.Literal("1"))]


def test_named_query_by_name(store):
    result = store.select(queries.load("list-graphs"))
    assert result.variables[:2] == ["graph", "kind"] and result.rows == []


def test_dataset_restriction(store):
    store.load_graph(G1, triples(("a", "1")), prov())
    store.load_graph(G2, triples(("b", "2")), prov())
    result = store.select("SELECT ?o WHERE { ?s <http://example.org/p> ?o }", default_graphs=[G2])
    assert [r["o"].value for r in result.rows] == ["2"]


def test_syntax_error_is_reported(store):
    with pytest.raises(QuerySyntaxError):
        store.select("SELECT ?x WHERE { ?x ")


def test_dump_writes_nquads_without_scratch_graphs(store):
    store.load_graph(G1, triples(("a", "1")), prov())
    out = io.BytesIO()
    count = store.dump(out)
    quads = list(ox.parse(out.getvalue(), ox.RdfFormat.N_QUADS))
    assert count == len(quads)
    graphs = {q.graph_name.value for q in quads}
    assert graphs == {G1, "urn:credgraph:meta"}


def test_update_is_one_transaction(store):
    store.load_graph(G1, triples(("a", "1")), prov())
    with pytest.raises(QuerySyntaxError):
        store.update("DELETE WHERE { ?s ?p ?o } ; INSERT DATA { <x:a> <x:b> ")
    assert values_of(store) == ["1"]


def test_unknown_scheme_is_refused():
    with pytest.raises(StoreError, match="unknown store URL scheme.*ftp://"):
        open_store("ftp://example.org/sparql")


def test_unreachable_remote_names_the_url():
    from conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    store = open_store(url)
    with pytest.raises(StoreError, match=f"cannot reach the SPARQL endpoint {url}/query"):
        store.select("SELECT * WHERE { ?s ?p ?o }")


def test_all_named_queries_have_headers():
    for query in queries.all_queries():
        assert query.title and query.title != query.name, f"{query.name} lacks a title"
        assert query.description, f"{query.name} lacks a description"


def test_header_words_do_not_change_the_query_form(store):
    store.load_graph(G1, triples(("a", "1")), prov())
    text = "# title: rows to download, insert into a report, delete later\nSELECT ?o WHERE { ?s <http://example.org/p> ?o }"
    assert [r["o"].value for r in store.select(text).rows] == ["1"]


def test_empty_graph_then_content_keeps_one_provenance(store):
    store.load_graph(G1, [], prov(digest="sha256:empty"))
    store.load_graph(G1, triples(("a", "1")), prov(digest="sha256:full"))
    assert [(g.name, g.content_hash, g.triples) for g in store.graphs()] == [(G1, "sha256:full", 1)]
    assert values_of(store) == ["1"]


# -- the merged public graph: each statement once, exactly what the sources still state --

SHARED_TRIPLE = ("shared", "same")


def count_default(store, text: str = "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/p> ?o }") -> int:
    return int(store.select(text).rows[0]["n"].value)


def per_graph(store) -> dict[str, int]:
    rows = store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <http://example.org/p> ?o } } GROUP BY ?g").rows
    return {row["g"].value: int(row["n"].value) for row in rows if row["g"].value.startswith("urn:credgraph:source:")}


def test_a_statement_two_sources_state_counts_once(store):
    store.load_graph(G1, triples(SHARED_TRIPLE, ("a", "1")), prov())
    store.load_graph(G2, triples(SHARED_TRIPLE, ("b", "2")), prov())
    assert count_default(store) == 3  # the merge, not 4 (a bag of copies)
    assert per_graph(store) == {G1: 2, G2: 2}  # GRAPH ?g still tells which source states what
    stating = store.select("SELECT ?g WHERE { GRAPH ?g { <http://example.org/shared> ?p ?o } } ORDER BY ?g").column("g")
    assert stating == [ox.NamedNode(G1), ox.NamedNode(G2)]  # never the merge, even where it is a named graph
    everything = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <http://example.org/p> ?o } }")
    assert int(everything.rows[0]["n"].value) == 4  # per source: 2 + 2


def test_replace_leaves_exactly_what_other_sources_still_state(store):
    store.load_graph(G1, triples(SHARED_TRIPLE, ("a", "1")), prov())
    store.load_graph(G2, triples(SHARED_TRIPLE, ("b", "2")), prov())
    store.load_graph(G1, triples(("a", "9")), prov(digest="sha256:new"))  # G1 no longer states the shared one
    assert values_of(store) == ["2", "9", "same"]
    store.load_graph(G2, triples(("b", "2")), prov(digest="sha256:new"))  # now nobody states it
    assert values_of(store) == ["2", "9"]


def test_delete_leaves_exactly_what_other_sources_still_state(store):
    store.replace_graphs({G1: triples(SHARED_TRIPLE, ("a", "1")), G2: triples(SHARED_TRIPLE, ("b", "2"))},
                         {G1: prov(), G2: prov()})
    store.drop_graphs([G1])
    assert values_of(store) == ["2", "same"]
    store.load_graph(G1, triples(SHARED_TRIPLE), prov())
    store.drop_graphs([G1, G2])  # both at once: the shared statement goes too
    assert values_of(store) == []


def test_merge_equals_the_set_of_source_statements_after_many_writes(store):
    import random

    rng = random.Random(7)
    names = [f"urn:credgraph:source:m{i}" for i in range(4)]
    for step in range(12):
        name = rng.choice(names)
        if rng.random() < 0.25:
            store.drop_graphs([name])
        else:
            store.load_graph(name, triples(*[(f"s{rng.randrange(6)}", str(rng.randrange(3))) for _ in range(4)]),
                             prov(digest=f"sha256:{step}"))
        stated = {(r["s"].value, r["o"].value) for r in store.select(
            "SELECT ?s ?o WHERE { GRAPH ?g { ?s <http://example.org/p> ?o } FILTER(STRSTARTS(STR(?g), 'urn:credgraph:source:')) }").rows}
        merged = [(r["s"].value, r["o"].value) for r in store.select(
            "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }").rows]
        assert sorted(merged) == sorted(stated), f"after step {step}"


def test_blank_nodes_leave_the_merge_with_their_graph(store):
    node = ox.BlankNode()
    data = [ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "has"), node), ox.Triple(node, P, ox.Literal("inner"))]
    store.load_graph(G1, data, prov())
    store.load_graph(G2, triples(("b", "2")), prov())
    store.load_graph(G1, data, prov(digest="sha256:again"))  # a replace: the old nodes go, the new ones come
    assert values_of(store) == ["2", "inner"]
    store.drop_graphs([G1])
    assert values_of(store) == ["2"]
    assert count_default(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == 1


def test_query_from_is_honoured(store):
    store.load_graph(G1, triples(("a", "1"), ("b", "2")), prov())
    store.load_graph(G2, triples(("c", "3")), prov())
    assert count_default(store, f"SELECT (COUNT(*) AS ?n) FROM <{G2}> WHERE {{ ?s ?p ?o }}") == 1
    assert count_default(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}") == 2
    named = store.select(f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{G1}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g").rows
    assert [(r["g"].value, int(r["n"].value)) for r in named] == [(G1, 2)]
    # A dataset given by the caller (the protocol's default-graph-uri) wins over FROM.
    given = store.select(f"SELECT (COUNT(*) AS ?n) FROM <{G2}> WHERE {{ ?s ?p ?o }}", default_graphs=[G1])
    assert int(given.rows[0]["n"].value) == 2


def test_meta_graph_is_not_merged(store):
    store.load_graph(G1, triples(("a", "1")), prov())
    assert count_default(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == 1
    assert store.graph_hash(G1) == "sha256:1"


def test_rebuild_merge_gives_the_same_merge(store):
    store.load_graph(G1, triples(SHARED_TRIPLE, ("a", "1")), prov())
    store.load_graph(G2, triples(SHARED_TRIPLE), prov())
    store.rebuild_merge()
    assert values_of(store) == ["1", "same"]
