"""``credgraph site build``: the static catalogue site, written from the graph.

The build, step by step (each step in its own module):

1. :mod:`~credgraph.site.snapshot`: the store read once, graph by graph, into a dump and an in-memory
   offer copy; nothing later touches the store (but the about page's list of sources);
2. the catalogue read from the copy (the catalogue service), and beside it, in a forked process on
   a large site, the stacking rules, recorded matches and similarity facts (:mod:`~credgraph.site.related`,
   :mod:`~credgraph.site.parallel`); the dataset dump is packed in a thread (:mod:`~credgraph.site.dump`);
3. :mod:`~credgraph.site.planning`: which pages exist (groups by provider, skill, level, field; pathways);
4. :mod:`~credgraph.site.pages`: what each page unit shows, rendered to HTML by
   :mod:`~credgraph.site.rendering` (templates, :mod:`~credgraph.site.page` helpers,
   :mod:`~credgraph.site.fragments`), in forked workers on several cores (:mod:`~credgraph.site.parallel`),
   with the search indexes (:mod:`~credgraph.site.search_index`) as one more task;
5. the site-wide pages, static files, dump, sitemap and robots.txt (:mod:`~credgraph.site.sitemap`).

English pages live at the root, German and French ones under ``de/`` and
``fr/``; every link is relative, so the folder can be served from any path
by any static web server or CDN. Only files whose content changed are
written (:mod:`~credgraph.site.output`, :mod:`~credgraph.site.fingerprints`).
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from credgraph.graph.services.catalogue_records import Catalogue
from credgraph.graph.store.interface import Store
from credgraph.site import parallel, snapshot
from credgraph.site.dump import Dump
from credgraph.site.fingerprints import code_fingerprint, fingerprint
from credgraph.site.output import SiteOutput
from credgraph.site.page import LANGS
from credgraph.site.pages import Pages
from credgraph.site.planning import SitePlan
from credgraph.site.related import Similarity, all_rules, read_related
from credgraph.site.rendering import Renderer, package_text
from credgraph.site.sitemap import robots_txt, sitemap_xml

STATIC_FILES = ("style.css", "search.js")
# Specification pages filled from a skeleton are checked against Jinja's rendering: all of them on a
# small site (the tests), one in SKELETON_CHECK_EVERY on a large one (and the first of each skeleton).
SKELETON_CHECK_ALL_BELOW = 1000
SKELETON_CHECK_EVERY = 50


@dataclass
class BuildReport:
    """What one build did."""

    out: str
    specifications: int
    pages: int
    files: int
    written: int
    unchanged: int
    removed: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    units_rendered: int = 0
    units_reused: int = 0
    written_paths: list[str] = field(default_factory=list, repr=False)
    rendered_units: list[str] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        """The report as plain data (without the lists of written paths and rendered units)."""
        data = asdict(self)
        data.pop("written_paths")
        data.pop("rendered_units")
        return data


class SiteBuilder:
    """Builds the whole site from one store into one folder."""

    def __init__(self, store: Store, out: Path, *, incremental: bool = False, base_url: str = "http://localhost:8000/",
                 sparql_endpoint: str = "/sparql", workers: int | None = None) -> None:
        self.store = store
        self.workers = workers or os.cpu_count() or 1
        self.out = Path(out)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.sparql_endpoint = sparql_endpoint
        self.output = SiteOutput(self.out, incremental=incremental)
        self.renderer = Renderer(self.output)
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []

    def build(self) -> BuildReport:
        start = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        code = code_fingerprint(self.base_url, self.sparql_endpoint)
        # Every graph with its content hash and import time: when neither they nor the code
        # changed since the last build, no page can have changed, and nothing is read.
        inputs = fingerprint(code, [(g.name, g.content_hash, g.imported_at, g.triples) for g in self.store.graphs()])
        if self.output.unchanged_since(inputs):
            return BuildReport(
                out=str(self.out), specifications=self.output.previous_specifications,
                pages=sum(1 for rel in self.output.current if rel.endswith(".html")), files=len(self.output.current),
                written=0, unchanged=self.output.unchanged, removed=0, seconds=round(time.perf_counter() - start, 3),
                notes=["no graph and no template changed since the last build: nothing to do"],
                units_reused=self.output.units_reused,
            )
        self.output.inputs = inputs
        with self._timed("dump and snapshot"):
            taken = snapshot.take(self.store)
            data = taken.copy
        with self._timed("read catalogue"):
            read = functools.partial(read_related, taken)
            beside = parallel.start_beside(read, workers=self.workers, quads=data.quad_count)
            # Forked first: the side process needs none of the packing.
            dump = Dump(taken)
            cat = snapshot.read_offer_catalogue(data)
            _memoise_lookups(cat)
            for skeletons in self.renderer.spec_skeletons.values():
                skeletons.check_every = 1 if len(cat.specs) < SKELETON_CHECK_ALL_BELOW else SKELETON_CHECK_EVERY
        with self._timed("cards"):
            # Every card once, before the workers fork (list pages all over the site share them),
            # and while the side reads still run.
            for lang in LANGS:
                self.renderer.summaries(cat, cat.specs.values(), lang)
        with self._timed("read rules and matches"):
            related = parallel.result_of(beside, read)
            rules = all_rules(related, cat, data, self.notes)
            similarity = Similarity(related, cat, self.notes)
        with self._timed("group"):
            plan = SitePlan(cat, rules)
            tasks = plan.tasks()
            pages = Pages(renderer=self.renderer, store=self.store, data=data, cat=cat, plan=plan, similarity=similarity,
                          matches=related["matches"], code=code, sparql_endpoint=self.sparql_endpoint)
        with self._timed("pages"):
            parallel.run_tasks(tasks, pages.do, self.output, workers=self.workers, specifications=len(cat.specs))
        with self._timed("site-wide pages"):
            pages.site_wide()
        with self._timed("static files and dump"):
            for name in STATIC_FILES:
                self.output.write(f"static/{name}", package_text("static", name))
            self.output.write("data/credgraph.nq.gz", dump.bytes())
            self.output.write("sitemap.xml", sitemap_xml(self.output.current, self.base_url))
            self.output.write("robots.txt", robots_txt(self.base_url))
        self.output.specifications = len(cat.specs)
        self.output.finish()
        seconds = time.perf_counter() - start
        return BuildReport(
            out=str(self.out), specifications=len(cat.specs),
            pages=sum(1 for rel in self.output.current if rel.endswith(".html")), files=len(self.output.current),
            written=len(self.output.written), unchanged=self.output.unchanged, removed=len(self.output.removed),
            seconds=round(seconds, 3), timings={k: round(v, 3) for k, v in self.timings.items()}, notes=self.notes,
            units_rendered=self.output.units_rendered, units_reused=self.output.units_reused,
            written_paths=list(self.output.written),
            rendered_units=sorted(k for k, v in self.output.units.items() if v.get("rendered")),
        )

    class _Timer:
        def __init__(self, builder: "SiteBuilder", name: str) -> None:
            self.builder, self.name = builder, name

        def __enter__(self):
            self.start = time.perf_counter()

        def __exit__(self, *exc):
            self.builder.timings[self.name] = self.builder.timings.get(self.name, 0) + time.perf_counter() - self.start

    def _timed(self, name: str) -> "_Timer":
        return self._Timer(self, name)


def _memoise_lookups(cat: Catalogue) -> None:
    """Remember the catalogue's labels and references: every page asks for the same few thousand again and again.

    Safe because the catalogue is not changed once read, and :class:`~credgraph.graph.services.catalogue_results.Ref` and
    :class:`~credgraph.graph.services.catalogue_results.Text` are immutable. Each worker process fills its own copy.
    """
    cat.ref = functools.lru_cache(maxsize=None)(cat.ref)  # type: ignore[method-assign]
    cat.label = functools.lru_cache(maxsize=None)(cat.label)  # type: ignore[method-assign]


def build_site(store: Store, out: str | Path, *, incremental: bool = False, base_url: str = "http://localhost:8000/",
               sparql_endpoint: str = "/sparql", workers: int | None = None) -> BuildReport:
    """Build the static catalogue site from ``store`` into ``out``.

    ``incremental``: rewrite only the files whose content changed since the
    last build into ``out`` (and remove those of vanished entities).
    ``base_url``: the absolute URL the site is published at (for sitemap.xml).
    ``workers``: processes rendering specification pages (default: the number of cores).
    """
    return SiteBuilder(store, Path(out), incremental=incremental, base_url=base_url, sparql_endpoint=sparql_endpoint,
                       workers=workers).build()
