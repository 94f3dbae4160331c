"""One issuing run: a specification and a learners file -> sealed (or upload-form) credentials in a folder, recorded in the store.

Order, so that bad input issues nothing and stores nothing:

1. the learners file's problems (by row and column) stop the run, unless
   ``skip_invalid`` (then only the good rows are issued);
2. the specification is read from the store; one credential per shape is
   validated (EC ``EDC-generic-no-cv`` + Annex I, :func:`issuing.check_shapes`);
   anything missing stops the run;
3. every credential is built, sealed and written into a staging folder inside
   the output folder (``workers`` processes share the learners);
4. the credentials are recorded through the import pipeline
   (:func:`ingest.ingest_documents`: the seal is verified, the personal data
   goes to the private store, a pseudonymised record to the public one), as if
   they had been imported; if the pipeline refuses any, what it stored is
   deleted again and nothing is issued;
5. only then are the files moved into the output folder, with ``issued.csv``
   (row, learner id, credential id, file).
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from credgraph import child_processes
from credgraph.graph.sources import document_reading
from credgraph.graph.sources import document_steps
from credgraph.graph.sources import ingest
from credgraph.graph.issuing import credential as issuing
from credgraph.graph.issuing.credential import IssueError, Specification
from credgraph.graph.issuing.learners_csv import Learner, LearnersFile
from credgraph.graph.issuing.sealing import Sealer, sealed_bytes
from credgraph.graph.workspace import Workspace

MANIFEST = "issued.csv"


class IssueProblems(IssueError):
    """Nothing issued; ``problems`` holds every reason (row and column for learner problems)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] + (f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""))
        self.problems = problems


@dataclass
class IssueOptions:
    """How to issue. ``legal_id``: (NAL country, notation) of the issuer when the seal certificate does not carry one."""

    skip_invalid: bool = False
    reissue: bool = False
    record: bool = True
    workers: int = 1
    check_only: bool = False  # stop after the checks: nothing built, sealed, written or stored
    legal_id: tuple[str, str] | None = None


@dataclass(frozen=True)
class IssuedCredential:
    """One credential written out."""

    row: int
    learner_id: str
    credential_id: str
    file: str
    size: int


@dataclass
class IssueResult:
    """What one run issued, and the figures of its stages."""

    spec: str
    form: str  # "sealed RS256" | "sealed PS256" | "sealed ES256" | "unsealed (EDC upload form)"
    out_dir: str
    credentials: list[IssuedCredential] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # problems of the rows not issued (--skip-invalid)
    shapes: issuing.ShapeCheck | None = None
    recorded: ingest.IngestSummary | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0


def issue_credentials(ws: Workspace, spec_ref: str, learners: LearnersFile, out_dir: str | Path,
                      sealer: Sealer | None, options: IssueOptions | None = None) -> IssueResult:
    """Issue one credential per good learner row of ``learners`` for the specification ``spec_ref``."""
    options = options or IssueOptions()
    began = time.perf_counter()
    row_problems = [e for e in learners.errors if " row " in e]
    file_problems = [e for e in learners.errors if " row " not in e]
    if file_problems or (row_problems and not options.skip_invalid):
        raise IssueProblems(file_problems + row_problems)
    if not learners.learners:
        raise IssueProblems([f"{learners.name}: no valid learner rows; nothing issued"])
    spec = issuing.load_specification(ws.store, issuing.resolve_spec_iri(spec_ref))
    legal_id = (sealer.key.legal_identifier() if sealer else None) or options.legal_id
    if legal_id is None:
        raise IssueError(f"{spec.iri}: the EC profile requires an eIDAS legal identifier of the issuer; seal with a certificate "
                         "carrying organizationIdentifier, or give --legal-id COUNTRY:NUMBER")
    spec = issuing.with_legal_identifier(spec, *legal_id)
    key = ws.pseudonym_key()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    stages: dict[str, float] = {}
    started = time.perf_counter()
    shapes = issuing.check_shapes(spec, learners.learners, key, now)
    stages["validate"] = time.perf_counter() - started
    problems = shapes.problems(spec.iri)
    if problems:
        raise IssueProblems(problems)
    if options.check_only:
        return IssueResult(spec.iri, "checked only", str(out_dir), skipped=row_problems, shapes=shapes, stage_seconds=stages,
                           elapsed=time.perf_counter() - began)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".issuing-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    result = IssueResult(spec.iri, f"sealed {sealer.key.algorithm}" if sealer else "unsealed (EDC upload form)", str(out),
                         skipped=row_problems, shapes=shapes, stage_seconds=stages)
    try:
        written, work_stages = _write_all(spec, learners.learners, staging, sealer, key, now, options)
        for stage, seconds in work_stages.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
        if options.record:
            started = time.perf_counter()
            result.recorded = _record(ws, staging, written)
            stages["record"] = time.perf_counter() - started
        started = time.perf_counter()
        for item in written:
            os.replace(staging / item.file, out / item.file)
        _write_manifest(out / MANIFEST, written)
        stages["move"] = time.perf_counter() - started
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.credentials = written
    result.elapsed = time.perf_counter() - began
    return result


# -- building, sealing and writing, in one or several processes ---------------------------------

@dataclass(frozen=True)
class _Job:
    """What building, sealing and writing need; shared with forked workers, never pickled (the private key stays in memory)."""

    spec: Specification
    staging: Path
    sealer: Sealer | None
    key: bytes
    now: datetime
    reissue: bool


_FORKED: dict[str, _Job] = {}  # the job the worker processes inherit when forked
_FORK_LOCK = threading.Lock()  # one multi-process run at a time sets it (API requests run in threads)


def _write_all(spec: Specification, learners: list[Learner], staging: Path, sealer: Sealer | None, key: bytes,
               now: datetime, options: IssueOptions) -> tuple[list[IssuedCredential], dict[str, float]]:
    job = _Job(spec, staging, sealer, key, now, options.reissue)
    workers = max(1, min(options.workers, len(learners) // 50 or 1))
    if workers == 1:
        return _work_on(job, learners)
    chunks = [learners[i::workers] for i in range(workers)]
    with _FORK_LOCK:
        _FORKED["job"] = job
        try:
            with child_processes.TURN:  # the workers are forked here (in the API server: beside other threads)
                pool = multiprocessing.get_context("fork").Pool(workers)
            with pool:
                parts = pool.map(_work, chunks)
        finally:
            _FORKED.clear()
    written = sorted((c for part, _ in parts for c in part), key=lambda c: c.row)
    stages: dict[str, float] = {}
    for _, part_stages in parts:
        for stage, seconds in part_stages.items():
            stages[stage] = stages.get(stage, 0.0) + seconds / workers  # wall-clock share: the workers run side by side
    return written, stages


def _work(learners: list[Learner]) -> tuple[list[IssuedCredential], dict[str, float]]:
    """In a forked worker: the inherited job for ``learners``."""
    return _work_on(_FORKED["job"], learners)


def _work_on(job: _Job, learners: list[Learner]) -> tuple[list[IssuedCredential], dict[str, float]]:
    spec, staging, sealer, key, now, reissue = job.spec, job.staging, job.sealer, job.key, job.now, job.reissue
    stages = {"build": 0.0, "seal": 0.0, "write": 0.0}
    writer = issuing.CredentialWriter(spec)
    written = []
    for learner in learners:
        t0 = time.perf_counter()
        cred_id = issuing.credential_id(key, spec.iri, learner.learner_id, reissue)
        payload = writer.render(learner, cred_id, now)
        t1 = time.perf_counter()
        if sealer is not None:
            data = sealed_bytes(sealer.seal(payload, now))
        else:
            data = b'{"credential":' + payload + b"}"  # the EDC issuer's upload form
        t2 = time.perf_counter()
        name = cred_id.rsplit(":", 1)[-1] + ".jsonld"  # never the learner's name: file names travel
        (staging / name).write_bytes(data)
        t3 = time.perf_counter()
        stages["build"] += t1 - t0
        stages["seal"] += t2 - t1
        stages["write"] += t3 - t2
        written.append(IssuedCredential(learner.row, learner.learner_id, cred_id, name, len(data)))
    return written, stages


# -- recording through the import pipeline ------------------------------------------------------


def _documents(staging: Path, written: list[IssuedCredential]) -> Iterator[document_reading.SourceDocument]:
    """The files as written: sealed documents, or upload forms (the import pipeline reads both)."""
    for item in written:
        yield document_reading.SourceDocument(item.file, (staging / item.file).read_bytes())


def _record(ws: Workspace, staging: Path, written: list[IssuedCredential]) -> ingest.IngestSummary:
    """Import the issued credentials; all or nothing (what was stored is deleted again if any is refused)."""
    options = document_steps.IngestOptions(require=frozenset({"annex-i"}), max_document_bytes=ws.settings.max_document_bytes)
    summary = ingest.ingest_documents(ws, _documents(staging, written), options)
    if summary.rejected:
        for doc in summary.documents:
            if doc.status in ("imported",) and doc.source_id:
                ingest.delete_source(ws, doc.source_id)
        first = summary.rejected[0]
        raise IssueProblems([f"the import pipeline refused issued credential(s): {p}" for p in first.problems[:1]]
                            + [f"{len(summary.rejected)} credential(s) refused in all; nothing issued"])
    return summary


def _write_manifest(path: Path, written: list[IssuedCredential]) -> None:
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(["row", "learner_id", "credential_id", "file"])
    for item in written:
        out.writerow([item.row, item.learner_id, item.credential_id, item.file])
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
