"""Crash consistency across the stores: every imported document whole in each, or in none.

An import writes each slice's private graphs, research records and public
records in three transactions, the private one beside the other two
(graph/sources/chunk_writing.py). ``kill -9`` between those writes leaves a
document half-written: personal data without its public record, or the reverse.
Each store write is one transaction, so a document's part in one store is
either all there or not at all; what can be left over is a part without its
partners. :func:`check` pairs the parts by source id across the three stores
and :func:`repair` drops every incomplete document (it was never reported as
imported; importing it again writes it whole):

- a private part without its public record (killed after the private write);
- a research record without its public record;
- a public record without its private part (the reverse);
- parts whose content hashes disagree (a replacement killed half-way: the new
  private part beside the old public record): all parts dropped;
- description graphs no record names any more (a replacement killed before
  the clean-up).

A store written before learner pseudonyms moved to the research store (public
records carrying ``cg:learner``, no research records) is reported as needing
``credgraph rekey``, never dropped.

:func:`ensure` repairs once per workspace, before importing or serving.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Store

_NAME = re.compile(r"^urn:credgraph:(source|private):((?:cred|badge)-[0-9a-f]{16})$")


@dataclass
class Report:
    """The state of the stores: how many documents are whole, and what is (or was) wrong."""

    complete: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (source id, what is wrong)
    unused_descriptions: list[str] = field(default_factory=list)
    legacy_records: int = 0  # public records still naming a learner (see credgraph rekey)
    legacy_names: int = 0  # documents whose names are not keyed with the instance secret
    repaired: bool = False

    @property
    def consistent(self) -> bool:
        return not self.problems and not self.unused_descriptions

    def lines(self) -> list[str]:
        """The report as text (source ids only: they are keyed names, no personal data)."""
        out = [f"{self.complete:,} documents whole in the public, research and private stores"]
        verb = "dropped" if self.repaired else "found"
        out += [f"{verb}: {sid}: {what}" for sid, what in self.problems]
        if self.unused_descriptions:
            out.append(f"{verb}: {len(self.unused_descriptions)} description graphs no record names")
        if self.legacy_records:
            out.append(f"{self.legacy_records:,} public issuance records still name a learner: run `credgraph rekey`")
        if self.legacy_names:
            out.append(f"{self.legacy_names:,} documents have names not keyed with the instance secret: run `credgraph rekey`")
        if self.consistent and not (self.legacy_records or self.legacy_names):
            out.append("consistent")
        return out


def _documents(store: Store, prefix: str) -> dict[str, str]:
    out = {}
    for row in store.select(queries.load("consistency-documents")).rows:
        m = _NAME.match(row["graph"].value)
        if m and m.group(1) == prefix:
            out[m.group(2)] = row["hash"].value
    return out


def check(ws) -> Report:
    """Pair every imported document's parts across the stores (reads only)."""
    from credgraph.graph.keyed_names import keyed_hash

    key = ws.pseudonym_key()
    public = _documents(ws.store, "source")
    research = _documents(ws.research, "source")
    private = _documents(ws.private, "private")
    report = Report()
    report.legacy_records = int(ws.store.select(queries.load("consistency-learner-links")).rows[0]["n"].value)
    for sid in sorted(set(public) | set(research) | set(private)):
        p, r, v = public.get(sid), research.get(sid), private.get(sid)
        if p is None:
            report.problems.append((sid, "private part or research record without its public record"))
        elif v is None:
            report.problems.append((sid, "public record without its private part"))
        elif p == v and r is None:
            report.complete += 1  # written before keyed names and the research store: credgraph rekey moves it
            report.legacy_names += 1
        elif p != keyed_hash(key, v) or r != p:
            report.problems.append((sid, "parts from different imports (a replacement was interrupted)"))
        else:
            report.complete += 1
    report.unused_descriptions = [row["graph"].value for row in ws.store.select(queries.load("ingest-unused-descriptions")).rows]
    return report


def repair(ws) -> Report:
    """:func:`check`, then drop every incomplete document's parts (public first) and unused descriptions."""
    report = check(ws)
    broken = [sid for sid, _ in report.problems]
    if broken:  # one drop per store (public first, so no record is left naming a dropped part)
        ws.store.drop_graphs([ns.source_graph(sid) for sid in broken])
        ws.research.drop_graphs([ns.source_graph(sid) for sid in broken])
        ws.private.drop_graphs([ns.private_graph(sid) for sid in broken])
    if report.unused_descriptions:
        ws.store.drop_graphs(report.unused_descriptions)
    report.repaired = True
    return report


def ensure(ws) -> Report | None:
    """:func:`repair` once per workspace (before the first import or when a server starts)."""
    if ws.repaired:
        return None
    report = repair(ws)
    ws.repaired = True
    if report.problems or report.unused_descriptions:
        log = logging.getLogger("credgraph")
        for line in report.lines()[1:]:
            log.warning("consistency: %s", line)
    return report
