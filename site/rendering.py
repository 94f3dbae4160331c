"""Rendering: a page, in one language, to HTML written into the output folder.

Templates are compiled once per language with their interface strings written
in (:func:`environment`); a specification page is filled from a skeleton of
``spec.html`` (:mod:`credgraph.site.skeleton`) instead of running Jinja. The
:class:`Renderer` also keeps the markup every page shares (escaped strings,
references, cards, pager links), made once per language and page depth.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined
from markupsafe import Markup, escape

from credgraph import __version__
from credgraph.graph.services.catalogue_naming import normalise
from credgraph.graph.services.catalogue_records import Catalogue
from credgraph.graph.services.catalogue_results import Ref, SpecSummary
from credgraph.site import linkeddata, skeleton
from credgraph.site.output import SiteOutput
from credgraph.site.page import LANGS, PREFIX, Page

TEMPLATES = ("home.html", "search.html", "spec.html", "list.html", "browse.html", "pathway.html", "about.html")


def package_text(*parts: str) -> str:
    """A text file shipped in the site package (template, strings, static file)."""
    return resources.files("credgraph.site").joinpath(*parts).read_text("utf-8")


def load_strings() -> dict[str, dict[str, str]]:
    """Interface strings per language (``site/i18n/<lang>.json``)."""
    return {lang: json.loads(package_text("i18n", f"{lang}.json")) for lang in LANGS}


_STRING_OUTPUT = re.compile(r"\{\{ t\.(\w+) \}\}")
_EXTENDS = re.compile(r'\{% extends "([\w.]+)" %\}')


def environment(strings: dict[str, dict[str, str]]) -> Environment:
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

        source = _STRING_OUTPUT.sub(constant, package_text("templates", base))
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



class Renderer:
    """Writes pages of one build into its output folder, with the markup they share."""

    def __init__(self, output: SiteOutput) -> None:
        self.output = output
        self.strings = load_strings()
        self.env = environment(self.strings)
        self.templates = {(lang, name): self.env.get_template(f"{lang}/{name}") for lang in LANGS for name in TEMPLATES}
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
        self.ref_html: dict[tuple[int, str, str], tuple[Ref, Markup]] = {}
        self.tag_html: dict[tuple[int, str, str], tuple[Ref, str]] = {}
        self.label_html: dict[tuple[int, str], tuple[Ref, Markup]] = {}
        self.summary_cache: dict[tuple[str, str], SpecSummary] = {}
        self.sort_keys: dict[tuple[str, str], tuple[str, str]] = {}

    def render(self, template: str, lang: str, path: str, *, data: str | None = None, jsonld: str | None = None,
               page: Page | None = None, **context: Any) -> None:
        """Page ``path`` in ``lang`` from ``template`` (rendered by Jinja)."""
        page = page or Page(self, lang, path)
        links = self.links(page, lang, path, data)
        html = self.templates[lang, template].render(
            p=page, t=page.t, lang=lang, langs=LANGS, path=path, data=data, jsonld=jsonld, u=SimpleNamespace(**links),
            lang_names=self.lang_names, version=__version__, **context,
        )
        self.output.write(PREFIX[lang] + path + "index.html", html.encode("utf-8"))

    def render_spec(self, page: Page, title: str, parts: SimpleNamespace, jsonld: str) -> None:
        """A specification page, filled from a skeleton of ``spec.html`` (:mod:`credgraph.site.skeleton`).

        The template's one decision on a value that is not a test of emptiness is
        which navigation entry is the current page: never a specification page.
        """
        path, lang = page.path, page.lang
        links = self.links(page, lang, path, path)
        names = ("title", "jsonld", "data", "path", *("u." + k for k in links), *("f." + k for k in vars(parts)))
        values = [title, jsonld, path, path, *links.values(), *vars(parts).values()]
        html = self.spec_skeletons[lang].render(names, values, {"p": page})
        self.output.write(PREFIX[lang] + path + "index.html", html.encode("utf-8"))

    def links(self, page: Page, lang: str, path: str, data: str | None) -> dict[str, str]:
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

    def data_files(self, path: str, triples: list, schema_node: dict) -> tuple[str, str]:
        """Write ``index.ttl`` and ``index.jsonld`` beside the English page; return the embedded JSON-LD."""
        self.output.write(path + "index.ttl", linkeddata.turtle(triples))
        nodes = [schema_node, *linkeddata.jsonld_nodes(triples)]
        text = linkeddata.json_text(nodes)
        self.output.write(path + "index.jsonld", text)
        return path, text

    def paging(self, lang: str, path: str, pages: list[str], n: int) -> dict:
        """Page ``n`` of a list of ``pages``, with their links from ``path`` (made once per depth: each
        page of the list of all specifications links to a hundred others)."""
        root = "../" * (PREFIX[lang] + path).count("/")
        key = (lang, root, pages[0], len(pages))
        urls = self.pager_urls.get(key)
        if urls is None:
            urls = self.pager_urls[key] = [root + PREFIX[lang] + other for other in pages]
        return {"n": n, "pages": pages, "urls": urls}

    def summaries(self, cat: Catalogue, specs, lang: str) -> list[SpecSummary]:
        """Search-hit views of ``specs`` sorted by title, each built once per language with its card."""
        cache = self.summary_cache
        items = []
        page = None
        for spec in specs:
            key = (spec.iri, lang)
            if key not in cache:
                s = cache[key] = cat.summary(spec, lang)
                self.sort_keys[key] = (normalise(s.title.text), s.iri)
                page = page or Page(self, lang, "")
                # The card's text is what a list page shows of the specification: its fingerprint part.
                self.card_cache[key] = page.card_tail(s)
            items.append(cache[key])
        items.sort(key=lambda s: self.sort_keys[(s.iri, lang)])
        return items
