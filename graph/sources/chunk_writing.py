"""Writing a chunk of checked documents to the stores, each document all or nothing across them.

For each slice of a chunk, three writes of one transaction each: the private
graphs; the research records with the learner pseudonyms; the public records
and the shared description graphs. With a second core the private write runs
on a thread of its own beside the other two (the stores work without Python's
lock, so it costs the import no time); on one core they run one after the
other. If any write fails, the stores whose
write went through are put back as they were (new graphs dropped, replaced
ones restored from the copy taken before writing). A process killed between
the writes cannot put anything back: the next import or server start drops
what it left half-written, a part without its partners in either direction
(:mod:`credgraph.graph.store.consistency`).
Re-importing the same bytes is a no-op (content hash in provenance); changed
content replaces every part. Rejected documents may be kept whole in
quarantine (:func:`quarantine`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import pyoxigraph as ox

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.sources import edc, privacy
from credgraph.graph.sources.bounded_cache import BoundedCache
from credgraph.graph.sources.document_reading import SourceDocument
from credgraph.graph.sources.document_steps import RDF_TYPE, DocumentResult, PreparedDocument, StageTimer
from credgraph.graph.store.interface import Provenance, Store, StoreError, content_hash
from credgraph.graph.workspace import Workspace

CG = ns.CG


def write_chunk(ws: Workspace, batch: list[PreparedDocument], timer: StageTimer, per_write: int = 50) -> None:
    """Write the storable documents of a chunk, ``per_write`` documents per store call.

    One ``replace_graphs`` call is one SPARQL update holding every triple of the
    slice as text; slicing bounds its size (a document with embedded images is
    ~100 KB) while keeping the per-call overhead small (measured: slices of
    10..200 documents cost the same per document). Each document stays all or
    nothing.
    """
    for start in range(0, len(batch), per_write):
        _write_slice(ws, batch[start:start + per_write], timer)


def _write_slice(ws: Workspace, batch: list[PreparedDocument], timer: StageTimer) -> None:
    """The slice's private, research and public parts, each store in one transaction; all undone if one fails."""
    started = time.perf_counter()
    todo = [p for p in batch if p.result.status == "pending"]
    if not todo:
        return
    public_names = [ns.source_graph(p.result.source_id) for p in todo]
    existing = _graph_hashes(ws.store, public_names)
    _keep_valid_seals(ws.store, todo, public_names, existing)
    writes: list[PreparedDocument] = []
    for p, graph in zip(todo, public_names):
        if p.result.status == "rejected":
            continue
        if existing.get(graph) == p.public_hash:
            p.result.status = "unchanged"
        else:
            p.result.status = "replaced" if graph in existing else "imported"
            writes.append(p)
    started = timer.add("store-check", started)
    if not writes:
        return
    private_names = [ns.private_graph(p.result.source_id) for p in writes]
    record_names = [ns.source_graph(p.result.source_id) for p in writes]  # public and research records alike
    # What each store holds now of what this slice replaces: put back if a write fails.
    previous = {
        "private": _snapshot(ws.private, private_names),
        "research": _snapshot(ws.research, record_names),
        "public": _snapshot(ws.store, [ns.source_graph(p.result.source_id) for p in writes if p.result.status == "replaced"]),
    }
    descriptions = {p.result.source_id: description_graph(p.split.public) for p in writes}
    stored = _graph_hashes(ws.store, sorted({g for g, _ in descriptions.values() if g}))
    private_graphs, private_prov, public_graphs, public_prov = {}, {}, {}, {}
    research_graphs, research_prov = {}, {}
    for p in writes:
        sid = p.result.source_id
        private_graphs[ns.private_graph(sid)] = p.split.private
        private_prov[ns.private_graph(sid)] = Provenance(kind="private", source=p.private_source, content_hash=p.content_hash)
        record, research = _record_graphs(p)
        graph, digest = descriptions[sid]
        if graph:
            # The record names the shared graph describing what it awards, so
            # that descriptions no credential uses any more can be dropped.
            record.append(ox.Quad(ox.NamedNode(f"{ns.CG_ID}issuance/{sid}"), ox.NamedNode(CG + "descriptionGraph"), ox.NamedNode(graph),
                                  ox.NamedNode(ns.source_graph(sid))))
        privacy.assert_public(record, p.forbidden, p.result.name)  # the split checked its public part
        public_graphs[ns.source_graph(sid)] = record
        # The public provenance names no file: file names can carry learners' names.
        public_prov[ns.source_graph(sid)] = Provenance(kind="source", source=f"credgraph:{sid}", content_hash=p.public_hash)
        research_graphs[ns.source_graph(sid)] = research
        research_prov[ns.source_graph(sid)] = Provenance(kind="research", source=f"credgraph:{sid}", content_hash=p.public_hash)
        if graph and graph not in stored and graph not in public_graphs:
            public_graphs[graph] = p.split.public
            public_prov[graph] = Provenance(kind="source", source=f"credgraph:{graph[len(ns.SOURCE_GRAPH):]}", content_hash=digest)
        p.result.public_triples = len(set(p.split.public + record))
        p.result.private_triples = len(p.split.private)
    started = timer.add("build-graphs", started)
    stores = {"private": ws.private, "research": ws.research, "public": ws.store}
    done, failure = _write_stores(stores, {
        "private": (private_graphs, private_prov),
        "research": (research_graphs, research_prov),
        "public": (public_graphs, public_prov),
    })
    if failure is not None:
        # The descriptions this write added go with the records that named them (dropped below
        # once no record names them: another import's record may name one too).
        written = {"private": private_names, "research": record_names, "public": record_names}
        for part in done:
            _restore(stores[part], written[part], previous[part])
        if "public" in done:
            try:
                drop_unused_descriptions(ws.store)
            except StoreError:
                pass  # the write's own failure is the one to report
        raise failure
    if any(p.result.status == "replaced" for p in writes):
        drop_unused_descriptions(ws.store)
    timer.add("store-write", started)


def _keep_valid_seals(store: Store, todo: list[PreparedDocument], public_names: list[str], existing: dict[str, str]) -> None:
    """Refuse to replace a credential stored with a valid seal by a document without one (or an older one).

    Otherwise anyone could swap a genuine sealed credential for an unsealed
    copy with other content under the same credential id.
    """
    replacing = [g for p, g in zip(todo, public_names) if g in existing and existing[g] != p.public_hash]
    if not replacing:
        return
    rows = store.select(queries.load("ingest-stored-seals"), values=[{"graph": ox.NamedNode(g)} for g in replacing])
    sealed = {row["graph"].value: row.get("signingTime") for row in rows if row["status"].value == "valid"}
    for p, graph in zip(todo, public_names):
        if graph not in sealed or existing.get(graph) == p.public_hash:
            continue
        new, sid = p.result.seal, p.result.source_id
        if new is None or not new.valid:
            why = "it carries no seal" if new is None else f"its seal is {new.status}"
            p.result.problems.append(f"{p.result.name}: refused: credential {sid} is stored with a valid seal and this "
                                     f"document cannot replace it ({why}; only a validly sealed document may)")
        elif _earlier(new.signing_time, sealed[graph]):
            p.result.problems.append(f"{p.result.name}: refused: credential {sid} is stored with a seal signed "
                                     f"{sealed[graph].value}; this document's seal is older ({new.signing_time})")
        else:
            continue
        p.result.status = "rejected"


def _earlier(signing_time: str, stored: ox.Literal | None) -> bool:
    """True when both signing times are known and ``signing_time`` is before ``stored``."""
    if not signing_time or stored is None:
        return False
    try:
        return datetime.fromisoformat(signing_time.replace("Z", "+00:00")) < datetime.fromisoformat(stored.value.replace("Z", "+00:00"))
    except ValueError:
        return False


def _record_graphs(prepared: PreparedDocument) -> tuple[list, list]:
    """The public record and the research record of a document, as quads of its source graph.

    Public: the issuance record without the learner's pseudonym, its
    compliance result and seal verification. Research: the issuance record with
    the pseudonym (the research store names the graph alike, docs/privacy.md).
    """
    sid = prepared.result.source_id
    graph = ox.NamedNode(ns.source_graph(sid))
    record, research = edc.issuance_record(prepared.split, sid, graph)
    # The learner's pseudonym goes to the research store only (docs/privacy.md): never public.
    triples = [t for t in research if t.predicate != _LEARNER]
    compliance = prepared.result.compliance
    if compliance is not None:
        node = ox.NamedNode(f"{ns.CG_ID}report/{sid}-compliance")
        triples += [
            ox.Quad(record, ox.NamedNode(CG + "compliance"), node, graph),
            ox.Quad(node, RDF_TYPE, ox.NamedNode(CG + "ComplianceResult"), graph),
            ox.Quad(node, ox.NamedNode(CG + "conforms"), _TRUE if compliance.conforms else _FALSE, graph),
            ox.Quad(node, ox.NamedNode(CG + "profile"), ox.Literal(compliance.profile), graph),
        ]
        triples += [ox.Quad(node, ox.NamedNode(CG + "presentElement"), ox.Literal(e), graph) for e in compliance.present]
        triples += [ox.Quad(node, ox.NamedNode(CG + "missingElement"), ox.Literal(e), graph) for e in compliance.missing]
        # Per claim: its role, kind, public specification and missing elements; never
        # the claim's own IRI or title (the claim is part of the learner's record).
        for i, claim in enumerate(compliance.claims):
            claim_node = ox.NamedNode(f"{ns.CG_ID}report/{sid}-compliance-claim-{i}")
            triples += [
                ox.Quad(node, ox.NamedNode(CG + "claimCompliance"), claim_node, graph),
                ox.Quad(claim_node, RDF_TYPE, ox.NamedNode(CG + "ClaimCompliance"), graph),
                ox.Quad(claim_node, ox.NamedNode(CG + "claimRole"), ox.Literal(claim.role), graph),
                ox.Quad(claim_node, ox.NamedNode(CG + "claimKind"), ox.Literal(claim.kind), graph),
            ]
            for spec in claim.specifications:
                public = prepared.split.public_specs.get(spec)
                if public is not None:
                    triples.append(ox.Quad(claim_node, ox.NamedNode(CG + "claimSpecification"), public, graph))
            triples += [ox.Quad(claim_node, ox.NamedNode(CG + "missingElement"), ox.Literal(e), graph) for e in claim.missing]
    if prepared.result.seal is not None:
        node = ox.NamedNode(f"{ns.CG_ID}report/{sid}-seal")
        triples.append(ox.Quad(record, ox.NamedNode(CG + "seal"), node, graph))
        triples += prepared.result.seal.to_triples(node)
    return triples, research


_LEARNER = ox.NamedNode(CG + "learner")
_TRUE = ox.Literal("true", datatype=ox.NamedNode(ns.XSD + "boolean"))
_FALSE = ox.Literal("false", datatype=ox.NamedNode(ns.XSD + "boolean"))


def drop_unused_descriptions(store: Store) -> list[str]:
    """Drop the shared description graphs that no issuance record names any more."""
    unused = [row["graph"].value for row in store.select(queries.load("ingest-unused-descriptions")).rows]
    store.drop_graphs(unused)
    return unused


def description_graph(description: Sequence[ox.Triple]) -> tuple[str | None, str]:
    """The shared graph for the public description of what a credential awards.

    Thousands of credentials award the same specification; each carries the
    same description. Written once per distinct content (the graph is named
    by its hash), the public dataset holds each statement once, so that a
    researcher's ``COUNT`` over the union of graphs counts credentials, not
    copies. Returns (graph name or None when empty, content hash).
    """
    if not description:
        return None, ""
    # Blank-node labels differ from document to document. Numbered in order
    # of appearance they usually agree for the same description, which then
    # needs no canonicalisation: equal numbered triples are the same graph.
    numbered = _numbered_blank_nodes(description)
    found = _DESCRIPTIONS.get(numbered)
    if found is None:
        found = _description_hash(description)
        _DESCRIPTIONS.put(numbered, found)
    return found


_DESCRIPTIONS = BoundedCache(4096)  # numbered description -> (graph, content hash)


def _numbered_blank_nodes(triples: Sequence[ox.Triple]) -> tuple:
    numbers: dict[ox.BlankNode, int] = {}
    out = []
    for t in triples:
        s, o = t.subject, t.object
        if type(s) is ox.BlankNode:
            s = numbers.setdefault(s, len(numbers))
        if type(o) is ox.BlankNode:
            o = numbers.setdefault(o, len(numbers))
        out.append((s, t.predicate, o))
    return tuple(out)


def _description_hash(description: Sequence[ox.Triple]) -> tuple[str, str]:
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in description):
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in description)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        description = [ox.Triple(q.subject, q.predicate, q.object) for q in dataset]
    lines = sorted({str(t) for t in description})
    digest = content_hash("\n".join(lines).encode("utf-8"))
    return ns.source_graph("desc-" + digest.split(":", 1)[1][:16]), digest


def _graph_hashes(store: Store, graphs: Sequence[str]) -> dict[str, str]:
    if not graphs:
        return {}
    rows = store.select(queries.load("ingest-graph-hashes"), values=[{"graph": ox.NamedNode(g)} for g in graphs])
    return {row["graph"].value: row["hash"].value for row in rows}


def graph_triples(store: Store, graph: str) -> list[ox.Triple]:
    return store.construct(queries.load("ingest-graph-triples"), {"graph": ox.NamedNode(graph)})


def _write_stores(stores: dict[str, Store], writes: dict[str, tuple[dict, dict]]) -> tuple[list[str], BaseException | None]:
    """Each store's graphs in one ``replace_graphs`` call; with a spare core the private one on a thread of its own.

    Returns the parts whose write went through and the first failure (None if none failed).
    """
    failures: dict[str, BaseException] = {}
    attempted: list[str] = []

    def write(part: str) -> None:
        attempted.append(part)
        try:
            stores[part].replace_graphs(*writes[part])
        except BaseException as exc:  # noqa: BLE001 - raised by the caller once the other writes are undone
            failures[part] = exc

    if not spare_core():
        for part in ("private", "research", "public"):
            write(part)
            if failures:
                break
    else:
        private = threading.Thread(target=write, args=("private",), name="credgraph-ingest-write-private")
        private.start()
        try:
            write("research")
            if not failures.get("research"):  # no public record is written without its research record
                write("public")
        finally:
            private.join()
    first = next((failures[part] for part in ("private", "research", "public") if part in failures), None)
    return [part for part in attempted if part not in failures], first


def spare_core() -> bool:
    """True when this process may run on more than one core: then the import writes beside its reading, and
    the private store beside the others.

    On one core the threads would only take turns, and the switching costs
    (measured on the demo set pinned to one core: 0.80x of the throughput
    before the merged graph with the threads, 0.88x without).
    """
    try:
        return len(os.sched_getaffinity(0)) > 1
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) > 1


def _snapshot(store: Store, graphs: list[str]) -> dict[str, tuple[list[ox.Triple], Provenance]]:
    """The current content and provenance of those ``graphs`` that exist (to restore them on failure)."""
    if not graphs:
        return {}
    rows = store.select(queries.load("ingest-graph-provenance"), values=[{"graph": ox.NamedNode(g)} for g in graphs]).rows
    snapshot = {}
    for row in rows:
        graph = row["graph"].value
        prov = Provenance(kind=row["kind"].value, source=row["source"].value, content_hash=row["hash"].value,
                          title=row["title"].value if row.get("title") else "")
        try:  # keep the original import time: a restored graph is the old graph, not a new import
            prov = replace(prov, imported_at=datetime.fromisoformat(row["imported"].value))
        except ValueError:
            pass
        snapshot[graph] = (graph_triples(store, graph), prov)
    return snapshot


def _restore(store: Store, graphs: list[str], previous: dict) -> None:
    new = [g for g in graphs if g not in previous]
    try:
        store.drop_graphs(new)
        if previous:
            store.replace_graphs({g: t for g, (t, _) in previous.items()}, {g: p for g, (_, p) in previous.items()})
    except StoreError:
        pass  # the original error is the one to report


def quarantine(ws: Workspace, doc: SourceDocument, result: DocumentResult, rdf: list[ox.Triple] | None) -> None:
    """Keep a rejected document whole, with its problems, in the private store."""
    data = doc.data or b""
    sid = result.source_id or ws.keyed_id("doc", content_hash(data) + doc.name)
    result.source_id = sid
    graph = ns.quarantine_graph(sid)
    report = ox.NamedNode(f"{ns.CG_ID}report/{sid}-quarantine")
    triples = list(rdf or [])
    triples += [
        ox.Triple(report, RDF_TYPE, ox.NamedNode(CG + "QuarantineRecord")),
        ox.Triple(report, ox.NamedNode(ns.DC + "source"), ox.Literal(doc.name)),
    ]
    triples += [ox.Triple(report, ox.NamedNode(ns.RDFS + "comment"), ox.Literal(m)) for m in result.problems]
    text = data.decode("utf-8", errors="replace")
    triples.append(ox.Triple(report, ox.NamedNode(CG + "originalDocument"), ox.Literal(text)))
    if result.seal is not None:
        triples += result.seal.to_triples(ox.NamedNode(f"{ns.CG_ID}report/{sid}-seal"))
    ws.private.load_graph(graph, triples, Provenance(kind="quarantine", source=doc.name, content_hash=content_hash(data)))
    result.status = "quarantined"
