"""Write-behind in the ingest pipeline: a chunk is written while the next one is read and checked.

What must hold besides the speed (benchmarks/merged_graph_ingest.py measures that):
the next chunk really is read during the write; documents are reported in
order, on the caller's thread, after their chunk is written; a failure on
either side stops the import with no write going on after it returns.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid

import pytest

from credgraph.graph.sources import chunk_writing, document_steps, ingest
from credgraph.graph.sources.document_reading import SourceDocument
from credgraph.graph.sources.document_steps import IngestOptions
from credgraph.graph.store.interface import StoreError

from conftest import dump_lines

@pytest.fixture
def ws(memory_ws):
    return memory_ws


@pytest.fixture
def docs(shared_data) -> list[SourceDocument]:
    sample = json.loads((shared_data / "samples" / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    out = []
    for i in range(6):
        d = copy.deepcopy(sample)
        d["id"] = f"urn:credential:{uuid.UUID(int=i + 1)}"
        d["credentialSubject"]["givenName"] = {"en": f"Learner{i}"}
        out.append(SourceDocument(f"f{i}.jsonld", json.dumps(d).encode()))
    return out


def options(ws, **kw) -> IngestOptions:
    return IngestOptions(max_document_bytes=ws.settings.max_document_bytes, chunk_size=2, **kw)


@pytest.fixture
def two_cores(monkeypatch):
    """As on a machine with a spare core (the threads are used only then), whatever this one has."""
    monkeypatch.setattr(chunk_writing, "spare_core", lambda: True)


def test_the_next_chunk_is_read_while_a_chunk_is_written(ws, docs, monkeypatch, two_cores):
    # The first chunk's write waits until the third document (the next chunk's first) has been
    # read: it can only get there if reading goes on during the write.
    third_read = threading.Event()
    prepare, write = document_steps.prepare_document, chunk_writing._write_slice
    waited: list[bool] = []

    def watched_prepare(doc, *args):
        if doc.name == "f2.jsonld":
            third_read.set()
        return prepare(doc, *args)

    def slow_write(w, batch, timer):
        if not waited:
            waited.append(third_read.wait(timeout=30))
        return write(w, batch, timer)

    monkeypatch.setattr(ingest, "prepare_document", watched_prepare)
    monkeypatch.setattr(chunk_writing, "_write_slice", slow_write)
    summary = ingest.ingest_documents(ws, docs, options(ws))
    assert waited == [True]
    assert [d.status for d in summary.documents] == ["imported"] * 6


@pytest.mark.parametrize("cores", [1, 2])
def test_documents_are_reported_in_order_on_the_callers_thread_after_their_write(ws, docs, monkeypatch, cores):
    monkeypatch.setattr(chunk_writing, "spare_core", lambda: cores > 1)
    caller = threading.get_ident()
    seen: list[tuple[str, bool, int]] = []

    def on_document(result):
        stored = ws.store.graph_hash(f"urn:credgraph:source:{result.source_id}") is not None
        seen.append((result.name, stored, threading.get_ident()))

    ingest.ingest_documents(ws, docs, options(ws), on_document)
    assert [name for name, _, _ in seen] == [d.name for d in docs]
    assert all(stored for _, stored, _ in seen)  # reported only once written
    assert {ident for _, _, ident in seen} == {caller}


def test_a_failure_while_reading_stops_the_import_after_the_write_in_flight(ws, docs, monkeypatch, two_cores):
    prepare = document_steps.prepare_document
    release = threading.Event()
    write = chunk_writing._write_slice
    finished: list[str] = []

    def failing_prepare(doc, *args):
        if doc.name == "f3.jsonld":
            release.set()
            raise RuntimeError("reader failed (simulated)")
        return prepare(doc, *args)

    def held_write(w, batch, timer):
        release.wait(timeout=30)  # still writing when the reader fails
        write(w, batch, timer)
        finished.append(batch[0].result.name)

    monkeypatch.setattr(ingest, "prepare_document", failing_prepare)
    monkeypatch.setattr(chunk_writing, "_write_slice", held_write)
    with pytest.raises(RuntimeError, match="reader failed"):
        ingest.ingest_documents(ws, docs, options(ws))
    # The write in flight ended before the import returned, and none began after it.
    assert finished == ["f0.jsonld"]
    assert not [t for t in threading.enumerate() if t.name.startswith("credgraph-ingest-write")]
    stored = {g.name for g in ws.store.graphs() if ":source:cred-" in g.name}
    assert len(stored) == 2


@pytest.mark.parametrize("cores", [1, 2])
def test_a_failed_write_is_raised_before_the_next_chunk_is_written(ws, docs, monkeypatch, cores):
    monkeypatch.setattr(chunk_writing, "spare_core", lambda: cores > 1)
    before = dump_lines(ws.store), dump_lines(ws.private), dump_lines(ws.research)
    calls: list[int] = []

    def failing(w, batch, timer):
        calls.append(len(batch))
        raise StoreError("disk full (simulated)")

    monkeypatch.setattr(chunk_writing, "_write_slice", failing)
    with pytest.raises(StoreError, match="disk full"):
        ingest.ingest_documents(ws, docs, options(ws))
    assert calls == [2]
    assert (dump_lines(ws.store), dump_lines(ws.private), dump_lines(ws.research)) == before


# -- the three stores written at once ----------------------------------------------------


def merged_lines(store) -> list[str]:
    """The merged public graph (the default graph every query sees), as sorted lines."""
    return sorted(f"{r['s']} {r['p']} {r['o']}" for r in store.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }"))


def state(ws) -> tuple:
    return dump_lines(ws.store), merged_lines(ws.store), dump_lines(ws.private), dump_lines(ws.research)


def test_the_private_store_is_written_beside_the_public_one(ws, docs, monkeypatch, two_cores):
    # The private write waits until the public write has begun: it can only go on if the two run at once.
    public_began = threading.Event()
    waited: list[bool] = []
    private_write, public_write = ws.private.replace_graphs, ws.store.replace_graphs

    def held_private(graphs, prov):
        waited.append(public_began.wait(timeout=30))
        return private_write(graphs, prov)

    def watched_public(graphs, prov):
        public_began.set()
        return public_write(graphs, prov)

    monkeypatch.setattr(ws.private, "replace_graphs", held_private)
    monkeypatch.setattr(ws.store, "replace_graphs", watched_public)
    summary = ingest.ingest_documents(ws, docs[:2], options(ws))
    assert waited == [True]
    assert [d.status for d in summary.documents] == ["imported"] * 2


@pytest.mark.parametrize("cores", [1, 2])
@pytest.mark.parametrize("failing", ["private", "research", "public"])
def test_a_failed_store_write_leaves_every_store_as_it_was(ws, docs, monkeypatch, failing, cores):
    monkeypatch.setattr(chunk_writing, "spare_core", lambda: cores > 1)
    ingest.ingest_documents(ws, docs[:2], options(ws))  # two stored credentials, to be replaced below
    before = state(ws)
    changed = []
    for i, doc in enumerate(docs[:3]):  # two replacements and one new credential
        d = json.loads(doc.data)
        d["credentialSubject"]["givenName"] = {"en": f"Renamed{i}"}
        d["issuanceDate"] = "2024-01-0%dT00:00:00Z" % (i + 1)
        changed.append(SourceDocument(doc.name, json.dumps(d).encode()))
    target = {"private": ws.private, "research": ws.research, "public": ws.store}[failing]

    def broken(graphs, prov):
        raise StoreError(f"disk full (simulated, {failing} store)")

    monkeypatch.setattr(target, "replace_graphs", broken)
    with pytest.raises(StoreError, match="disk full"):
        ingest.ingest_documents(ws, changed, options(ws))
    monkeypatch.undo()
    assert state(ws) == before


def test_on_one_core_every_write_is_made_on_the_callers_thread_in_order(ws, docs, monkeypatch):
    monkeypatch.setattr(chunk_writing, "spare_core", lambda: False)
    caller, writes = threading.get_ident(), []
    for name, store in (("private", ws.private), ("research", ws.research), ("public", ws.store)):
        def recording(graphs, prov, _name=name, _write=store.replace_graphs):
            writes.append((_name, threading.get_ident()))
            return _write(graphs, prov)
        monkeypatch.setattr(store, "replace_graphs", recording)
    summary = ingest.ingest_documents(ws, docs, options(ws))
    assert [d.status for d in summary.documents] == ["imported"] * 6
    assert writes == [(name, caller) for _ in range(3) for name in ("private", "research", "public")]
