"""``credgraph site build``: the static catalogue site, written from the graph.

Everything is read with a few bulk queries (the catalogue service's
:func:`~credgraph.graph.services.catalogue.load_catalogue`, the stacking rules, the
entity descriptions for the linked-data files), then every page is rendered
with templates compiled once. English pages live at the root, German and
French ones under ``de/`` and ``fr/``; every link is relative, so the folder
can be served from any path by any static web server or CDN.
"""

from __future__ import annotations

import functools

import gzip
import hashlib
import heapq
import io
import json
import math
import multiprocessing
import operator
import os
import re
import threading
import time
from itertools import chain
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined
from markupsafe import Markup, escape
from pyoxigraph import NamedNode

from credgraph import __version__
from credgraph.graph.services import catalogue as cg
from credgraph.graph.services import specifications
from credgraph.graph.services import stacking
from credgraph.graph.services.equivalence import covered_skills, similarity_score
from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Store, StoreError
from credgraph.site import diagram, linkeddata, skeleton, snapshot
from credgraph.site.output import SiteOutput

LANGS = cg.LANGUAGES
PREFIX = {"en": "", "de": "de/", "fr": "fr/"}
# Below this many specifications per worker, forking costs more than it saves.
PARALLEL_MIN_SPECS = 200
TASK_CHUNK = 40
# Below this many quads in the offer, reading rules and facts in a second process costs more than it saves.
SIDE_READS_MIN_QUADS = 100_000
# Specification pages filled from a skeleton are checked against Jinja's rendering: all of them on a
# small site (the tests), one in SKELETON_CHECK_EVERY on a large one (and the first of each skeleton).
SKELETON_CHECK_ALL_BELOW = 1000
SKELETON_CHECK_EVERY = 50
# Listing pages (provider, skill, EQF level, field, all) show this many specifications a page.
LIST_PAGE = 100
SIMILAR_CANDIDATES = 40
# An inline context, so that the JSON-LD parses offline (no remote context to fetch).
SCHEMA_CONTEXT = {"@vocab": "https://schema.org/"}
SIMILAR_SHOWN = 5
_RDF_TYPE = NamedNode(ns.RDF + "type")
SIMILAR_MIN_SCORE = 0.3
FACET_LABELS = {name: f"facet_{name}" for name in cg.FACETS}


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


# -- resources ---------------------------------------------------------------


def _package_text(*parts: str) -> str:
    return resources.files("credgraph.site").joinpath(*parts).read_text("utf-8")


def load_strings() -> dict[str, dict[str, str]]:
    """Interface strings per language (``site/i18n/<lang>.json``)."""
    return {lang: json.loads(_package_text("i18n", f"{lang}.json")) for lang in LANGS}


_STRING_OUTPUT = re.compile(r"\{\{ t\.(\w+) \}\}")
_EXTENDS = re.compile(r'\{% extends "([\w.]+)" %\}')


def _environment(strings: dict[str, dict[str, str]]) -> Environment:
    """Templates are loaded as ``<lang>/<name>``: the template with its interface strings written in.

    ``{{ t.key }}`` becomes the escaped string itself, as autoescaping would
    print it (same bytes), so a page does not look up and escape some thirty
    constant strings each time it is rendered.
    """

    def load(name: str) -> str:
        lang, _, base = name.partition("/")
        table = strings[lang]

        def constant(match: re.Match) -> str:
            text = table.get(match.group(1))
            if not text or not text.strip():
                return match.group(0)  # left to the template (and to StrictUndefined when missing)
            escaped = str(escape(text))
            return match.group(0) if any(d in escaped for d in ("{{", "{%", "{#")) else escaped

        source = _STRING_OUTPUT.sub(constant, _package_text("templates", base))
        return _EXTENDS.sub(lambda m: '{% extends "' + lang + "/" + m.group(1) + '" %}', source)

    return Environment(
        loader=FunctionLoader(load),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
    )


STATIC_FILES = ("style.css", "search.js")


# -- page context helpers ----------------------------------------------------


class Page:
    """Helpers a template uses for one page: relative URLs, language texts, numbers."""

    def __init__(self, site: "SiteBuilder", lang: str, path: str) -> None:
        self.site = site
        self.lang = lang
        self.path = path
        self.root = "../" * (PREFIX[lang] + path).count("/")
        self.t = site.strings[lang]

    def url(self, path: str, lang: str | None = None) -> str:
        """Relative URL of site path ``path`` in ``lang`` (default: this page's language)."""
        target = PREFIX[lang or self.lang] + path
        return (self.root + target) or "./"

    def asset(self, path: str) -> str:
        """Relative URL of a language-independent file."""
        return self.root + path

    def tx(self, text: cg.Text | None, tag: str = "span") -> Markup:
        """A data text, marked with its language and visibly flagged when it is a fallback."""
        # Plain string building: this runs tens of thousands of times per build.
        if text is None:
            return Markup(self.site.missing[self.lang])
        body = escape(text.text)
        if not text.fallback or not text.lang:
            if text.lang and text.lang != self.lang:
                return Markup(f'<{tag} lang="{text.lang}">{body}</{tag}>')
            return Markup(f"<{tag}>{body}</{tag}>") if tag != "span" else body
        note = self.site.fallback_notes[self.lang][text.lang] if text.lang in LANGS else escape(self.t["fallback_note"] + " " + text.lang)
        return Markup(f'<{tag} lang="{escape(text.lang)}">{body}</{tag}> <abbr class="fallback" title="{note}">{escape(text.lang.upper())}</abbr>')

    def cards(self, items: list[cg.SpecSummary]) -> Markup:
        """The list of specification cards (each built once per specification and language)."""
        cache = self.site.card_cache
        # A card is the same on every page but for the way up to the site's root in its link.
        head = '<li class="card"><h3><a href="' + self.root
        parts = ['<ul class="cards">']
        for s in items:
            tail = cache.get((s.iri, self.lang))
            parts.append(head + (tail if tail is not None else self.card_tail(s)))
        parts.append("</ul>")
        return Markup("\n".join(parts))

    def card_tail(self, s: cg.SpecSummary) -> str:
        """A specification's card after the way up to the site's root (the same on every page of a language)."""
        meta = []
        for ref in (s.provider, s.country, s.eqf):
            if ref:
                meta.append(self.label(ref))
        if s.ects is not None:
            meta.append(escape(self.fmt("ects_hours", ects=self.num(s.ects))))
        meta.extend(self.label(m) for m in s.modes)
        return f'{PREFIX[self.lang]}{s.path}">{self.tx(s.title)}</a></h3><p class="meta">{" · ".join(meta)}</p></li>'

    def label(self, ref: cg.Ref) -> Markup:
        """A reference's label, as :meth:`tx` marks it (made once per reference and language, as :meth:`ref`)."""
        key = (id(ref), self.lang)
        made = self.site.label_html.get(key)
        if made is not None and made[0] is ref:
            return made[1]
        html = self.tx(ref.label)
        self.site.label_html[key] = (ref, html)
        return html

    def refs(self, items: list[cg.Ref | None]) -> Markup:
        """References separated by commas, or "not stated" when there are none."""
        if not items:
            return Markup(self.site.missing[self.lang])
        return Markup(", ".join([self.ref(r) for r in items]))  # each is markup already

    def num(self, value: float | None) -> str:
        """A number formatted for this page's language (``2.5`` / ``2,5``)."""
        if value is None:
            return ""
        text = f"{value:g}" if value != int(value) else str(int(value))
        return text.replace(".", ",") if self.lang in ("de", "fr") else text

    def fmt(self, key: str, **kw: Any) -> str:
        """An interface string with ``{name}`` placeholders filled."""
        text = self.t[key]
        for name, value in kw.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def ref(self, ref: cg.Ref | None) -> Markup:
        """A reference: a link when it has a page, else its label."""
        if ref is None:
            return Markup(self.site.missing[self.lang])
        # The same references (providers, levels, fields, skills ...) recur on thousands of pages:
        # each is made once per language and depth. Keyed by the object (the catalogue's references
        # are memoised), which the entry keeps alive so that its id is not reused.
        key = (id(ref), self.lang, self.root)
        made = self.site.ref_html.get(key)
        if made is not None and made[0] is ref:
            return made[1]
        label = self.tx(ref.label)
        html = Markup(f'<a href="{self.url(ref.path)}">{label}</a>') if ref.path else label
        self.site.ref_html[key] = (ref, html)
        return html

    def tag(self, skill: cg.Ref) -> str:
        """A skill as a tag linking to its page (made once per language and depth, as :meth:`ref`)."""
        key = (id(skill), self.lang, self.root)
        made = self.site.tag_html.get(key)
        if made is not None and made[0] is skill:
            return made[1]
        html = f'<a class="tag" href="{escape(self.url(skill.path))}">{self.tx(skill.label)}</a>'
        self.site.tag_html[key] = (skill, html)
        return html


def spec_fragments(page: Page, d: cg.SpecificationDetail, stacking: list[dict], equivalents: list[dict]) -> SimpleNamespace:
    """The parts of a specification page inside each Annex I element, as escaped markup.

    Built in Python rather than in ``spec.html``: a Jinja call per value (link,
    label, number) was the largest share of rendering ten thousand pages.
    """
    tx, ref, refs, url = page.tx, page.ref, page.refs, page.url
    th = page.site.strings_html[page.lang]  # the interface strings, escaped once
    missing = page.site.missing[page.lang]
    workload = []
    if d.ects is not None:
        workload.append(escape(page.fmt("ects_hours", ects=page.num(d.ects))))
    if d.ects is not None and d.hours is not None:
        workload.append(" · ")
    if d.hours is not None:
        workload.append(escape(page.fmt("hours", hours=page.num(d.hours))))
    if d.ects is None and d.hours is None:
        workload.append(missing)
    if d.outcomes:
        items = []
        for o in d.outcomes:
            li = f"<li>{tx(o.title)}"
            if o.skills:
                li += (f'<br><span class="small">{th["skills_label"]}:</span> '
                       + " ".join([page.tag(s) for s in o.skills]))
            items.append(li + "</li>\n")
        outcomes = '<ul class="outcomes">\n' + "".join(items) + "</ul>\n"
    else:
        outcomes = missing
    participation = str(refs(d.modes))
    if d.settings:
        participation += f' ({th["el_setting"]}: {refs(d.settings)})'
    if d.quality_assurance:
        parts = []
        for q in d.quality_assurance:
            text = str(tx(q.title) if q.title else tx(q.type.label) if q.type else "")
            if q.title and q.type:
                text += f" ({tx(q.type.label)})"
            if q.agent:
                text += f' {th["accredited_by"].replace("{agent}", "")}{ref(q.agent)}'
            parts.append(text)
        quality = "; ".join(parts)
    else:
        quality = missing
    st = d.stackability
    if st.is_part_of or st.has_part or st.entitles_to:
        stack = ""
        if st.is_part_of:
            stack += f'<p>{th["stacks_into"]}: {refs(st.is_part_of)}</p>'
        if st.has_part:
            stack += f'<p>{th["consists_of"]}: {refs(st.has_part)}</p>'
        if st.entitles_to:
            stack += f'<p>{th["entitles_to"]}: {refs(st.entitles_to)}</p>'
    else:
        stack = missing
    none_known = f'<p class="missing">{th["none_known"]}</p>'
    if stacking:
        rows = []
        for s in stacking:
            row = f'<li>{th["stacks_into"]} {ref(s["target"])}'
            if s["with"]:
                row += f' {th["stacks_with"]} {refs(s["with"])}'
            rows.append(row + f' — <a href="{escape(url(s["path"]))}">{th["pathway"]}</a></li>\n')
        stacking_html = "<ul>\n" + "".join(rows) + "</ul>\n"
    else:
        stacking_html = none_known
    if equivalents:
        rows = []
        for e in equivalents:
            relation = e["relation"]
            if relation == "exact":
                what = th["equivalent"]
            elif relation == "close":
                what = th["close"]
            else:
                what = th["similar"]
                if e["score"] is not None:
                    what += f' ({escape(page.fmt("similarity", score=page.num(round(e["score"], 2))))})'
            rows.append(f'<li>{ref(e["ref"])} — {what}</li>\n')
        equivalents_html = "<ul>\n" + "".join(rows) + "</ul>\n"
    else:
        equivalents_html = none_known
    title = tx(d.title)
    return SimpleNamespace(**{
        "home": url(""), "all": url("browse/all/"),
        "title": title,
        "lead": Markup(f'<p class="kind">{th["kind_qualification" if d.kind == "qualification" else "kind_micro"]}</p>\n'
                       + (f'<p class="lead">{tx(d.description)}</p>' if d.description else "")),
        "provider": ref(d.provider), "country": ref(d.country), "workload": Markup("".join(workload)),
        "eqf": ref(d.eqf), "field": ref(d.field), "outcomes": Markup(outcomes), "assessment": refs(d.assessment),
        "participation": Markup(participation), "quality": Markup(quality), "prerequisites": tx(d.prerequisites),
        "id_verification": refs(d.id_verification), "stackability": Markup(stack), "languages": refs(d.languages),
        "homepages": Markup("".join(f'<a href="{escape(h)}" rel="external">{escape(h)}</a> ' for h in d.homepages)),
        "note": tx(d.note) if d.note else "",
        "stacking": Markup(stacking_html), "equivalents": Markup(equivalents_html),
    })


# -- the builder -------------------------------------------------------------


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
        self.strings = load_strings()
        self.env = _environment(self.strings)
        self.templates = {(lang, name): self.env.get_template(f"{lang}/{name}") for lang in LANGS for name in (
            "home.html", "search.html", "spec.html", "list.html", "browse.html", "pathway.html", "about.html")}
        self.strings_html = {lang: {key: str(escape(text)) for key, text in self.strings[lang].items()} for lang in LANGS}
        self.missing = {lang: f'<span class="missing">{escape(self.strings[lang]["not_stated"])}</span>' for lang in LANGS}
        self.fallback_notes = {lang: {other: escape(f'{self.strings[lang]["fallback_note"]} {self.strings[lang]["lang_" + other]}')
                                      for other in LANGS} for lang in LANGS}
        self.lang_names = {code: self.strings[code]["language_name"] for code in LANGS}
        self.lang_names_html = {code: escape(name) for code, name in self.lang_names.items()}
        self.spec_skeletons = {lang: skeleton.Skeletons(self.templates[lang, "spec.html"], {
            "t": self.strings[lang], "lang": lang, "langs": LANGS, "lang_names": self.lang_names, "version": __version__})
            for lang in LANGS}
        self.card_cache: dict[tuple[str, str], str] = {}
        self.pager_urls: dict[tuple, list[str]] = {}
        self.ref_html: dict[tuple[int, str, str], tuple[cg.Ref, Markup]] = {}
        self.tag_html: dict[tuple[int, str, str], tuple[cg.Ref, str]] = {}
        self.label_html: dict[tuple[int, str], tuple[cg.Ref, Markup]] = {}
        self.candidate_cache: dict[frozenset[str], list[str]] = {}
        self.summary_cache: dict[tuple[str, str], cg.SpecSummary] = {}
        self.sort_keys: dict[tuple[str, str], tuple[str, str]] = {}
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []

    # -- orchestration ---------------------------------------------------
    def build(self) -> BuildReport:
        start = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        self.code = code_fingerprint(self.base_url, self.sparql_endpoint)
        # Every graph with its content hash and import time: when neither they nor the code
        # changed since the last build, no page can have changed, and nothing is read.
        inputs = fingerprint(self.code, [(g.name, g.content_hash, g.imported_at, g.triples) for g in self.store.graphs()])
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
            self.snapshot = snapshot.take(self.store)
            self.data = self.snapshot.copy
        with self._timed("read catalogue"):
            side = self._start_side_reads()
            # Forked first: the side process needs none of the packing.
            packer = threading.Thread(target=self._dump, args=(self.snapshot,))
            packer.start()
            self.cat = snapshot.read_offer_catalogue(self.data)
            _memoise_lookups(self.cat)
            for skeletons in self.spec_skeletons.values():
                skeletons.check_every = 1 if len(self.cat.specs) < SKELETON_CHECK_ALL_BELOW else SKELETON_CHECK_EVERY
        with self._timed("cards"):
            # Every card once, before the workers fork (list pages all over the site share them),
            # and while the side reads still run.
            for lang in LANGS:
                self._summaries(self.cat.specs.values(), lang)
        with self._timed("read rules and matches"):
            results = self._side_results(side)
            self.rules = self._load_rules(results)
            self.matches = results["matches"]
            self._prepare_similar(results)
        with self._timed("group"):
            self._group()
            tasks = self._plan()
        with self._timed("pages"):
            self._run(tasks)
        with self._timed("site-wide pages"):
            self._browse_page()
            for lang in LANGS:
                self._render("home.html", lang, "", title=self.strings[lang]["site_name"], stats=self.stats)
                self._render("search.html", lang, "search/", title=self.strings[lang]["search_title"],
                             facets=cg.FACETS, facet_labels=FACET_LABELS)
                self._about(lang)
        with self._timed("static files and dump"):
            for name in STATIC_FILES:
                self.output.write(f"static/{name}", _package_text("static", name))
            packer.join()
            if self.packed is None:
                raise self.pack_error
            self.output.write("data/credgraph.nq.gz", self.packed)
            self._sitemap()
            self.output.write("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {self.base_url}sitemap.xml\n")
        self.output.specifications = len(self.cat.specs)
        self.output.finish()
        seconds = time.perf_counter() - start
        return BuildReport(
            out=str(self.out), specifications=len(self.cat.specs),
            pages=sum(1 for rel in self.output.current if rel.endswith(".html")), files=len(self.output.current),
            written=len(self.output.written), unchanged=self.output.unchanged, removed=len(self.output.removed),
            seconds=round(seconds, 3), timings={k: round(v, 3) for k, v in self.timings.items()}, notes=self.notes,
            units_rendered=self.output.units_rendered, units_reused=self.output.units_reused,
            written_paths=list(self.output.written),
            rendered_units=sorted(k for k, v in self.output.units.items() if v.get("rendered")),
        )

    def _plan(self) -> list[tuple]:
        """The work shared out to the worker processes, largest first (for an even share)."""
        tasks: list[tuple] = [("index",)]
        tasks += [("all", lang) for lang in LANGS]
        for facet, groups in (("eqf", self.by_eqf), ("field", self.by_field), ("skill", self.by_skill),
                              ("provider", self.by_provider)):
            tasks += [("list", facet, iri) for iri in sorted(groups, key=lambda i: (-len(groups[i]), i))]
        tasks += [("pathway", i) for i in range(len(self.rules))]
        tasks += [("spec", iri) for iri in self.cat.specs]
        return tasks

    def _run(self, tasks: list[tuple]) -> None:
        """Do ``tasks``; on several cores, in forked worker processes.

        Everything the pages need is in memory by now (the snapshot store
        included), so workers never touch the real store; each returns what
        it wrote, and the parent merges it.
        """
        workers = min(self.workers, max(1, len(self.cat.specs) // PARALLEL_MIN_SPECS))
        if workers <= 1 or not hasattr(os, "fork"):
            for task in tasks:
                self._task(task)
            return
        # Small chunks, handed out as workers free up: list pages vary a lot in size.
        chunks = [tasks[i:i + TASK_CHUNK] for i in range(0, len(tasks), TASK_CHUNK)]
        global _ACTIVE
        _ACTIVE = self
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for part in pool.imap_unordered(_run_chunk, chunks):
                    self.output.merge(part)
        finally:
            _ACTIVE = None

    def _run_chunk(self, tasks: list[tuple]) -> dict:
        """Do ``tasks`` in a worker; return what was written."""
        self.output.reset()
        for task in tasks:
            self._task(task)
        return self.output.state()

    def _task(self, task: tuple) -> None:
        kind = task[0]
        if kind == "spec":
            self._spec_unit(self.cat.specs[task[1]])
        elif kind == "list":
            self._list_units(task[1], task[2])
        elif kind == "pathway":
            self._pathway_unit(self.rules[task[1]])
        elif kind == "all":
            self._browse_all_units(task[1])
        elif kind == "index":
            for lang, text in search_indexes(self.cat).items():
                self.output.write(f"search-index.{lang}.json", text.encode("utf-8"))
        self.output.end()

    class _Timer:
        def __init__(self, builder: "SiteBuilder", name: str) -> None:
            self.builder, self.name = builder, name

        def __enter__(self):
            self.start = time.perf_counter()

        def __exit__(self, *exc):
            self.builder.timings[self.name] = self.builder.timings.get(self.name, 0) + time.perf_counter() - self.start

    def _timed(self, name: str) -> "_Timer":
        return self._Timer(self, name)

    # -- data beyond the catalogue service --------------------------------
    def _side_reads(self) -> dict:
        """What the pages need beside the catalogue: explicit stacking rules, recorded matches, the facts for similarity.

        None of it depends on the catalogue, so on a large site it is read in a
        forked process while this one reads the catalogue. Facts are read for
        every typed specification; :meth:`_prepare_similar` keeps the catalogue's.
        """
        from credgraph import queries

        out: dict[str, Any] = {"explicit": None, "rules_note": None, "facts": None, "ancestors": {}, "similar_note": None}
        # The offer graphs kept apart: a specification's facts are read from one catalogue graph.
        data = self.snapshot.named()
        try:
            out["explicit"] = stacking.load_rules(data)
        except (StoreError, AttributeError, FileNotFoundError, KeyError) as exc:
            out["rules_note"] = f"stacking rules could not be read ({exc}): no pathway pages"
        matches: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in data.select(queries.load("catalogue-matches")):
            pair = (row["other"].value, row["relation"].value)
            if pair not in matches[row["spec"].value]:
                matches[row["spec"].value].append(pair)
        for values in matches.values():
            values.sort()
        out["matches"] = dict(matches)
        try:
            typed = {t.subject.value for kind in (ns.ELM + "LearningAchievementSpecification", ns.ELM + "Qualification")
                     for t in data.triples(None, _RDF_TYPE, NamedNode(kind)) if isinstance(t.subject, NamedNode)}
            facts = specifications.load_specs(data, sorted(typed), core=True)
            out["facts"] = facts
            out["ancestors"] = specifications.skill_ancestors(data, {s for f in facts.values() for s in f.skills})
        except (StoreError, ValueError, KeyError, FileNotFoundError) as exc:
            out["similar_note"] = f"similar credentials could not be computed ({exc})"
        return out

    def _start_side_reads(self):
        """Start :meth:`_side_reads` in a forked process on a large site (a handle for :meth:`_side_results`)."""
        if self.workers <= 1 or not hasattr(os, "fork") or self.data.quad_count() < SIDE_READS_MIN_QUADS:
            return None
        global _ACTIVE
        _ACTIVE = self
        pool = multiprocessing.get_context("fork").Pool(1)
        _ACTIVE = None
        return pool, pool.apply_async(_side_reads_entry)

    def _side_results(self, handle) -> dict:
        if handle is None:
            return self._side_reads()
        pool, pending = handle
        try:
            return pending.get()
        finally:
            pool.close()
            pool.join()

    def _load_rules(self, side: dict) -> list:
        """Stacking rules, explicit and implied by elm:hasPart (stacking service)."""
        if side["explicit"] is None:
            self.notes.append(side["rules_note"])
            return []
        explicit = side["explicit"]
        try:
            with_parts = [s.iri for s in self.cat.specs.values() if s.many("hasPart")]
            targets = {r.target for r in explicit}
            implied = [r for r in stacking.implied_rules(self.data, with_parts) if r.target not in targets]
        except (StoreError, AttributeError, FileNotFoundError, KeyError) as exc:
            self.notes.append(f"stacking rules could not be read ({exc}): no pathway pages")
            return []
        return explicit + implied

    def _prepare_similar(self, side: dict) -> None:
        """What scoring similar specifications needs (scored per specification, in the workers).

        The equivalence service's per-specification search runs several
        queries; for a whole site the same scoring (:func:`equivalence.similarity`,
        as :func:`equivalence.similarity_score`) is applied to candidates found in memory:
        specifications sharing the most ESCO skills, else the same ISCED-F field.
        """
        self.facts: dict = {}
        if side["facts"] is None:
            self.notes.append(side["similar_note"])
            return
        facts = {iri: f for iri, f in side["facts"].items() if iri in self.cat.specs}
        self.facts, self.ancestors = facts, side["ancestors"]
        self.field_codes = {iri: f.field_codes for iri, f in facts.items()}
        self.covered = {iri: covered_skills(f.skills, self.ancestors) for iri, f in facts.items()}
        self.specs_by_skill: dict[str, list[str]] = defaultdict(list)
        self.specs_by_field: dict[str, list[str]] = defaultdict(list)
        for iri, f in facts.items():
            for s in f.skills:
                self.specs_by_skill[s].append(iri)
            for fld in f.fields:
                self.specs_by_field[fld].append(iri)

    def _similar(self, iri: str) -> list[tuple[str, float]]:
        """The most similar specifications of other providers, with their scores."""
        base = self.facts.get(iri)
        if base is None:
            return []
        if base.skills:
            # Specifications with the same skills have the same candidates: ranked once, with one
            # more place for the specification itself (it shares all its skills, and is dropped).
            key = frozenset(base.skills)
            ranked_by_skills = self.candidate_cache.get(key)
            if ranked_by_skills is None:
                shared = Counter(chain.from_iterable(self.specs_by_skill[s] for s in key))
                ranked_by_skills = self.candidate_cache[key] = [o for _, o in heapq.nsmallest(
                    SIMILAR_CANDIDATES + 1, zip(map(operator.neg, shared.values()), shared.keys()))]
            candidates = [o for o in ranked_by_skills if o != iri][:SIMILAR_CANDIDATES]
        else:
            shared = Counter({other: 0 for fld in base.fields for other in self.specs_by_field[fld][:SIMILAR_CANDIDATES]})
            shared.pop(iri, None)
            candidates = [o for o, _ in heapq.nsmallest(SIMILAR_CANDIDATES, shared.items(), key=lambda x: (-x[1], x[0]))]
        ranked = []
        for other in candidates:
            b = self.facts[other]
            if base.providers and b.providers & base.providers:
                continue
            score = similarity_score(base, b, self.ancestors, self.field_codes, self.covered)
            if score >= SIMILAR_MIN_SCORE:
                ranked.append((other, score))
        ranked.sort(key=lambda x: (-x[1], x[0]))
        return ranked[:SIMILAR_SHOWN]

    def _group(self) -> None:
        cat = self.cat
        self.by_provider = cg.specs_by(cat, "provider")
        self.by_skill = cg.specs_by(cat, "skill")
        self.by_eqf = cg.specs_by(cat, "eqf")
        self.by_field = cg.specs_by(cat, "field")
        countries = {cat.country_of(s) for s in cat.specs.values()} - {None}
        qualifications = sum(1 for s in cat.specs.values() if s.kind == "qualification")
        self.stats = {"specs": len(cat.specs), "micro": len(cat.specs) - qualifications, "qualifications": qualifications,
                      "providers": len(self.by_provider), "countries": len(countries), "skills": len(self.by_skill)}
        # Which rules each specification counts towards, and which it is the target of.
        self.rules_with: dict[str, list] = defaultdict(list)
        self.rules_for: dict[str, list] = defaultdict(list)
        for rule in self.rules:
            self.rules_for[rule.target].append(rule)
            for component in sorted(rule.components()):
                self.rules_with[component].append(rule)

    # -- rendering ---------------------------------------------------------
    def _render(self, template: str, lang: str, path: str, *, data: str | None = None, jsonld: str | None = None,
                page: Page | None = None, **context: Any) -> None:
        page = page or Page(self, lang, path)
        links = self._links(page, lang, path, data)
        html = self.templates[lang, template].render(
            p=page, t=page.t, lang=lang, langs=LANGS, path=path, data=data, jsonld=jsonld, u=SimpleNamespace(**links),
            lang_names=self.lang_names, version=__version__, **context,
        )
        self.output.write(PREFIX[lang] + path + "index.html", html.encode("utf-8"))

    def _render_spec(self, page: Page, title: str, parts: SimpleNamespace, jsonld: str) -> None:
        """A specification page, filled from a skeleton of ``spec.html`` (:mod:`credgraph.site.skeleton`).

        The template's one decision on a value that is not a test of emptiness is
        which navigation entry is the current page: never a specification page.
        """
        path, lang = page.path, page.lang
        links = self._links(page, lang, path, path)
        names = ("title", "jsonld", "data", "path", *("u." + k for k in links), *("f." + k for k in vars(parts)))
        values = [title, jsonld, path, path, *links.values(), *vars(parts).values()]
        html = self.spec_skeletons[lang].render(names, values, {"p": page})
        self.output.write(PREFIX[lang] + path + "index.html", html.encode("utf-8"))

    def _links(self, page: Page, lang: str, path: str, data: str | None) -> dict[str, str]:
        """The links every page has, made here once rather than by a template call each."""
        url, asset = page.url, page.asset
        hrefs = [(code, escape(url(path, code))) for code in LANGS]
        alternates = "".join(f'<link rel="alternate" hreflang="{code}" href="{href}">\n' for code, href in hrefs)
        switcher = []
        for code, href in hrefs:
            current = ' aria-current="true"' if code == lang else ""
            switcher.append(f'<li><a href="{href}" hreflang="{code}" lang="{code}" data-lang="{code}"{current}>'
                            f'{self.lang_names_html[code]}</a></li>\n')
        links = {"css": asset("static/style.css"), "default": hrefs[0][1], "alternates": Markup(alternates),
                 "switcher": Markup("".join(switcher)),
                 "home": url(""), "search": url("search/"), "browse": url("browse/"), "about": url("about/")}
        if data:
            links["ttl"], links["jsonld"] = asset(data + "index.ttl"), asset(data + "index.jsonld")
        return links

    def _data_files(self, path: str, triples: list, schema_node: dict) -> tuple[str, str]:
        """Write ``index.ttl`` and ``index.jsonld`` beside the English page; return the embedded JSON-LD."""
        self.output.write(path + "index.ttl", linkeddata.turtle(triples))
        nodes = [schema_node, *linkeddata.jsonld_nodes(triples)]
        text = linkeddata.json_text(nodes)
        self.output.write(path + "index.jsonld", text)
        return path, text

    def _spec_unit(self, spec: cg.SpecRecord) -> None:
        """One specification's pages and data files, unless nothing they show changed."""
        path = cg.page_path("spec", spec.iri)
        details = {lang: cg.specification_detail(self.cat, spec, lang) for lang in LANGS}
        stacking = {lang: self._stacking_view(spec, lang) for lang in LANGS}
        similar = self._similar(spec.iri)
        equivalents = {lang: self._equivalents(spec, lang, similar) for lang in LANGS}
        triples = linkeddata.describe(self.data, spec.iri)
        schema = schema_course(details["en"], self.cat, spec)
        pages = []
        for lang in LANGS:
            page = Page(self, lang, path)
            pages.append((page, details[lang].title.text, spec_fragments(page, details[lang], stacking[lang], equivalents[lang])))
        # The digest of what the templates are given (the page parts are built for it anyway): far
        # cheaper than one of the view data the parts are made from, and as exact.
        texts = [self.code, path, repr(schema), *map(str, triples)]
        for _, title, parts in pages:
            texts.append(title)
            texts.extend(vars(parts).values())
        if self.output.reuse("spec " + path, text_fingerprint(texts)):
            return
        _, jsonld = self._data_files(path, triples, schema)
        for page, title, parts in pages:
            self._render_spec(page, title, parts, jsonld)

    def _stacking_view(self, spec: cg.SpecRecord, lang: str) -> list[dict]:
        """The rules ``spec`` counts towards: target, and the other components it stacks with."""
        views = []
        for rule in self.rules_with.get(spec.iri, []):
            others = sorted({c for c in rule.components() if c != spec.iri})
            views.append({
                "rule": rule,
                "path": cg.page_path("pathway", rule.iri),
                "target": self.cat.ref(rule.target, lang, "spec"),
                "with": [self.cat.ref(o, lang, "spec") for o in others],
            })
        return views

    def _equivalents(self, spec: cg.SpecRecord, lang: str, similar: list[tuple[str, float]]) -> list[dict]:
        rows = [{"ref": self.cat.ref(o, lang, "spec"), "relation": rel, "score": None} for o, rel in self.matches.get(spec.iri, [])]
        recorded = {o for o, _ in self.matches.get(spec.iri, [])}
        rows += [{"ref": self.cat.ref(o, lang, "spec"), "relation": "similar", "score": score}
                 for o, score in similar if o not in recorded]
        return rows

    def _list_units(self, facet: str, iri: str) -> None:
        """The pages of a provider, skill, EQF level or field: its specifications, LIST_PAGE a page.

        The provider and skill pages have linked-data files (beside their first page).
        """
        cat = self.cat
        path = cg.page_path(facet, iri)
        specs = {"provider": self.by_provider, "skill": self.by_skill, "eqf": self.by_eqf, "field": self.by_field}[facet][iri]
        items = {lang: self._summaries(specs, lang) for lang in LANGS}
        headings = {lang: cat.label(iri, lang) for lang in LANGS}
        org = cat.orgs.get(iri) if facet == "provider" else None
        countries = {lang: cat.ref(org.country if org else None, lang, "country") for lang in LANGS}
        homepage = org.homepage if org else None
        schema = triples = None
        if facet == "provider":
            schema = {"@context": SCHEMA_CONTEXT, "@type": "Organization", "@id": iri, "name": headings["en"].text}
            if homepage:
                schema["url"] = homepage
            triples = linkeddata.describe(self.data, iri)
        elif facet == "skill":
            schema = {"@context": SCHEMA_CONTEXT, "@type": "DefinedTerm", "@id": iri, "name": headings["en"].text,
                      "inDefinedTermSet": "http://data.europa.eu/esco/concept-scheme/skills"}
            triples = linkeddata.describe_skill(self.data, iri)
        key = {"provider": "provider_specs", "skill": "skill_specs", "eqf": "level_specs", "field": "field_specs"}[facet]
        total = max(1, math.ceil(len(specs) / LIST_PAGE))
        pages = [path if n == 1 else f"{path}{n}/" for n in range(1, total + 1)]
        for n, page_path in enumerate(pages, 1):
            window = {lang: items[lang][(n - 1) * LIST_PAGE:n * LIST_PAGE] for lang in LANGS}
            first = n == 1 and schema is not None
            cards = {lang: [self.card_cache[(s.iri, lang)] for s in window[lang]] for lang in LANGS}
            if self.output.reuse(f"{facet} {page_path}", fingerprint(
                    self.code, headings, countries, homepage, cards, total, (schema, triples) if first else None)):
                continue
            data = jsonld = None
            if first:
                data, jsonld = self._data_files(path, triples, schema)
            for lang in LANGS:
                list_title = page_t(self, lang, key)
                if total > 1:
                    list_title += " · " + self.strings[lang]["page_n"].replace("{n}", str(n)).replace("{total}", str(total))
                self._render("list.html", lang, page_path, data=data, jsonld=jsonld, title=headings[lang].text, kind=facet,
                             heading=headings[lang], items=window[lang], list_title=list_title,
                             country=countries[lang], homepage=homepage, iri=iri, paging=self._paging(lang, page_path, pages, n))

    def _paging(self, lang: str, path: str, pages: list[str], n: int) -> dict:
        """Page ``n`` of a list of ``pages``, with their links from ``path`` (made once per depth: each
        page of the list of all specifications links to a hundred others)."""
        root = "../" * (PREFIX[lang] + path).count("/")
        key = (lang, root, pages[0], len(pages))
        urls = self.pager_urls.get(key)
        if urls is None:
            urls = self.pager_urls[key] = [root + PREFIX[lang] + other for other in pages]
        return {"n": n, "pages": pages, "urls": urls}

    def _summaries(self, specs, lang: str) -> list[cg.SpecSummary]:
        """Search-hit views of ``specs`` sorted by title, each built once per language with its card."""
        cache = self.summary_cache
        items = []
        page = None
        for spec in specs:
            key = (spec.iri, lang)
            if key not in cache:
                s = cache[key] = self.cat.summary(spec, lang)
                self.sort_keys[key] = (cg.normalise(s.title.text), s.iri)
                page = page or Page(self, lang, "")
                # The card's text is what a list page shows of the specification: its fingerprint part.
                self.card_cache[key] = page.card_tail(s)
            items.append(cache[key])
        items.sort(key=lambda s: self.sort_keys[(s.iri, lang)])
        return items

    def _pathway_unit(self, rule) -> None:
        cat = self.cat
        path = cg.page_path("pathway", rule.iri)
        schema = {"@context": SCHEMA_CONTEXT, "@type": "EducationalOccupationalCredential", "@id": rule.target,
                  "name": cat.label(rule.target, "en").text,
                  "competencyRequired": [cat.label(c, "en").text for c in sorted(rule.components())]}
        triples = [] if rule.implied else linkeddata.describe(self.data, rule.iri)
        views = {}
        for lang in LANGS:
            page = Page(self, lang, path)
            views[lang] = ([self._condition_view(cond, lang, page) for cond in rule.conditions], rule_filters(rule, page),
                           cat.ref(rule.target, lang, "spec"))
        if self.output.reuse("pathway " + path, fingerprint(self.code, rule, views, schema, triples)):
            return
        if rule.implied:
            jsonld = linkeddata.json_text([schema])
            data = None
        else:
            data, jsonld = self._data_files(path, triples, schema)
        for lang in LANGS:
            page = Page(self, lang, path)
            conditions, filters, target = views[lang]
            title = f'{page.t["pathway"]}: {target.label.text}'
            def box(ref: cg.Ref, page: Page = page) -> diagram.DiagramItem:
                return diagram.DiagramItem(ref.label.text, page.url(ref.path) if ref.path else "")

            svg = diagram.rule_svg(
                "d" + cg.slug_of("pathway", rule.iri).replace("/", "-").replace(".", "-"), title, box(target),
                [diagram.DiagramCondition(c["heading"], [box(i) for i in c["items"]]) for c in conditions], filters,
            )
            self._render("pathway.html", lang, path, data=data, jsonld=jsonld, title=title, rule=rule, target=target,
                         conditions=conditions, filters=filters, svg=Markup(svg),
                         rule_title=rule.title)

    def _condition_view(self, cond, lang: str, page: Page) -> dict:
        kind = cond.kind
        if kind == "at-least":
            heading = page.fmt("cond_atleast", n=cond.min_count or 0)
        elif kind == "min-credits":
            key = "cond_credits" if cond.components else "cond_credits_any"
            heading = page.fmt(key, n=page.num(cond.min_credits or 0))
        elif kind == "skills":
            heading = page.t["cond_skills"]
        else:
            heading = page.t["cond_allof"]
        if kind == "skills":
            items = [self.cat.ref(s, lang, "skill") for s in cond.skills]
            items = [i if i.iri in self.by_skill else cg.Ref(i.iri, i.key, i.label, "") for i in items]
        else:
            items = [self.cat.ref(c, lang, "spec") for c in cond.components]
        notes = []
        if cond.min_level:
            notes.append(page.fmt("cond_minlevel", n=cond.min_level))
        if cond.max_age:
            notes.append(page.fmt("cond_maxage", n=page.num(cond.max_age)))
        return {"heading": heading, "items": items, "notes": notes}

    def _browse_all_units(self, lang: str) -> None:
        """Every specification A to Z, LIST_PAGE a page, in one language."""
        summaries = self._summaries(self.cat.specs.values(), lang)
        total = max(1, math.ceil(len(summaries) / LIST_PAGE))
        pages = ["browse/all/" if n == 1 else f"browse/all/{n}/" for n in range(1, total + 1)]
        for n, path in enumerate(pages, 1):
            window = summaries[(n - 1) * LIST_PAGE:n * LIST_PAGE]
            cards = [self.card_cache[(s.iri, lang)] for s in window]
            if self.output.reuse(f"all {PREFIX[lang]}{path}", fingerprint(self.code, lang, cards, total)):
                continue
            page = Page(self, lang, path)
            self._render("list.html", lang, path, title=page.t["browse_all"], kind="all",
                         heading=cg.Text(page.t["browse_all"], lang), items=window,
                         list_title=page.fmt("page_n", n=n, total=total), country=None, homepage=None, iri=None,
                         paging=self._paging(lang, path, pages, n))

    def _browse_page(self) -> None:
        """The browsing entry page: EQF levels, fields, providers, skills, pathways (every language)."""
        cat = self.cat
        for lang in LANGS:
            groups = {
                "eqf": sorted(((cat.ref(i, lang, "eqf"), len(s)) for i, s in self.by_eqf.items()), key=lambda x: (len(x[0].key), x[0].key)),
                "field": _by_label((cat.ref(i, lang, "field"), len(s)) for i, s in self.by_field.items()),
                "provider": _by_label((cat.ref(i, lang, "provider"), len(s)) for i, s in self.by_provider.items()),
                "skill": _by_label((cat.ref(i, lang, "skill"), len(s)) for i, s in self.by_skill.items()),
            }
            pathways = sorted(((cg.page_path("pathway", r.iri), cat.ref(r.target, lang, "spec")) for r in self.rules),
                              key=lambda x: cg.normalise(x[1].label.text))
            self._render("browse.html", lang, "browse/", title=self.strings[lang]["browse_title"], groups=groups,
                         pathways=pathways)

    @functools.cached_property
    def _sources(self) -> tuple[list[tuple[str, str, str]], int]:
        """The vocabularies and catalogues the data comes from, and the number of graphs.

        Issued credentials are counted, not listed: there may be hundreds of
        thousands, and each names only a pseudonymous record.
        """
        offer = {name for name, _, _ in cg.offer_graphs(self.store)}
        graphs = [g for g in self.store.graphs() if g.kind in ("vocab", "source")]
        listed = sorted({(g.kind, g.source, g.title) for g in graphs if g.name in offer})
        return listed, len(graphs)

    def _about(self, lang: str) -> None:
        sources, graph_count = self._sources
        self._render("about.html", lang, "about/", title=self.strings[lang]["about_title"], sources=sources,
                     graph_count=graph_count, sparql=self.sparql_endpoint)

    def _dump(self, data: snapshot.Snapshot) -> None:
        """The public dataset as gzipped N-Quads (mtime 0: identical data gives identical bytes).

        Runs in a thread beside the reading and rendering (zlib releases the GIL).
        """
        try:
            self.packed = gzip.compress(data.nquads(), compresslevel=6, mtime=0)
        except StoreError as exc:
            self.packed, self.pack_error = None, exc

    def _sitemap(self) -> None:
        pages = sorted(rel[:-len("index.html")] for rel in self.output.current if rel.endswith("index.html"))
        urls = "".join(f"<url><loc>{escape(self.base_url + p)}</loc></url>\n" for p in pages)
        self.output.write("sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
                          '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n")


_ACTIVE: "SiteBuilder | None" = None


def _side_reads_entry() -> dict:
    assert _ACTIVE is not None
    return _ACTIVE._side_reads()


def _run_chunk(tasks: list[tuple]) -> dict:
    assert _ACTIVE is not None
    return _ACTIVE._run_chunk(tasks)


def _memoise_lookups(cat: cg.Catalogue) -> None:
    """Remember the catalogue's labels and references: every page asks for the same few thousand again and again.

    Safe because the catalogue is not changed once read, and :class:`cg.Ref` and
    :class:`cg.Text` are immutable. Each worker process fills its own copy.
    """
    cat.ref = functools.lru_cache(maxsize=None)(cat.ref)  # type: ignore[method-assign]
    cat.label = functools.lru_cache(maxsize=None)(cat.label)  # type: ignore[method-assign]


def fingerprint(*parts: Any) -> str:
    """A digest of everything a page is rendered from: equal digests, equal pages.

    The parts are dataclasses, lists, dicts and RDF terms built in a fixed
    order from the snapshot, so their ``repr`` is a faithful, stable text.
    """
    text = repr(parts)
    if " object at 0x" in text:  # an object without a value repr would make every digest new
        raise TypeError("a page fingerprint includes an object without a stable repr")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def text_fingerprint(texts: list[str]) -> str:
    """A digest of a list of texts (page parts, labels, serialised terms), each kept apart from the next."""
    return hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:32]


def code_fingerprint(*settings: str) -> str:
    """A digest of what shapes every page besides the data: templates, strings, this code, settings."""
    digest = hashlib.sha256(repr((__version__, settings)).encode("utf-8"))
    package = resources.files("credgraph.site")
    for folder in ("templates", "i18n", "static"):
        for item in sorted(package.joinpath(folder).iterdir(), key=lambda x: x.name):
            if item.is_file():
                digest.update(item.name.encode("utf-8") + b"\0" + item.read_bytes())
    for module in ("build.py", "diagram.py", "linkeddata.py", "skeleton.py", "snapshot.py"):
        digest.update(package.joinpath(module).read_bytes())
    return digest.hexdigest()[:32]


def page_t(builder: SiteBuilder, lang: str, key: str) -> str:
    return builder.strings[lang][key]


def _by_label(pairs) -> list:
    return sorted(pairs, key=lambda x: (cg.normalise(x[0].label.text), x[0].iri))


def rule_filters(rule, page: Page) -> list[str]:
    """The rule-wide filters (minimum level, age, span) as sentences."""
    notes = []
    if rule.min_level:
        notes.append(page.fmt("cond_minlevel", n=rule.min_level))
    if rule.max_age:
        notes.append(page.fmt("cond_maxage", n=page.num(rule.max_age)))
    if rule.max_span:
        notes.append(page.fmt("cond_span", n=page.num(rule.max_span)))
    return notes


def schema_course(detail: cg.SpecificationDetail, cat: cg.Catalogue, spec: cg.SpecRecord) -> dict:
    """The schema.org view of a specification: a Course awarding an EducationalOccupationalCredential."""
    credential: dict[str, Any] = {"@type": "EducationalOccupationalCredential", "name": detail.title.text,
                                  "credentialCategory": spec.kind}
    if detail.eqf:
        credential["educationalLevel"] = {"@type": "DefinedTerm", "@id": detail.eqf.iri, "name": detail.eqf.label.text}
    if detail.provider:
        credential["recognizedBy"] = {"@id": detail.provider.iri}
    node: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "Course",
        "@id": spec.iri,
        "name": detail.title.text,
        "educationalCredentialAwarded": credential,
    }
    if detail.description:
        node["description"] = detail.description.text
    if detail.provider:
        node["provider"] = {"@type": "Organization", "@id": detail.provider.iri, "name": detail.provider.label.text}
    if detail.ects is not None:
        node["numberOfCredits"] = detail.ects
    if detail.hours is not None:
        node["timeRequired"] = f"PT{detail.hours:g}H"
    if detail.languages:
        node["inLanguage"] = [r.key for r in detail.languages]
    skills = [s for o in detail.outcomes for s in o.skills]
    if skills:
        node["teaches"] = [{"@type": "DefinedTerm", "@id": s.iri, "name": s.label.text} for s in skills]
    if detail.field:
        node["about"] = {"@type": "DefinedTerm", "@id": detail.field.iri, "name": detail.field.label.text}
    if detail.homepages:
        node["url"] = detail.homepages[0]
    return node


# -- the search index ----------------------------------------------------------


def search_index(cat: cg.Catalogue, lang: str) -> str:
    """The compact offline search index of one language (see :func:`search_indexes`)."""
    return search_indexes(cat, (lang,))[lang]


def search_indexes(cat: cg.Catalogue, langs: tuple[str, ...] = LANGS) -> dict[str, str]:
    """The compact offline search index of each language in ``langs``.

    ``facets``: per facet, a table of ``[key, label, label language if fallback]``;
    ``docs``: per specification ``[path, title, title language if fallback,
    ECTS, [[value indexes] per facet in FACETS order], normalised text]``.
    The text holds title, description and outcomes; the browser adds the
    labels of the provider, field and skills from the facet tables. What does
    not depend on the language (facet keys, paths) is worked out once for all.
    """
    specs = list(cat.specs.values())
    shared = [(cg.page_path("spec", spec.iri), cat.facet_values(spec)) for spec in specs]
    indexes = {}
    for lang in langs:
        tables: dict[str, dict[str, int]] = {f: {} for f in cg.FACETS}
        rows: dict[str, list] = {f: [] for f in cg.FACETS}
        for key, _, _ in cg.ECTS_RANGES:
            tables["ects"][key] = len(rows["ects"])
            rows["ects"].append([key, key.replace("-", "–") + " ECTS", ""])
        titles = [cg.pick(s.titles, lang) if s.titles else None for s in specs]
        # Equal titles in IRI order: the catalogue's own order may differ from one read to the next.
        order = sorted(range(len(specs)), key=lambda i: (cg.normalise(titles[i].text) if titles[i] else specs[i].iri, specs[i].iri))
        docs = []
        for i in order:
            spec = specs[i]
            path, values = shared[i]
            idx = []
            for facet in cg.FACETS:
                column = []
                table = tables[facet]
                for key in values[facet]:
                    if key not in table:
                        iri = cat.facet_iri(facet, key)
                        label = cat.label(iri, lang) if iri else cg.Text(key, "", True)
                        table[key] = len(rows[facet])
                        rows[facet].append([key, label.text, label.lang if label.fallback else ""])
                    column.append(table[key])
                idx.append(column)
            title = titles[i] or cg.Text(cg.key_of(spec.iri), "", True)
            words = [title.text]
            if spec.descriptions:
                words.append(cg.pick(spec.descriptions, lang).text)
            words.extend(cg.pick(o.titles, lang).text for o in spec.outcomes if o.titles)
            docs.append([path, title.text, title.lang if title.fallback else "", spec.ects, idx, cg.normalise(" ".join(words))])
        indexes[lang] = json.dumps({"v": 1, "lang": lang, "facetNames": list(cg.FACETS), "facets": rows, "docs": docs},
                                   ensure_ascii=False, separators=(",", ":"))
    return indexes


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
