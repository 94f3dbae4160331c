"""End-to-end ingest of EDC credentials: parse, split, validate, store; single process.

Generates N variants of the EC Certificate of Participation sample (other
credential ids, other learners), imports them through the real pipeline
(``credgraph.graph.sources.ingest``: JSON-LD with bundled contexts, literal and concept
checks, storable + Annex I SHACL profiles in batches, private and public
writes), and prints credentials/s, the time per stage, and, for comparison,
the raw Oxigraph load rate of exactly the quads the import wrote.

    python benchmarks/ingest.py [--n 2000] [--chunk 500] [--write-chunk 50] [--disk] [--mixed N]

A sealed credential cannot be varied without its private key, so seal
verification is timed on its own (the EC signed sample, repeatedly).

Documents of one template are read from a parsed template and validated
from memory (docs/ingest.md); variants of one sample are the best case.
``--mixed N`` also imports N demo-data credentials (150 courses, their
outcomes, languages and learners all varying): the figure when templates
vary.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pyoxigraph as ox

from credgraph.graph.sources import chunk_writing
from credgraph.graph.sources import ingest
from credgraph.graph.sources import seal
from credgraph.graph.sources import vocab
from credgraph.graph.sources.document_steps import IngestOptions
from credgraph.graph.sources.document_reading import SourceDocument
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

SHARED = Path(__file__).resolve().parents[1] / "tests" / "data" / "samples"


def variants(n: int) -> list[SourceDocument]:
    """``n`` distinct credentials like the EC sample: other credential ids, other learners."""
    base = json.loads((SHARED / "Sample-CertOfPart-unsigned.jsonld").read_bytes())
    docs = []
    for i in range(n):
        d = copy.deepcopy(base)
        d["id"] = f"urn:credential:{uuid.UUID(int=i + 1)}"
        s = d["credentialSubject"]
        s["givenName"] = {"en": f"Learner{i}"}
        s["familyName"] = {"en": f"Family{i}"}
        s["fullName"] = {"en": f"Learner{i} Family{i}"}
        s["nationalID"]["notation"] = f"NID-{i:07d}"
        s["dateOfBirth"] = f"{1970 + i % 40}-0{1 + i % 9}-1{i % 10}T00:00:00Z"
        docs.append(SourceDocument(f"variant-{i}.jsonld", json.dumps(d).encode()))
    return docs


def written_quads(ws: Workspace) -> list[ox.Quad]:
    """The quads of the source and private graphs (what the import wrote, without vocabularies)."""
    quads = [q for q in ws.store.quads() if q.graph_name.value.startswith("urn:credgraph:source:")]
    quads += [q for q in ws.private.quads() if q.graph_name.value.startswith("urn:credgraph:private:")]
    return quads


def forget_templates() -> None:
    """Empty the JSON-LD template, validation skeleton and description memories."""
    from credgraph.graph.sources import jsonld_templates
    from credgraph.graph.sources.validation_profiles import PROFILES, shapes_for

    jsonld_templates.TEMPLATES.clear()
    for profile in PROFILES:
        shapes_for(profile).memo.clear()
    chunk_writing._DESCRIPTIONS.clear()


def mixed_run(tmp: Path, count: int, args) -> tuple[int, float, float, int]:
    """Import ``count`` demo-data credentials into fresh stores: (count, seconds, CPU seconds, templates met)."""
    from credgraph.demo import generator as demo_data
    from credgraph.graph.sources import jsonld_templates

    out = tmp / "demo"
    demo_data.generate(out, scale=count / 5000, seed=11)
    docs = [SourceDocument(p.name, p.read_bytes()) for p in sorted((out / "credentials").rglob("*.jsonld"))][:count]
    settings = Settings(store=None if args.disk else "memory:", data_dir=tmp / "mixed")
    with Workspace(settings) as ws:
        vocab.load_shipped(ws.store)
        forget_templates()
        before = len(jsonld_templates.TEMPLATES)
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = ingest.ingest_documents(ws, docs, IngestOptions(chunk_size=args.chunk, write_chunk=args.write_chunk))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if summary.rejected:
        print(f"mixed: {len(summary.rejected)} rejected, e.g. {summary.rejected[0].problems[:2]}", file=sys.stderr)
    return len(docs), seconds, cpu, len(jsonld_templates.TEMPLATES) - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="number of credentials (default 2000)")
    parser.add_argument("--chunk", type=int, default=500, help="documents per batch (validation call and store write)")
    parser.add_argument("--write-chunk", type=int, default=50, help="documents per store write")
    parser.add_argument("--disk", action="store_true", help="on-disk Oxigraph stores instead of in-memory")
    parser.add_argument("--mixed", type=int, default=1000, help="demo-data credentials for the mixed figure (0: skip)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="credgraph-bench-"))
    settings = Settings(store=None if args.disk else "memory:", data_dir=tmp)
    docs = variants(args.n)
    size = sum(len(d.data or b"") for d in docs)
    with Workspace(settings) as ws:
        vocab.load_shipped(ws.store)
        # Warm-up outside the timing: context parsing and SHACL shapes are loaded once per process.
        warm = variants(1)[0]
        ingest.ingest_documents(ws, [SourceDocument("warm-up", warm.data.replace(b"urn:credential:", b"urn:credential:warm-"))],
                                IngestOptions(chunk_size=1))
        ingest.delete_source(ws, next(g.name for g in ws.store.graphs() if g.kind == "source").rsplit(":", 1)[1])
        # The timed run starts with nothing remembered: its first document
        # pays for parsing the template and validating the skeleton.
        forget_templates()

        started, cpu_started = time.perf_counter(), time.process_time()
        summary = ingest.ingest_documents(ws, docs, IngestOptions(chunk_size=args.chunk, write_chunk=args.write_chunk, max_document_bytes=10**7))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        rejected = summary.rejected
        if rejected:
            print(f"{len(rejected)} rejected, e.g. {rejected[0].problems[:2]}", file=sys.stderr)
        quads = written_quads(ws)

    sealed = json.loads((SHARED / "Sample-CertOfPart-signed.jsonld").read_bytes())
    t0 = time.perf_counter()
    for _ in range(200):
        assert seal.open_seal(sealed, "signed").verification.status == "valid"
    seal_ms = (time.perf_counter() - t0) / 200 * 1000

    # The raw load goes into the same kind of store the import used.
    raw = ox.Store(str(tmp / "raw-extend")) if args.disk else ox.Store()
    t0, c0 = time.perf_counter(), time.process_time()
    raw.extend(quads)
    raw_seconds, raw_cpu = time.perf_counter() - t0, time.process_time() - c0
    raw_bulk = ox.Store(str(tmp / "raw-bulk")) if args.disk else ox.Store()
    t0 = time.perf_counter()
    raw_bulk.bulk_extend(quads)
    bulk_seconds = time.perf_counter() - t0

    mixed = mixed_run(tmp, args.mixed, args) if args.mixed else None

    n = len(docs)
    print(f"credgraph ingest benchmark: {n:,} EDC credentials (variants of the EC unsigned sample), "
          f"{size / n / 1024:.0f} KiB each, {'on-disk' if args.disk else 'in-memory'} stores, "
          f"chunk {args.chunk}, write slice {args.write_chunk}")
    print(f"  outcome: {summary.count('imported')} imported, {summary.count('replaced')} replaced, {summary.count('unchanged')} unchanged, "
          f"{summary.count('rejected')} rejected")
    print(f"  end-to-end            {elapsed:8.2f} s   {n / elapsed:8,.0f} credentials/s   {elapsed / n * 1000:6.2f} ms/credential")
    print(f"  end-to-end, CPU time  {cpu:8.2f} s   {n / cpu:8,.0f} credentials/s   (this process's CPU: the figure on a busy machine)")
    print(f"  quads written         {len(quads):8,}     ({len(quads) / n:.0f} per credential, public + private)")
    print(f"  raw Oxigraph extend   {raw_seconds:8.3f} s   {len(quads) / raw_seconds:8,.0f} quads/s   = {n / raw_seconds:8,.0f} credentials/s")
    print(f"  raw extend, CPU time  {raw_cpu:8.3f} s   {len(quads) / raw_cpu:8,.0f} quads/s   = {n / raw_cpu:8,.0f} credentials/s")
    print(f"  raw Oxigraph bulk     {bulk_seconds:8.3f} s   {len(quads) / bulk_seconds:8,.0f} quads/s   = {n / bulk_seconds:8,.0f} credentials/s")
    if mixed:
        count, seconds, cpu_seconds, templates = mixed
        print(f"  mixed (demo data)     {seconds:8.2f} s   {count / seconds:8,.0f} credentials/s   "
              f"(CPU {count / cpu_seconds:,.0f}/s; {count:,} credentials of {templates:,} JSON-LD templates)")
    print(f"  seal verification     {seal_ms:8.2f} ms per sealed credential (RS256, x5c; not in the figures above)")
    print("  where the time goes (per stage, ms per credential, share of end-to-end):")
    accounted = 0.0
    for stage, seconds in sorted(summary.stage_seconds.items(), key=lambda kv: -kv[1]):
        accounted += seconds
        print(f"    {stage:<20} {seconds / n * 1000:7.3f} ms  {seconds / elapsed:6.1%}")
    print(f"    {'(other)':<20} {(elapsed - accounted) / n * 1000:7.3f} ms  {(elapsed - accounted) / elapsed:6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
