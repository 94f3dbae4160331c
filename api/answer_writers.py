"""Answers as bytes in the negotiated format, capped at the row cap (run inside a query worker).

pyoxigraph's own JSON writer is used for SELECT results where it can be (several
times faster than building rows in Python); everything else goes through
:mod:`credgraph.api.formats`. ``serialise`` returns the answer's header (kind,
format, count, truncated) and its body.
"""

from __future__ import annotations

import pyoxigraph as ox

from credgraph.api import formats


class _OverBudget(Exception):
    pass


class _BudgetBuffer:
    """A binary output for pyoxigraph's serializer that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _OverBudget()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


# Every solution in SPARQL JSON takes at least 3 bytes ("{}" and a comma): a body
# up to 3 x row_cap bytes cannot hold more than row_cap rows.
_MIN_ROW_BYTES = 3


def solutions_json_budget(row_cap: int) -> int:
    return max(1 << 20, row_cap * 512)


def solutions_json(result: ox.QuerySolutions, row_cap: int) -> tuple[dict, bytes] | None:
    """SELECT results as SPARQL JSON written by pyoxigraph, capped at ``row_cap`` rows.

    pyoxigraph's writer is several times faster than building the rows in
    Python, but it writes every row. So it writes into a bounded buffer; a body
    too small to hold more than ``row_cap`` rows is the answer as it is, a
    larger one is read back to count its rows (and cut at the cap). None when
    the body outgrows the buffer: the caller evaluates again and writes the
    capped rows itself.
    """
    out = _BudgetBuffer(solutions_json_budget(row_cap))
    try:
        result.serialize(out, ox.QueryResultsFormat.JSON)
    except _OverBudget:
        return None
    body = b"".join(out.parts)
    if len(body) <= _MIN_ROW_BYTES * row_cap:
        return {"ok": True, "kind": "solutions", "format": formats.JSON, "count": None, "truncated": False}, body
    parsed = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    variables = [v.value for v in parsed.variables]
    rows, truncated = first_rows(parsed, row_cap)
    if not truncated:
        return {"ok": True, "kind": "solutions", "format": formats.JSON, "count": len(rows), "truncated": False}, body
    rows = [{name: solution[name] for name in variables if solution[name] is not None} for solution in rows]
    body = formats.write_solutions(variables, rows, formats.JSON)
    return {"ok": True, "kind": "solutions", "format": formats.JSON, "count": len(rows), "truncated": True}, body


def first_rows(solutions, row_cap: int) -> tuple[list, bool]:
    """At most ``row_cap`` solutions, and whether there were more."""
    rows = []
    for solution in solutions:
        if len(rows) >= row_cap:
            return rows, True
        rows.append(solution)
    return rows, False


def serialise(result, job, row_cap: int) -> tuple[dict, bytes]:
    """``result`` (a pyoxigraph query result) in the format ``job.formats`` names for its kind, capped at ``row_cap``."""
    if isinstance(result, ox.QueryBoolean):
        fmt = job.formats.get("boolean")
        if fmt is None:
            return {"ok": False, "kind": "not_acceptable", "message": "ASK"}, b""
        return {"ok": True, "kind": "boolean", "format": fmt, "count": 1, "truncated": False}, formats.write_boolean(
            bool(result), fmt
        )
    if isinstance(result, ox.QuerySolutions):
        fmt = job.formats.get("solutions")
        if fmt is None:
            return {"ok": False, "kind": "not_acceptable", "message": "SELECT"}, b""
        variables = [v.value for v in result.variables]
        solutions, truncated = first_rows(result, row_cap)
        rows = [{name: solution[name] for name in variables if solution[name] is not None} for solution in solutions]
        body = formats.write_solutions(variables, rows, fmt)
        return {"ok": True, "kind": "solutions", "format": fmt, "count": len(rows), "truncated": truncated}, body
    fmt = job.formats.get("graph")
    if fmt is None:
        return {"ok": False, "kind": "not_acceptable", "message": "CONSTRUCT/DESCRIBE"}, b""
    triples, truncated = [], False
    for triple in result:
        if len(triples) >= row_cap:
            truncated = True
            break
        triples.append(ox.Triple(triple.subject, triple.predicate, triple.object))
    body = formats.write_triples(triples, fmt)
    return {"ok": True, "kind": "graph", "format": fmt, "count": len(triples), "truncated": truncated}, body
