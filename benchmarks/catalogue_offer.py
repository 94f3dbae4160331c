"""Cold catalogue read with many catalogue graphs: explicit default graph list vs in-memory offer copy.

Prints figures (not a test). A store with N catalogue graphs is made from a
source store (default: generated like ``benchmarks/site.py --only 10k``): its
vocabulary graphs plus its first N catalogue graphs, with their provenance.
For each N, on the embedded store and (``--remote``) on ``oxigraph serve``:

- before: every catalogue query with the offer graphs as explicit ``default_graphs``
  (what ``read_catalogue`` did until the offer copy);
- after: ``read_catalogue`` as it is now (copy of the offer graphs, union default graph);

and checks that both read the same catalogue.

Usage: python benchmarks/catalogue_offer.py --source STORE_DIR [--graphs 100,300] [--remote] [--skip-before-above N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from credgraph.graph.services.catalogue_reading import offer_graphs, read_catalogue
from credgraph.graph.services.catalogue_records import Catalogue
from credgraph.graph import namespaces as ns
from credgraph.graph.store.offer_copy import OfferCopy
from credgraph.graph.store.interface import Store
from credgraph.graph.store.embedded import EmbeddedStore
from credgraph.graph.store.remote import RemoteStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import free_port  # noqa: E402 (the tests' helper for a free port)
from servers import start  # noqa: E402


class ExplicitList(OfferCopy):
    """The former way: queries on ``store`` with the offer graphs as explicit default graphs."""

    def __init__(self, store: Store, graphs: list[str]) -> None:
        super().__init__(ox.Store(), (), "explicit-list")
        self._real, self._graphs = store, graphs

    def _query(self, text, bindings, default_graphs, named_graphs):
        return self._real._query(text, bindings, self._graphs, named_graphs)


def subset_store(source: ox.Store, graphs: int, where: Path) -> Path:
    """An on-disk store with the vocabulary graphs and the first ``graphs`` catalogue graphs of ``source``."""
    names = sorted(g.value for g in source.named_graphs() if g.value != ns.META_GRAPH)
    catalogues = [n for n in names if n.startswith("urn:credgraph:source:catalogue-")]
    keep = [n for n in names if not n.startswith("urn:credgraph:source:catalogue-")] + catalogues[:graphs]
    path = where / f"store-{graphs}"
    shutil.rmtree(path, ignore_errors=True)
    target = ox.Store(str(path))
    meta = ox.NamedNode(ns.META_GRAPH)
    for name in keep:
        node = ox.NamedNode(name)
        target.bulk_load(source.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=node), format=ox.RdfFormat.N_TRIPLES, to_graph=node)
        target.bulk_extend(source.quads_for_pattern(node, None, None, meta))
    target.flush()
    del target
    return path


def same(a: Catalogue, b: Catalogue) -> bool:
    return (a.specs, a.orgs, a.labels) == (b.specs, b.orgs, b.labels)


def timed(fn):
    began = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - began


def measure(label: str, store: Store, skip_before: bool) -> None:
    graphs, t_list = timed(lambda: [n for n, _, _ in offer_graphs(store)])
    after, t_after = timed(lambda: read_catalogue(store, graphs=graphs))
    line = f"{label}: {len(graphs)} offer graphs, {len(after.specs):,} specifications; list {t_list:.2f} s; after (copy) {t_after:.1f} s"
    if not skip_before:
        before, t_before = timed(lambda: read_catalogue(ExplicitList(store, graphs), graphs=graphs))
        line += f"; before (explicit list) {t_before:.1f} s; identical: {same(before, after)}"
    print(line, flush=True)


def serve(path: Path, port: int) -> subprocess.Popen:
    binary = str(Path(sys.executable).with_name("oxigraph"))
    return start([binary, "serve", "--location", str(path), "--bind", f"127.0.0.1:{port}"],
                 f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="an embedded store directory with many catalogue graphs (e.g. benchmarks/site.py --workdir's 10k store); copied, never written")
    parser.add_argument("--graphs", default="100,300", help="catalogue graph counts, comma-separated")
    parser.add_argument("--remote", action="store_true", help="also on oxigraph serve")
    parser.add_argument("--skip-before-above", type=int, default=400, help="no 'before' run above this many graphs (minutes each)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="credgraph-offer-bench-") as tmp:
        work = Path(tmp)
        shutil.copytree(args.source, work / "source")
        source = ox.Store.read_only(str(work / "source"))
        for n in (int(x) for x in args.graphs.split(",")):
            path = subset_store(source, n, work)
            skip = n > args.skip_before_above
            store = EmbeddedStore(path)
            measure(f"embedded, {n} catalogue graphs", store, skip)
            store.close()
            if args.remote:
                port = free_port()
                process = serve(path, port)
                try:
                    measure(f"remote,   {n} catalogue graphs", RemoteStore(f"http://127.0.0.1:{port}"), skip)
                finally:
                    process.terminate()
                    process.wait(timeout=30)


if __name__ == "__main__":
    main()
