"""``credgraph rekey``: a store written before keyed names, brought to the disclosure model (docs/privacy.md).

Before, a document's graphs and records were named ``cred-<first 16 hex of
SHA-256(credential id)>``, public provenance held the SHA-256 of the
document's bytes, and the public issuance record carried the learner's
pseudonym. Anyone holding a credential could compute its name and find its
learner's other records. For each imported document this:

1. reads the credential id from its private part (the whole document) or,
   for a document without one, the content hash recorded privately;
2. names it ``<kind>-<HMAC(instance secret, that key)>`` and rewrites the
   record and report IRIs of its public record to that name;
3. moves ``cg:learner`` from the public record to a research record;
4. writes the renamed parts (private, research, public: the import's order)
   before dropping the old ones (public first).

A document already in the new form is left alone, so the command can be run
again after an interruption; the consistency check (graph.consistency) drops
the half of an interrupted rename that has no public record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Provenance
from credgraph.graph.keyed_names import keyed_hash

_CREDENTIAL_TYPES = (ns.ELM + "EuropeanDigitalCredential", ns.CRED + "VerifiableCredential")
_LEARNER = ox.NamedNode(ns.CG + "learner")
_RECORD_FACTS = frozenset(ox.NamedNode(ns.CG + p) for p in ("specification", "awardingBody", "issuerCountry", "issued"))
_RDF_TYPE = ox.NamedNode(ns.RDF + "type")


@dataclass
class RekeyReport:
    """What ``rekey`` did."""

    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old source id, new source id)
    learners_moved: int = 0  # public records that named a learner
    already: int = 0  # documents already in the new form

    def lines(self) -> list[str]:
        return [f"{len(self.renamed):,} documents renamed with the instance secret, "
                f"{self.learners_moved:,} learner links moved from the public store to the research store, "
                f"{self.already:,} already keyed"]


def rekey(ws) -> RekeyReport:
    """Rename every imported document to its keyed name and move learner links out of the public store."""
    from credgraph.graph.store import consistency
    from credgraph.graph.sources import chunk_writing

    consistency.repair(ws)  # only whole documents are renamed
    key = ws.pseudonym_key()
    report = RekeyReport()
    infos = {g.name: g for g in ws.private.graphs()}
    public_infos = {g.name: g for g in ws.store.graphs()}
    for name, info in sorted(infos.items()):
        if not name.startswith(ns.PRIVATE_GRAPH) or info.kind != "private":
            continue
        old = name[len(ns.PRIVATE_GRAPH):]
        kind = old.split("-", 1)[0]
        private = chunk_writing.graph_triples(ws.private, name)
        credential = next((t.subject.value for t in private if t.predicate == _RDF_TYPE
                           and t.object.value in _CREDENTIAL_TYPES and isinstance(t.subject, ox.NamedNode)), None)
        digest = info.content_hash if info.content_hash.startswith("sha256:") else None
        if credential is None and digest is None:
            continue  # nothing to derive a name from (not written by an import)
        new = ws.keyed_id(kind, credential or digest)
        public_name = ns.source_graph(old)
        public = chunk_writing.graph_triples(ws.store, public_name) if public_name in public_infos else []
        learners = [t for t in public if t.predicate == _LEARNER]
        research_now = ws.research.graph_hash(ns.source_graph(new))
        if new == old and not learners and research_now is not None:
            report.already += 1
            continue
        rename = _renamer(old, new)
        public_new = [rename(t) for t in public if t.predicate != _LEARNER]
        research = [rename(t) for t in public if t.predicate in _RECORD_FACTS or t.predicate == _LEARNER
                    or (t.predicate == _RDF_TYPE and t.object.value == ns.CG + "IssuanceRecord")]
        if not learners and research_now is not None:
            research = [rename(t) for t in chunk_writing.graph_triples(ws.research, ns.source_graph(old))]
        public_hash = keyed_hash(key, digest) if digest else public_infos[public_name].content_hash
        sid = new
        ws.private.replace_graphs({ns.private_graph(sid): private},
                                  {ns.private_graph(sid): Provenance("private", info.source, info.content_hash)})
        ws.research.replace_graphs({ns.source_graph(sid): research},
                                   {ns.source_graph(sid): Provenance("research", f"credgraph:{sid}", public_hash)})
        ws.store.replace_graphs({ns.source_graph(sid): public_new},
                                {ns.source_graph(sid): Provenance("source", f"credgraph:{sid}", public_hash)})
        if new != old:
            ws.store.drop_graphs([public_name])
            ws.research.drop_graphs([ns.source_graph(old)])
            ws.private.drop_graphs([name])
            report.renamed.append((old, new))
        report.learners_moved += bool(learners)
    ws.repaired = False
    consistency.ensure(ws)
    return report


def _renamer(old: str, new: str):
    """Rewrites the record and report IRIs minted from the old source id."""
    prefixes = [(f"{ns.CG_ID}issuance/{old}", f"{ns.CG_ID}issuance/{new}"), (f"{ns.CG_ID}report/{old}-", f"{ns.CG_ID}report/{new}-")]

    def term(t):
        if isinstance(t, ox.NamedNode):
            for a, b in prefixes:
                if t.value == a or (a.endswith("-") and t.value.startswith(a)):
                    return ox.NamedNode(b + t.value[len(a):])
        return t

    def rename(triple: ox.Triple) -> ox.Triple:
        return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))

    return rename
