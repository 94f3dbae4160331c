"""The store's capabilities beyond SPARQL, on both backends: what callers use instead of the backend's objects.

Each is checked against plain SPARQL on the same store (the meaning every
backend must give), on embedded Oxigraph and on a real ``oxigraph serve``.
"""

from __future__ import annotations

import io
import os
import signal

import pyoxigraph as ox
import pytest

from credgraph.graph.store.interface import Provenance, StoreError
from credgraph.graph.store.embedded import EmbeddedStore

EX = "http://example.org/"
P, Q = ox.NamedNode(EX + "p"), ox.NamedNode(EX + "q")
A, B = "urn:credgraph:source:a", "urn:credgraph:source:b"


def fill(store) -> None:
    node = ox.BlankNode()  # a blank node with two statements (graphs never share one in a SPARQL update)
    store.replace_graphs(
        {A: [ox.Triple(ox.NamedNode(EX + "s1"), P, ox.Literal("1")), ox.Triple(node, Q, ox.Literal("a")),
             ox.Triple(node, Q, ox.Literal("b"))],
         B: [ox.Triple(ox.NamedNode(EX + "s1"), P, ox.Literal("1")),
             ox.Triple(ox.NamedNode(EX + "s2"), P, ox.NamedNode(EX + "o"))]},
        {A: Provenance("source", "a", "sha256:a"), B: Provenance("source", "b", "sha256:b")})


def test_pattern_lookups_and_counts_agree_with_sparql(store):
    fill(store)
    by_sparql = store.select("SELECT ?s ?o WHERE { GRAPH ?g { ?s <http://example.org/p> ?o } }")
    found = list(store.triples(None, P, None))
    assert sorted(str(t) for t in found) == sorted(str(ox.Triple(r["s"], P, r["o"])) for r in by_sparql)
    assert len(found) == 3  # s1 p "1" once per graph that states it
    assert {str(t.object) for t in store.triples(ox.NamedNode(EX + "s2"), None, None)} == {f"<{EX}o>"}
    total = int(store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0]["n"].value)
    assert store.quad_count() == total


def test_merged_copy_holds_the_union_in_one_graph_with_shared_blank_nodes(store):
    fill(store)
    copy = store.merged_copy([A, B, "urn:credgraph:source:missing"], "urn:credgraph:offer-copy")
    assert isinstance(copy, EmbeddedStore)
    triples = list(copy.triples())
    # s1 p "1" stated by both graphs is one statement in the one graph; the blank node stays one node.
    assert len(triples) == 4
    assert len({t.subject for t in triples if t.predicate == Q}) == 1
    store.drop_graphs([A])
    assert len(list(copy.triples())) == 4  # independent of later writes


def test_memory_copy_and_graph_dumps_give_the_dataset(store):
    fill(store)
    out = io.BytesIO()
    store.dump(out)
    dumped = {q for q in ox.parse(out.getvalue(), ox.RdfFormat.N_QUADS)}
    copy = store.memory_copy()
    assert copy.quad_count() == len(dumped)
    dumps = list(store.graph_dumps(threads=2))
    names = [d.iri for d in dumps]
    assert A in names and B in names and "urn:credgraph:meta" in names
    from_dumps = sum(len(list(ox.parse(d.ntriples, ox.RdfFormat.N_TRIPLES))) for d in dumps)
    assert from_dumps == len(dumped)
    assert all(d.term == f"<{d.iri}>" for d in dumps if d.iri)


def test_embedded_store_is_a_killable_reader(embedded_store):
    """A forked child reads the store natively and can be killed; the parent's store is untouched."""
    assert embedded_store.forkable
    fill(embedded_store)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one native query, its answer on the pipe, then wait to be killed
        try:
            result = embedded_store.native_query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            os.write(write, next(iter(result))["n"].value.encode())
        finally:
            os.close(write)
            signal.pause()
            os._exit(0)
    os.close(write)
    answer = os.read(read, 64).decode()
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(read)
    # The child counted the union of the named graphs, as a SPARQL query in the parent does.
    assert int(answer) == int(embedded_store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0]["n"].value) > 0
    with pytest.raises(SyntaxError):
        embedded_store.native_query("SELEKT")
    embedded_store.native_update("INSERT DATA { GRAPH <urn:credgraph:source:c> { <s> <p> <o> } }", base_iri=EX)  # relative IRIs
    assert list(embedded_store.triples(ox.NamedNode(EX + "s"), None, None))


def test_a_string_is_sparql_text_never_a_query_name(embedded_store):
    with pytest.raises(StoreError):
        embedded_store.select("eqf-levels")  # once guessed to be a named query; now it is (bad) SPARQL
