#!/usr/bin/env python3
"""Import every sample in tests/data/samples, each into a fresh in-memory workspace, and tabulate what happened.

Per document: imported or refused (with the problem), seal status, the Annex I
verdict (what the credential misses, then each claim: main or part, kind,
missing elements), where the issue date came from, and the issuer country
recorded. Run: ``python scripts/sample_table.py`` (prints a Markdown table).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from credgraph.graph.sources import ingest
from credgraph.graph.sources import vocab
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "data" / "samples"
BASES = (("cred:", "https://www.w3.org/2018/credentials#"), ("elm:", "http://data.europa.eu/snb/model/elm/"),
         ("country:", "http://publications.europa.eu/resource/authority/country/"))


def short(iri: str) -> str:
    for prefix, base in BASES:
        if iri.startswith(base):
            return prefix + iri[len(base):]
    return iri


def verdict(compliance) -> str:
    if compliance is None:
        return "-"
    claimed = {e for c in compliance.claims if c.main for e in c.missing}
    own = [e for e in compliance.missing if e not in claimed]
    parts = [f"**{'conforms' if compliance.conforms else 'does not conform'}**; credential misses {', '.join(own) or 'nothing'}"]
    for c in compliance.claims:
        parts.append(f"{c.role} {c.kind} \"{c.title}\": {', '.join(c.missing) or 'nothing missing'}")
    return "<br>".join(parts)


def main() -> int:
    print("| sample | result | seal | Annex I (credential, then per claim) | issue date (from) | issuer country |")
    print("|---|---|---|---|---|---|")
    for path in sorted(SAMPLES.iterdir()):
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace(Settings(store="memory:", data_dir=Path(tmp)))
            vocab.load_shipped(ws.store)
            summary = ingest.ingest_paths(ws, [path])
            ws.close()
        r = summary.documents[0]
        seal = r.seal.status if r.seal else "not sealed"
        if r.status in ("rejected", "quarantined"):
            problem = r.problems[0].replace(str(path), path.name) if r.problems else ""
            print(f"| {path.name} | refused: {problem} | {seal} | - | - | - |")
            continue
        date = f"{r.issued} ({short(r.issued_from)})" if r.issued else "-"
        country = short(r.issuer_country) if r.issuer_country else "-"
        print(f"| {path.name} | {r.status} | {seal} | {verdict(r.compliance)} | {date} | {country} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
