"""Issuing sealed credentials: N learners for one specification, RS256 (2048) and ES256, one process and both cores.

For each algorithm and process count, ``issue_batch.issue_credentials`` runs
the real issuing path (read the specification from the store, validate one
credential per shape, build, seal through joserfc, write files) and prints
credentials/s and ms per credential for each stage. The baseline, measured in
the same run with the same key: the raw signing rate of ``cryptography`` over
the same payload bytes (what sealing cannot beat). Recording in the store
(the import pipeline: seal verification, JSON-LD, SHACL, two stores) is timed
in a separate run, since it is the same work ``credgraph import`` does.

    python benchmarks/issue.py [--n 10000] [--record-n 2000]

Keys are made fresh (tests/throwaway_pki.py); nothing is kept.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from credgraph.graph.sources import catalogue_import
from credgraph.graph.issuing import batch as issue_batch
from credgraph.graph.issuing import credential as issuing
from credgraph.graph.issuing import learners_csv
from credgraph.graph.issuing import sealing
from credgraph.graph.sources import vocab
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from throwaway_pki import make_pki  # noqa: E402

CATALOGUE = ROOT / "tests" / "data" / "issuing" / "catalogue.csv"
SPEC = "cf-sierra-clara/SC-101"
HEADER = "learner_id,given_name,family_name,date_of_birth,email,grade,date_of_award\n"


def learners_text(n: int) -> bytes:
    rows = [f"L-{i:06d},Given{i},Family{i},{1970 + i % 30}-0{1 + i % 9}-1{i % 9},learner{i}@example.org,{'ABC'[i % 3]},2025-06-01\n"
            for i in range(n)]
    return (HEADER + "".join(rows)).encode("utf-8")


def raw_signing_rate(sealer: sealing.Sealer, payload: bytes, seconds: float = 2.0) -> float:
    """Signatures/s of ``cryptography`` alone, same key, same bytes (the signing input's size)."""
    key = sealer.key.private_key
    if sealer.key.algorithm == "ES256":
        sign = lambda: key.sign(payload, ec.ECDSA(hashes.SHA256()))  # noqa: E731
    else:
        sign = lambda: key.sign(payload, padding.PKCS1v15(), hashes.SHA256())  # noqa: E731
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        sign()
        count += 1
    return count / (time.perf_counter() - began)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the worker processes), user + system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--record-n", type=int, default=2_000, help="credentials recorded in the store in the end-to-end run (0: skip)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="credgraph-issue-bench-"))
    try:
        ws = Workspace(Settings(store="memory:", private_store="memory:", data_dir=work / "data"))
        vocab.load_shipped(ws.store)
        assert catalogue_import.ingest_catalogue(ws, CATALOGUE).status == "imported"
        parsed = learners_csv.parse_learners(learners_text(args.n), "learners.csv", max_bytes=1 << 30)
        assert parsed.ok, parsed.errors[:3]
        spec = issuing.with_legal_identifier(issuing.load_specification(ws.store, issuing.resolve_spec_iri(SPEC)), "ESP", "VATES-A0")
        sample_payload = issuing.credential_bytes(issuing.build_credential(spec, parsed.learners[0], "urn:credential:x", datetime.now(timezone.utc)))
        print(f"credgraph issue benchmark: {args.n:,} learners, one specification ({SPEC}), payload {len(sample_payload):,} bytes, "
              f"{os.cpu_count()} CPUs")
        print(f"{'algorithm':<10}{'processes':>10}{'cred/s':>9}{'cred/cpu-s':>11}{'raw sign/s':>22}{'validate ms':>13}"
              f"{'build ms':>10}{'seal ms':>9}{'write ms':>10}{'shapes':>8}")
        for alg, kind in (("RS256", "rsa"), ("ES256", "ec")):
            pki = make_pki(work / f"pki-{alg}", kind)
            sealer = sealing.Sealer(sealing.load_sealing_key(pki.key_file, pki.chain_file, algorithm=alg))
            signing_input = b"x" * (len(sample_payload) + 2700)  # the protected header's base64 and the dot
            cpu = cpu_seconds()
            began = time.perf_counter()
            raw = raw_signing_rate(sealer, signing_input)
            raw_cpu = raw * (time.perf_counter() - began) / (cpu_seconds() - cpu)  # signatures per CPU second
            raw_text = f"{raw:.0f} ({raw_cpu:.0f}/cpu-s)"
            for workers in (1, 2):
                out = work / f"out-{alg}-{workers}"
                cpu = cpu_seconds()
                result = issue_batch.issue_credentials(ws, SPEC, parsed, out, sealer,
                                                       issue_batch.IssueOptions(record=False, workers=workers))
                cpu = cpu_seconds() - cpu
                n = len(result.credentials)
                per = {k: 1000 * v / n for k, v in result.stage_seconds.items()}
                print(f"{alg:<10}{workers:>10}{n / result.elapsed:>9.0f}{n / cpu:>11.0f}{raw_text:>22}{1000 * result.stage_seconds['validate']:>13.0f}"
                      f"{per['build']:>10.3f}{per['seal']:>9.3f}{per['write']:>10.3f}{len(result.shapes.reports):>8}")
                shutil.rmtree(out)
        print("cred/s: wall clock of the whole run (specification read, validation, build, seal, write, move);")
        print("cred/cpu-s: credentials per CPU second of this process and its workers (the fairer figure on a shared machine;")
        print("on an idle machine with P processes the wall-clock rate approaches P x this);")
        print("validate ms: the whole run's SHACL time (one credential per shape, not per learner); other stages: ms per credential")
        print("(with 2 processes: wall-clock share per credential). raw sign/s: cryptography alone, same key, same-size input.")
        if args.record_n:
            pki = make_pki(work / "pki-record", "ec")
            sealer = sealing.Sealer(sealing.load_sealing_key(pki.key_file, pki.chain_file))
            subset = learners_csv.LearnersFile("learners.csv", parsed.learners[: args.record_n])
            cpu = cpu_seconds()
            result = issue_batch.issue_credentials(ws, SPEC, subset, work / "out-record", sealer, issue_batch.IssueOptions(workers=2))
            cpu = cpu_seconds() - cpu
            n = len(result.credentials)
            print(f"end to end with recording (ES256, 2 processes, {n:,} credentials): {n / result.elapsed:.0f} cred/s, "
                  f"{n / cpu:.0f} per CPU second; "
                  f"record {1000 * result.stage_seconds['record'] / n:.2f} ms per credential "
                  f"({result.recorded.count('imported'):,} imported through the import pipeline)")
        ws.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
