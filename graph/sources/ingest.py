"""The ingest pipeline: issued credentials (EDC JSON-LD, sealed EDC, Open Badges 3.0) into the stores.

Documents are read (:mod:`~credgraph.graph.sources.document_reading`: files,
directories, zip archives), each prepared on its own
(:mod:`~credgraph.graph.sources.document_steps`: size limit, UTF-8, JSON,
nesting -> open the seal if sealed (verify it) -> JSON-LD to RDF with bundled
contexts -> normalise (ELM 3.3, ``nationalID``) -> split into the private graph
and the public description -> screening), then checked and written a chunk at
a time (:mod:`~credgraph.graph.sources.chunk_checks`,
:mod:`~credgraph.graph.sources.chunk_writing`). Two questions are kept apart:

- *storable?* literals well-typed, known concepts of loaded controlled
  vocabularies, the ``storable-credential`` SHACL profile, a seal that is not
  invalid, no personal value of the learner in any public text (screening,
  docs/privacy.md). No: the document is rejected (or, with ``quarantine``,
  kept whole with its report in ``urn:credgraph:quarantine:<id>`` in the
  private store).
- *Annex I compliant?* recorded as a ``cg:ComplianceResult`` (present and
  missing elements); a reason to reject only with ``require={"annex-i"}``.

Each document is all or nothing across the stores (see
:mod:`~credgraph.graph.sources.chunk_writing` for the order of the writes and
what a failure or ``kill -9`` leaves). Names are keyed with the instance
secret (docs/privacy.md). Catalogue files have their own import
(:mod:`~credgraph.graph.sources.catalogue_import`).
"""

from __future__ import annotations

import gc
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.sources import annex_i, chunk_writing, privacy, seal
from credgraph.graph.sources.chunk_checks import ANNEX_I_PROFILE, check_chunk, validate_many
from credgraph.graph.sources.chunk_writing import drop_unused_descriptions, quarantine, write_chunk
from credgraph.graph.sources.document_reading import SourceDocument, iter_documents
from credgraph.graph.sources.document_steps import DocumentResult, IngestOptions, PreparedDocument, StageTimer, prepare_document
from credgraph.graph.store import consistency
from credgraph.graph.workspace import Workspace


@dataclass
class IngestSummary:
    """The outcome of one import run."""

    documents: list[DocumentResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why) of files left out of a directory or archive
    elapsed: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def count(self, *statuses: str) -> int:
        """How many documents ended with one of ``statuses``."""
        return sum(1 for d in self.documents if d.status in statuses)

    @property
    def rejected(self) -> list[DocumentResult]:
        """Documents not stored (rejected or quarantined)."""
        return [d for d in self.documents if d.status in ("rejected", "quarantined")]

    @property
    def ok(self) -> bool:
        """True when no document was rejected or quarantined."""
        return not self.rejected


def ingest_documents(
    ws: Workspace,
    documents: Iterable[SourceDocument],
    options: IngestOptions | None = None,
    on_document: Callable[[DocumentResult], None] | None = None,
) -> IngestSummary:
    """Import issued credentials; see the module docstring for what happens to each."""
    with _fewer_full_collections():
        return _ingest(ws, documents, options or IngestOptions(max_document_bytes=ws.settings.max_document_bytes), on_document)


def ingest_paths(ws: Workspace, paths: Sequence[str | Path], options: IngestOptions | None = None,
                 on_document: Callable[[DocumentResult], None] | None = None) -> IngestSummary:
    """Import the files, directories and zip archives named by ``paths``."""
    options = options or IngestOptions(max_document_bytes=ws.settings.max_document_bytes)
    return ingest_documents(ws, iter_documents(paths, options.max_document_bytes), options, on_document)


_GC_LOCK = threading.Lock()
_GC_USERS = [0, (700, 10, 10)]  # imports running, thresholds before the first


@contextmanager
def _fewer_full_collections() -> Iterator[None]:
    """Python's full garbage collections are rare while documents are imported.

    An import allocates many containers that live until their chunk is
    written; each full collection then walks all of them, and measured on the
    ingest benchmark full collections were 12% of the time. Cycles among new
    objects are still collected (generations 0 and 1 keep their thresholds).
    """
    with _GC_LOCK:
        if _GC_USERS[0] == 0:
            _GC_USERS[1] = gc.get_threshold()
            young, middle, old = _GC_USERS[1]
            gc.set_threshold(young, middle, max(old, 1000))
        _GC_USERS[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_USERS[0] -= 1
            if _GC_USERS[0] == 0:
                gc.set_threshold(*_GC_USERS[1])


def _ingest(ws: Workspace, documents: Iterable[SourceDocument], options: IngestOptions,
            on_document: Callable[[DocumentResult], None] | None) -> IngestSummary:
    summary = IngestSummary()
    timer = StageTimer()
    began = time.perf_counter()
    consistency.ensure(ws)  # half-written documents of a killed import are dropped before anything else
    key = ws.pseudonym_key()
    anchor_path = seal.trust_anchor_path(options.trust_anchors or ws.settings.trust_anchors)
    anchors = seal.load_trust_anchors(anchor_path) if anchor_path else None
    batch: list[tuple[SourceDocument, PreparedDocument | DocumentResult]] = []
    # Write-behind: a chunk is written on one writer thread while the next is
    # read and checked here. The stores do their work without Python's lock,
    # so on a second core the writes cost the import next to nothing in time;
    # the order of writes is the order of chunks (one thread), and a failed
    # write is raised before the next chunk is handed over (nothing after it
    # is written). At most two chunks are held: the one written, the one read.
    # On one core each chunk is written at once, here (see chunk_writing.spare_core).
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="credgraph-ingest-write") \
        if chunk_writing.spare_core() else _WriteHere()
    writing: list[tuple[Future, list]] = []  # the chunk on the writer thread, if any

    def settle() -> None:
        """Wait for the chunk being written; then report its documents (here, on the caller's thread)."""
        if not writing:
            return
        future, written = writing.pop()
        future.result()
        for _, item in written:
            result = item.result if isinstance(item, PreparedDocument) else item
            summary.documents.append(result)
            if on_document:
                on_document(result)

    def flush() -> None:
        if not batch:
            return
        prepared = [p for _, p in batch if isinstance(p, PreparedDocument)]
        check_chunk(ws.store, prepared, options, timer)  # while the chunk before is still being written
        settle()
        writing.append((writer.submit(_write, ws, list(batch), prepared, options, timer), list(batch)))
        batch.clear()

    pending_ids: set[str] = set()
    held = 0  # document bytes the chunk holds: 250 entries of 5 MB must not all be in memory at once
    try:
        for doc in documents:
            if doc.skipped:
                summary.skipped.append((doc.name, doc.skipped))
                continue
            item = prepare_document(doc, options, key, anchors, timer)
            sid = item.result.source_id if isinstance(item, PreparedDocument) else None
            if sid in pending_ids:
                # The same credential twice in one chunk: write the first before the second replaces it.
                flush()
                pending_ids.clear()
                held = 0
            if sid:
                pending_ids.add(sid)
            batch.append((doc, item))
            held += len(doc.data or b"")
            if len(batch) >= options.chunk_size or held >= options.chunk_bytes:
                flush()
                pending_ids.clear()
                held = 0
        flush()
        settle()
    finally:
        # Whatever stopped the import, no write goes on after it returns.
        writer.shutdown(wait=True)
    summary.elapsed = time.perf_counter() - began
    summary.stage_seconds = timer.seconds
    return summary


class _WriteHere:
    """The writer on one core: each chunk written at once, on the caller's thread, its outcome kept as a thread's would be."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - raised by settle(), as the writer thread's would be
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True) -> None:
        pass


def _write(ws: Workspace, batch: list, prepared: list[PreparedDocument], options: IngestOptions, timer: StageTimer) -> None:
    """One chunk into the stores (on the writer thread): its storable documents, then its rejected ones into quarantine."""
    write_chunk(ws, prepared, timer, options.write_chunk)
    for doc, item in batch:
        result = item.result if isinstance(item, PreparedDocument) else item
        if result.status == "rejected" and options.quarantine and not result.forbidden:
            quarantine(ws, doc, result, item.split.private if isinstance(item, PreparedDocument) else None)


def delete_source(ws: Workspace, source_id: str) -> list[str]:
    """Remove one imported document: its public graph, then its private and quarantine graphs.

    Public first: if the private drop then fails, no public trace is left of a
    credential whose personal data is still held (the safe order). Returns the
    graphs removed; empty if nothing had that id.
    """
    if not re.fullmatch(r"[a-z]+-[0-9a-f]{16}", source_id):
        raise ValueError(f"{source_id!r} is not a source id (expected e.g. cred-0123456789abcdef; see `credgraph graphs`)")
    removed = []
    public = ns.source_graph(source_id)
    if ws.store.graph_hash(public) is not None:
        ws.store.drop_graphs([public])
        removed.append(public)
        removed += drop_unused_descriptions(ws.store)
    if ws.research.graph_hash(public) is not None:
        ws.research.drop_graphs([public])
        removed.append(f"research {public}")
    private = [g for g in (ns.private_graph(source_id), ns.quarantine_graph(source_id)) if ws.private.graph_hash(g) is not None]
    if private:
        ws.private.drop_graphs(private)
        removed += private
    return removed


@dataclass
class ValidationOutcome:
    """``credgraph validate`` for one document: readable? storable? Annex I?"""

    name: str
    problems: list[str]
    reports: dict[str, object]
    forbidden: set = field(default_factory=set)  # personal terms to scrub from anything printed
    seal: seal.SealVerification | None = None
    annex_i: annex_i.AnnexIVerdict | None = None  # per claim, when the annex-i-credential profile was run

    def scrub(self, text: str) -> str:
        """``text`` with this document's personal values withheld."""
        return privacy.scrub(text, self.forbidden)


def validate_documents(ws: Workspace, documents: Iterable[SourceDocument], profiles: Sequence[str]) -> list[ValidationOutcome]:
    """Read and check documents without storing anything; returns one outcome per document."""
    options = IngestOptions(max_document_bytes=ws.settings.max_document_bytes)
    key = os.urandom(32)  # pseudonyms are not shown; no key file needs to exist for validation
    timer = StageTimer()
    outcomes = []
    for doc in documents:
        if doc.skipped:
            outcomes.append(ValidationOutcome(doc.name, [f"{doc.name}: skipped: {doc.skipped}"], {}))
            continue
        item = prepare_document(doc, options, key, None, timer)
        if not isinstance(item, PreparedDocument):
            outcomes.append(ValidationOutcome(doc.name, item.problems, {}, seal=item.seal))
            continue
        if item.concepts:
            rows = [{"concept": c, "scheme": sc} for c, sc in item.concepts]
            for row in ws.store.select(queries.load("ingest-unknown-concepts"), values=rows):
                item.result.problems.append(
                    f"{doc.name}: unknown concept {row['concept'].value} (not in the loaded vocabulary {row['scheme'].value})")
        reports = {profile: validate_many([item.check_triples], profile)[0] for profile in profiles}
        problems = [privacy.scrub(m, item.forbidden) for m in item.result.problems]
        verdict = None
        if ANNEX_I_PROFILE in reports:
            from credgraph.graph.sources.validation_profiles import ANNEX_I_ELEMENTS

            verdict = annex_i.judge(reports[ANNEX_I_PROFILE], item.check_triples, ANNEX_I_ELEMENTS)
        outcomes.append(ValidationOutcome(doc.name, problems, reports, item.forbidden, item.result.seal, verdict))
    return outcomes
