"""Binding parameters into query text as RDF terms."""

import pyoxigraph as ox
import pytest

from credgraph.graph.store.binding import BindingError, inject_values, top_level_where_positions, values_block


def test_values_block_serialises_terms():
    block = values_block([{"a": ox.NamedNode("http://x/1"), "b": ox.Literal('say "hi"', language="en")}, {"a": None}])
    assert block == 'VALUES (?a ?b) { (<http://x/1> "say \\"hi\\""@en) (UNDEF UNDEF) }'


def test_only_top_level_where_is_used():
    text = 'SELECT ?x WHERE { ?x ?p ?o { SELECT ?o WHERE { ?o ?q ?r } } }'
    assert top_level_where_positions(text) == [text.index("{") + 1]


def test_where_inside_strings_comments_and_iris_is_ignored():
    text = '# WHERE { in a comment\nSELECT ?x WHERE { ?x <http://e/p> "WHERE {" . ?x <http://e/WHERE> ?y }'
    out = inject_values(text, [{"x": ox.NamedNode("http://e/a")}])
    assert out.count("VALUES") == 1
    assert ox.Store().query(out) is not None


def test_every_update_operation_gets_the_block():
    text = "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } } ;\nINSERT { GRAPH ?g { <x:a> <x:b> 1 } } WHERE { }"
    out = inject_values(text, [{"g": ox.NamedNode("urn:g")}])
    assert out.count("VALUES (?g) { (<urn:g>) }") == 2


def test_no_where_is_an_error():
    with pytest.raises(BindingError):
        inject_values("ASK { ?s ?p ?o }", [{"s": ox.NamedNode("http://x")}])


def test_blank_nodes_cannot_be_bound():
    with pytest.raises(BindingError):
        values_block([{"s": ox.BlankNode()}])


def test_bad_variable_names_are_refused():
    with pytest.raises(BindingError):
        values_block([{"s) } DROP ALL": ox.Literal("x")}])
