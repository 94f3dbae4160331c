"""Graph content as SPARQL Update data operations.

Writing a whole named graph atomically needs the removal of its old content
and the insertion of the new one in one transaction; the only call both
backends offer for that is one SPARQL Update request. This module turns
*data* (triples serialised by pyoxigraph as N-Triples, so every term is
escaped by the RDF library, never pasted) into ``DROP SILENT GRAPH`` and
``INSERT DATA`` operations. Queries proper still live in ``queries/``.

It also writes the operations that keep the *merged public graph* in step
with the named graphs: the RDF merge of every public named graph, each
statement once, which every query sees as its default graph (see
:mod:`credgraph.graph.store.interface`). They are structural like ``DROP GRAPH``: only
graph names vary, serialised by pyoxigraph.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from credgraph.graph import namespaces as ns


def _graph_ref(name: str) -> str:
    return str(ox.NamedNode(name))  # validates the IRI and escapes it


def _ntriples(triples: Sequence[ox.Triple]) -> str:
    out = io.BytesIO()
    ox.serialize(triples, out, ox.RdfFormat.N_TRIPLES)
    return out.getvalue().decode("utf-8")


XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"


def insert_operations(graphs: Mapping[str, Sequence[ox.Triple]], *, bind_durations: bool = False) -> list[str]:
    """``INSERT DATA`` for each non-empty graph.

    A graph with blank nodes is written as ``INSERT { ... } WHERE {}``
    instead, which means the same (one solution, so each label is one new
    node): Virtuoso refuses blank nodes in ``INSERT DATA``. ``bind_durations``
    writes ``xsd:duration`` values through ``BIND(STRDT(...))``, the one way
    Virtuoso 7.2 takes them at all (it refuses them as constants and stores
    them as seconds: openlink/virtuoso-opensource#224).
    """
    out = []
    for g, triples in graphs.items():
        if not triples:
            continue
        if bind_durations and any(_is_duration(t.object) for t in triples):
            out.append(_insert_with_bound_durations(g, triples))
        elif _has_blank_node(triples):
            out.append(f"INSERT {{ GRAPH {_graph_ref(g)} {{\n{_ntriples(triples)}}} }} WHERE {{}}")
        else:
            out.append(f"INSERT DATA {{ GRAPH {_graph_ref(g)} {{\n{_ntriples(triples)}}} }}")
    return out


def _is_duration(term) -> bool:
    return isinstance(term, ox.Literal) and term.datatype.value == XSD_DURATION


def _insert_with_bound_durations(graph: str, triples: Sequence[ox.Triple]) -> str:
    plain = [t for t in triples if not _is_duration(t.object)]
    variables: dict[str, str] = {}
    template = []
    for t in triples:
        if _is_duration(t.object):
            var = variables.setdefault(t.object.value, f"?duration{len(variables)}")
            template.append(f"{t.subject} {t.predicate} {var} .")
    binds = " ".join(
        f"BIND(STRDT({ox.Literal(value)}, <{XSD_DURATION}>) AS {var})" for value, var in variables.items()
    )
    return (f"INSERT {{ GRAPH {_graph_ref(graph)} {{\n{_ntriples(plain)}{chr(10).join(template)}\n}} }} "
            f"WHERE {{ {binds} }}")


def _has_blank_node(triples: Sequence[ox.Triple]) -> bool:
    return any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)


def merges(graph: str) -> bool:
    """True if ``graph`` belongs in the merged public graph.

    The meta graph (provenance) is about graphs, not part of any; private and
    quarantine graphs hold personal data and never enter a merge.
    """
    return graph != ns.META_GRAPH and not graph.startswith((ns.PRIVATE_GRAPH, ns.QUARANTINE_GRAPH))


def _in_merge(pattern: str, merged: str | None) -> str:
    # None: the store's own default graph (Oxigraph); else a named graph (stores
    # such as Virtuoso whose default graph is the union of all graphs).
    return pattern if merged is None else f"GRAPH {_graph_ref(merged)} {{ {pattern} }}"


def merge_operations(graphs: Sequence[str], merged: str | None) -> list[str]:
    """Copy each graph's statements into the merged graph (after the graph is written).

    A copy by pattern, not the data again, so blank nodes stay the very nodes
    of the source graph on any store.
    """
    return [
        f"INSERT {{ {_in_merge('?s ?p ?o', merged)} }} WHERE {{ GRAPH {_graph_ref(g)} {{ ?s ?p ?o }} }}"
        for g in graphs
        if merges(g)
    ]


def unmerge_and_drop_operations(graphs: Sequence[str], merged: str | None) -> list[str]:
    """Drop each graph, first removing from the merge what no other graph still states.

    One graph after the other: when the second graph is looked at the first is
    gone, so a statement that only the dropped graphs held leaves the merge.
    """
    out: list[str] = []
    for g in graphs:
        ref = _graph_ref(g)
        if merges(g):
            others = ", ".join([ref, _graph_ref(ns.META_GRAPH)] + ([_graph_ref(merged)] if merged else []))
            out.append(
                f"DELETE {{ {_in_merge('?s ?p ?o', merged)} }} WHERE {{ GRAPH {ref} {{ ?s ?p ?o }} "
                f"FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER (?other NOT IN ({others})) }} }}"
            )
        out.append(f"DROP SILENT GRAPH {ref}")
    return out


def rebuild_merge_operations(merged: str | None) -> list[str]:
    """Empty the merged graph and fill it again from every public graph credgraph recorded.

    Only graphs with provenance in the meta graph count, so a store's own
    system graphs (Virtuoso keeps several) never enter the merge.
    """
    clear = "DROP SILENT DEFAULT" if merged is None else f"DROP SILENT GRAPH {_graph_ref(merged)}"
    return [
        clear,
        f"INSERT {{ {_in_merge('?s ?p ?o', merged)} }} WHERE {{ "
        f"GRAPH {_graph_ref(ns.META_GRAPH)} {{ ?g a <{ns.CG}NamedGraph> }} GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER (!STRSTARTS(STR(?g), \"{ns.PRIVATE_GRAPH}\") && !STRSTARTS(STR(?g), \"{ns.QUARANTINE_GRAPH}\")) }}",
    ]


def resync_operations(graphs: Sequence[str], merged: str | None, *, removals: bool) -> list[str]:
    """Bring the merge in step after a hand-written update that touched ``graphs``.

    Each graph's statements are copied in; with ``removals`` (the update
    deleted something), statements no graph states any more leave the merge,
    a pass over the whole merged graph.
    """
    out = merge_operations([g for g in graphs if merges(g)], merged)
    if removals:
        excluded = ", ".join([_graph_ref(ns.META_GRAPH)] + ([_graph_ref(merged)] if merged else []))
        pattern = _in_merge("?s ?p ?o", merged)
        out.append(f"DELETE {{ {pattern} }} WHERE {{ {pattern} FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} "
                   f"FILTER (?other NOT IN ({excluded})) }} }}")
    return out
