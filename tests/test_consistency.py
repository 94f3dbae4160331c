"""Crash consistency and rekeying (issue #13, items 2 and 5): half-written documents found and dropped; old names migrated."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import uuid

import pyoxigraph as ox
import pytest

from credgraph.cli import main
from credgraph.graph.store import consistency
from credgraph.graph.sources import chunk_writing
from credgraph.graph.sources import ingest
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.document_steps import IngestOptions
from credgraph.graph.sources.document_reading import SourceDocument
from credgraph.graph.sources.rekey import rekey
from credgraph.graph.store.interface import Provenance
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

VOCABS = ["learning-assessment", "credential", "education-credit", "eqf", "assessment", "learning-setting"]
CG = ns.CG


@pytest.fixture
def ws(tmp_path):
    w = Workspace(Settings(data_dir=tmp_path))  # on disk, as the CLI opens it
    vocab.load_shipped(w.store, VOCABS)
    yield w
    w.close()


def variants(shared_data, n: int) -> list[SourceDocument]:
    doc = json.loads((shared_data / "samples" / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    out = []
    for i in range(n):
        d = copy.deepcopy(doc)
        d["id"] = f"urn:credential:{uuid.UUID(int=i + 1)}"
        d["credentialSubject"]["nationalID"]["notation"] = f"NID-{i % 3:06d}"  # three learners
        out.append(SourceDocument(f"v{i}.jsonld", json.dumps(d).encode()))
    return out


def sids(store, prefix: str) -> set[str]:
    """Source ids of the graphs with ``prefix``, read straight from the store (not through graph.consistency)."""
    return {g.name[len(prefix):] for g in store.graphs() if g.name.startswith(prefix) and g.name[len(prefix):].startswith("cred-")}


def whole(ws) -> bool:
    return sids(ws.private, ns.PRIVATE_GRAPH) == sids(ws.store, ns.SOURCE_GRAPH) == sids(ws.research, ns.SOURCE_GRAPH)


def test_each_kind_of_half_written_document_is_found_and_dropped(ws, shared_data, capsys):
    summary = ingest.ingest_documents(ws, variants(shared_data, 6), IngestOptions())
    assert summary.count("imported") == 6
    a, b, c, d, e, _ = [r.source_id for r in summary.documents]
    # a: killed after the private write (private part, no research, no public record)
    ws.research.drop_graphs([ns.source_graph(a)])
    ws.store.drop_graphs([ns.source_graph(a)])
    # b: killed after the research write
    ws.store.drop_graphs([ns.source_graph(b)])
    # c: the reverse, a public record whose private part is gone
    ws.private.drop_graphs([ns.private_graph(c)])
    # d: a replacement killed half-way: the new private part beside the old public record
    ws.private.replace_graphs({ns.private_graph(d): [ox.Triple(ox.NamedNode("urn:x"), ox.NamedNode("urn:y"), ox.Literal("new"))]},
                              {ns.private_graph(d): Provenance("private", "v3.jsonld", "sha256:" + "0" * 64)})
    # e: only its research record left
    ws.store.drop_graphs([ns.source_graph(e)])
    ws.private.drop_graphs([ns.private_graph(e)])
    assert not whole(ws)
    report = consistency.check(ws)
    assert sorted(report.problems) == sorted([
        (a, "private part or research record without its public record"),
        (b, "private part or research record without its public record"),
        (c, "public record without its private part"),
        (d, "parts from different imports (a replacement was interrupted)"),
        (e, "private part or research record without its public record"),
    ])
    assert report.complete == 1
    # `credgraph check` reports the same and exits 1; --repair drops them; then 0.
    data = ["--data", str(ws.settings.data_dir)]
    ws.close()
    assert main([*data, "check", "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert len(found["problems"]) == 5 and found["complete"] == 1 and not found["repaired"]
    assert main([*data, "check", "--repair"]) == 0
    assert "dropped: " in capsys.readouterr().out
    assert main([*data, "check"]) == 0
    assert capsys.readouterr().out.strip().endswith("consistent")
    again = Workspace(Settings(data_dir=ws.settings.data_dir))
    try:
        assert whole(again) and len(sids(again.store, ns.SOURCE_GRAPH)) == 1
        # Importing again writes the dropped documents whole.
        summary = ingest.ingest_documents(again, variants(shared_data, 6), IngestOptions())
        assert summary.count("imported") == 5 and summary.count("unchanged") == 1
        assert whole(again) and consistency.check(again).consistent
    finally:
        again.close()


def test_an_import_repairs_before_it_writes(ws, shared_data):
    summary = ingest.ingest_documents(ws, variants(shared_data, 2), IngestOptions())
    a = summary.documents[0].source_id
    ws.store.drop_graphs([ns.source_graph(a)])  # as a kill after the private write leaves it
    fresh = Workspace(Settings(data_dir=ws.settings.data_dir))
    ws.close()
    try:
        ingest.ingest_documents(fresh, [], IngestOptions())
        assert whole(fresh) and ns.private_graph(a) not in {g.name for g in fresh.private.graphs()}
    finally:
        fresh.close()


def legacy(ws) -> dict[str, str]:
    """Turn the imported documents into the layout written before keyed names (the migration's input).

    Names ``cred-<sha256(credential id)>``, SHA-256 content hashes in public provenance, the learner's
    pseudonym in the public record, no research store. Returns new name -> old name.
    """
    renamed = {}
    for g in ws.private.graphs():
        if not g.name.startswith(ns.PRIVATE_GRAPH):
            continue
        sid = g.name[len(ns.PRIVATE_GRAPH):]
        private = chunk_writing.graph_triples(ws.private, g.name)
        cred = next(t.subject.value for t in private if t.object == ox.NamedNode(ns.ELM + "EuropeanDigitalCredential"))
        old = "cred-" + hashlib.sha256(cred.encode()).hexdigest()[:16]
        public = chunk_writing.graph_triples(ws.store, ns.source_graph(sid))
        learner = [t for t in chunk_writing.graph_triples(ws.research, ns.source_graph(sid)) if t.predicate.value == CG + "learner"]

        def term(t):
            if isinstance(t, ox.NamedNode) and sid in t.value and t.value.startswith(ns.CG_ID):
                return ox.NamedNode(t.value.replace(sid, old))
            return t

        public = [ox.Triple(term(t.subject), t.predicate, term(t.object)) for t in public + learner]
        ws.store.drop_graphs([ns.source_graph(sid)])
        ws.research.drop_graphs([ns.source_graph(sid)])
        ws.private.drop_graphs([g.name])
        ws.private.load_graph(ns.private_graph(old), private, Provenance("private", g.source, g.content_hash))
        ws.store.load_graph(ns.source_graph(old), public, Provenance("source", f"credgraph:{old}", g.content_hash))
        renamed[sid] = old
    return renamed


def test_rekey_migrates_a_store_with_computable_names(ws, shared_data, capsys):
    summary = ingest.ingest_documents(ws, variants(shared_data, 6), IngestOptions())
    keyed = {r.source_id for r in summary.documents}
    names = legacy(ws)
    learner_rows = f"SELECT ?l (COUNT(?r) AS ?n) WHERE {{ ?r <{CG}learner> ?l }} GROUP BY ?l ORDER BY ?n"
    before = [int(r["n"].value) for r in ws.store.select(learner_rows)]
    assert before == [2, 2, 2]  # the finding: the public store links each learner's records
    report = consistency.check(ws)
    assert report.legacy_names == 6 and report.legacy_records == 6 and not report.problems
    data = ws.settings.data_dir
    ws.close()
    assert main(["--data", str(data), "check"]) == 1
    assert "run `credgraph rekey`" in capsys.readouterr().out
    assert main(["--data", str(data), "rekey"]) == 0
    assert "6 documents renamed" in capsys.readouterr().out
    after = Workspace(Settings(data_dir=data))
    try:
        assert sids(after.store, ns.SOURCE_GRAPH) == keyed == sids(after.private, ns.PRIVATE_GRAPH)
        assert after.store.select(learner_rows).rows == []
        assert [int(r["n"].value) for r in after.research.select(learner_rows)] == before
        out = io.BytesIO()
        after.store.dump(out)
        text = out.getvalue().decode()
        assert not any(old in text for old in names.values())
        assert all(f"{ns.CG_ID}issuance/{sid}" in text for sid in keyed)
        assert consistency.check(after).consistent and not consistency.check(after).legacy_names
        assert rekey(after).renamed == []  # again: nothing to do
        # Re-importing the same documents finds them unchanged under their keyed names.
        assert ingest.ingest_documents(after, variants(shared_data, 6), IngestOptions()).count("unchanged") == 6
    finally:
        after.close()
