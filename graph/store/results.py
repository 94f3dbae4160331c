"""Rendering query results: SPARQL JSON, CSV and plain-text tables."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox

from credgraph.graph.store.interface import Solutions


def term_json(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, str]:
    """One term in the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def to_sparql_json(result: Solutions | bool) -> str:
    """SPARQL 1.1 Query Results JSON."""
    if isinstance(result, bool):
        return json.dumps({"head": {}, "boolean": result})
    return json.dumps(
        {
            "head": {"vars": result.variables},
            "results": {"bindings": [{k: term_json(v) for k, v in row.items()} for row in result.rows]},
        },
        ensure_ascii=False,
        indent=1,
    )


def plain(term: object) -> str:
    """A term's lexical value (IRIs bare), for CSV and tables."""
    if term is None:
        return ""
    return term.value  # type: ignore[attr-defined]


def to_csv(result: Solutions) -> str:
    """SPARQL 1.1 CSV results (values only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([plain(row.get(v)) for v in result.variables])
    return out.getvalue()


def to_table(result: Solutions, max_width: int = 60) -> str:
    """A plain-text table for terminals."""
    def cell(value: object) -> str:
        text = plain(value).replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    header = list(result.variables)
    body = [[cell(row.get(v)) for v in header] for row in result.rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    rule = "  ".join("-" * w for w in widths)
    rows = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in body]
    footer = f"({len(body)} row{'s' if len(body) != 1 else ''})"
    return "\n".join([line, rule, *rows, footer])
