#!/usr/bin/env python3
"""Copy the small public reference files the tests read into ``tests/data/``.

The tests must pass in a fresh clone with nothing beside it, so every file they
read lives in the repository. This script documents (and redoes) how the
copies were made from the project's reference folder (``../shared/data``, see
its README): files copied byte for byte, and ESCO CSV exports cut to their
first records (whole CSV records, header kept). Files written into
``tests/data/samples/`` by hand or from other sources are listed in
``tests/data/README.md`` and are not touched here.

Usage:
    python scripts/make_test_data.py [--shared ../shared/data] [--out tests/data]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = Path(os.environ.get("CREDGRAPH_SHARED", ROOT.parent / "shared")) / "data"

# Copied unchanged.
COPIED = [
    "samples/Sample-CertOfPart-signed.jsonld",
    "samples/Sample-CertOfPart-unsigned.jsonld",
    "samples/credential-sample.jsonld",
    "samples/ob3-basicOpenBadgeCredential.json",
    "jsonld-contexts/credentials-v1.jsonld",
    "jsonld-contexts/credentials-v2.jsonld",
    "jsonld-contexts/context-3.0.3.json",
    "jsonld-contexts/edc-ap-context.jsonld",
    "elm-3.1/ELM.ttl",
    "elm-3.1/ELM-external.ttl",
    "elm-3.1/LICENSE-EUPL-1.2.txt",
    "elm-3.1/edc-controlledLists.md",
    "elm-3.1/snb-concept-iris_ELMv2-genericschema_2020.tsv",
    "elm-3.1/ap/EDC-accredited.ttl",
    "elm-3.1/ap/EDC-converted.ttl",
    "elm-3.1/ap/EDC-diplomaSupplement.ttl",
    "elm-3.1/ap/EDC-generic-full.ttl",
    "elm-3.1/ap/EDC-generic-no-cv.ttl",
    "elm-3.1/ap/EDC-issuedByMandate.ttl",
    "elm-3.1/ap/LOQ-constraints.ttl",
    "elm-3.1/ap/edc-ap-context.jsonld",
    "w3c-sparql11-protocol/sparql11-protocol-manifest.ttl",
    "w3c-sparql11-protocol/sparql11-graph-store-protocol-manifest.ttl",
    "w3c-sparql11-protocol/sparql11-protocol-data1.nt",
    "w3c-sparql11-protocol/sparql11-protocol-data2.nt",
    "w3c-sparql11-protocol/sparql11-protocol-data3.nt",
]

# ESCO folders cut to their first records, as many as the tests slice
# (150 or 200), and 220 for skillGroups_* (its first 220 rows are the 220
# ISCED-F fields the vocabulary build counts). conceptSchemes_* is left out:
# 19 records that hold ~25,000 hasTopConcept IRIs (the opt-in full import
# covers it).
ESCO_FOLDERS = {
    "esco/v1.1.1-en": 200,
    "esco/v1.2.0-en-partial": 200,
    "esco/v1.1.1-fr-partial": 150,
    "esco/v1.2.0-de-partial": 150,
}
ISCED_RECORDS = 220


def cut_csv(src: Path, dst: Path, records: int) -> None:
    """Write the header and the first ``records`` CSV records of ``src`` to ``dst``, bytes as published."""
    with src.open(newline="", encoding="utf-8") as inp:
        lines = list(inp)  # the same physical lines the csv reader consumes
    reader = csv.reader(iter(lines))
    end = len(lines)
    for i, _ in enumerate(reader):
        if i == records:  # header + records
            end = reader.line_num
            break
    with dst.open("w", newline="", encoding="utf-8") as out:
        out.writelines(lines[:end])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        print(f"make_test_data: no reference data at {args.shared} (set CREDGRAPH_SHARED or --shared)", file=sys.stderr)
        return 2
    for rel in COPIED:
        target = args.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.shared / rel, target)
    for folder, records in ESCO_FOLDERS.items():
        out = args.out / folder
        out.mkdir(parents=True, exist_ok=True)
        for src in sorted((args.shared / folder).glob("*.csv")):
            if src.name.startswith("conceptSchemes"):
                continue
            cut_csv(src, out / src.name, ISCED_RECORDS if src.name.startswith("skillGroups") else records)
    print(f"wrote {len(COPIED)} copied files and {len(ESCO_FOLDERS)} ESCO slices into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
