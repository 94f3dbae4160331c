"""Graph content as SPARQL Update data operations.

Writing a whole named graph atomically needs the removal of its old content
and the insertion of the new one in one transaction; the only call both
backends offer for that is one SPARQL Update request. This module turns
*data* (triples serialised by pyoxigraph as N-Triples, so every term is
escaped by the RDF library, never pasted) into ``DROP SILENT GRAPH`` and
``INSERT DATA`` operations. Queries proper still live in ``queries/``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pyoxigraph as ox


def _graph_ref(name: str) -> str:
    return str(ox.NamedNode(name))  # validates the IRI and escapes it


def _ntriples(triples: Sequence[ox.Triple]) -> str:
    out = io.BytesIO()
    ox.serialize(triples, out, ox.RdfFormat.N_TRIPLES)
    return out.getvalue().decode("utf-8")


def drop_operations(graphs: Sequence[str]) -> list[str]:
    """``DROP SILENT GRAPH`` for each graph."""
    return [f"DROP SILENT GRAPH {_graph_ref(g)}" for g in graphs]


def insert_operations(graphs: Mapping[str, Sequence[ox.Triple]]) -> list[str]:
    """``INSERT DATA`` for each non-empty graph."""
    return [
        f"INSERT DATA {{ GRAPH {_graph_ref(g)} {{\n{_ntriples(triples)}}} }}"
        for g, triples in graphs.items()
        if triples
    ]
