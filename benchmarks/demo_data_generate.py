"""How fast `credgraph demo-data` writes its files, per scale (prints figures; not a test).

Usage: python benchmarks/demo_data_generate.py [SCALE ...]   (default: 1 20)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from credgraph.demo import generator as demo_data


def main(scales: list[float]) -> None:
    for scale, zipped in [(s, z) for s in scales for z in (False, True)]:
        out = Path(tempfile.mkdtemp(prefix="credgraph-demo-"))
        try:
            s = demo_data.generate(out, scale=scale, seed=1, zip_credentials=zipped)
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
            print(f"scale {scale:g}{' (zip)' if zipped else ''}: {s.credentials:,} credentials, {s.learners:,} learners, "
                  f"{s.specifications + s.qualifications} catalogue entries, {size / 1e6:,.1f} MB in {s.seconds:.1f} s "
                  f"({s.credentials / s.seconds:,.0f} credentials/s)")
        finally:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [1.0, 20.0])
