#!/usr/bin/env python3
"""Import every sample in tests/data/samples into a fresh in-memory workspace and tabulate what happened.

Per document: imported or refused (with the first problem), seal status, the
Annex I verdict per claim and element, where the issuance date came from, and
the issuer country recorded. Run: ``python scripts/sample_table.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from credgraph.graph import ingest, vocab
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "data" / "samples"


def short(iri: str) -> str:
    for prefix, base in (("cred:", "https://www.w3.org/2018/credentials#"), ("elm:", "http://data.europa.eu/snb/model/elm/"),
                         ("country:", "http://publications.europa.eu/resource/authority/country/")):
        if iri.startswith(base):
            return prefix + iri[len(base):]
    return iri


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Settings(store="memory:", data_dir=Path(tmp)))
        vocab.load_shipped(ws.store)
        print("| sample | result | seal | Annex I (per claim) | issuance date from | issuer country |")
        print("|---|---|---|---|---|---|")
        for path in sorted(SAMPLES.iterdir()):
            summary = ingest.ingest_paths(ws, [path])
            if not summary.documents:
                print(f"| {path.name} | skipped: {'; '.join(summary.skipped) if getattr(summary, 'skipped', None) else '-'} | | | | |")
                continue
            r = summary.documents[0]
            seal = r.seal.status if r.seal else "-"
            if r.status in ("rejected", "quarantined"):
                print(f"| {path.name} | refused: {r.problems[0] if r.problems else ''} | {seal} | | | |")
                continue
            c = r.compliance
            if c is None:
                verdict = "-"
            elif getattr(c, "claims", None):
                verdict = "; ".join(f"{k.title!r}: missing {', '.join(k.missing) or 'none'}" for k in c.claims)
            else:
                verdict = f"missing {', '.join(c.missing) or 'none'}"
            date_source = f"{r.issued} ({short(r.issued_from)})" if r.issued else "-"
            country = short(r.issuer_country) if r.issuer_country else "-"
            print(f"| {path.name} | {r.status} | {seal} | {verdict} | {date_source} | {country} |")
        ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
