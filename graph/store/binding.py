"""Binding query parameters as RDF terms.

Parameters become an inline ``VALUES`` block placed at the start of each
top-level ``WHERE { ... }`` group, on every backend, for queries and updates
alike: one mechanism, so a named query means the same thing everywhere.
(Oxigraph's own substitutions require the variable to be projected, which
parameters such as a graph name usually are not.)
The terms are serialised by pyoxigraph (N-Triples syntax, escaped), so a value
can never change the shape of the query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pyoxigraph import BlankNode, Literal, NamedNode

from credgraph.graph.store.sparql_text import Token, tokens

Term = NamedNode | BlankNode | Literal
Row = Mapping[str, Term | None]



class BindingError(ValueError):
    """A parameter cannot be bound into this query."""


def _term_text(term: Term | None) -> str:
    if term is None:
        return "UNDEF"
    if isinstance(term, BlankNode):
        raise BindingError("blank nodes cannot be bound as query parameters")
    if not isinstance(term, (NamedNode, Literal)):
        raise BindingError(f"not an RDF term: {term!r}")
    return str(term)


def values_block(rows: Sequence[Row]) -> str:
    """A SPARQL ``VALUES`` block for ``rows`` (all rows share one variable list)."""
    if not rows:
        raise BindingError("no rows to bind")
    names = sorted({name for row in rows for name in row})
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise BindingError(f"invalid variable name {name!r}")
    header = " ".join(f"?{name}" for name in names)
    body = " ".join(
        "(" + " ".join(_term_text(row.get(name)) for name in names) + ")" for row in rows
    )
    return f"VALUES ({header}) {{ {body} }}"


def top_level_where_positions(text: str) -> list[int]:
    """Offsets just after each ``WHERE {`` that is not nested in braces.

    Uses the SPARQL tokenizer, so strings, IRIs and comments never count.
    """
    positions: list[int] = []
    depth = 0
    previous: Token | None = None
    for token in tokens(text):
        if token.kind == "punct" and token.text == "{":
            if depth == 0 and previous and previous.kind == "word" and previous.text.upper() == "WHERE":
                positions.append(token.start + 1)
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
        previous = token
    return positions


def inject_values(text: str, rows: Sequence[Row]) -> str:
    """``text`` with a VALUES block for ``rows`` at the start of each top-level WHERE group."""
    positions = top_level_where_positions(text)
    if not positions:
        raise BindingError("the query has no top-level 'WHERE {' to bind parameters into")
    block = " " + values_block(rows) + " "
    out, last = [], 0
    for pos in positions:
        out.append(text[last:pos])
        out.append(block)
        last = pos
    out.append(text[last:])
    return "".join(out)
