"""The static site build: pages, links, HTML, linked data, languages, incremental rebuilds."""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox
import pytest

from credgraph.graph.sources import vocab
from credgraph.graph.store.interface import Provenance, content_hash, open_store
from credgraph.site.build import build_site
from test_catalogue import FIXTURES, SPEC, load_fixture

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ANNEX_ELEMENTS = ["title", "provider", "country", "workload", "eqf", "field", "outcomes", "assessment", "participation",
                  "quality_assurance", "prerequisites", "id_verification", "stackability"]


class PageParser(HTMLParser):
    """Collects links, ids and nesting errors of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.links: list[tuple[str, str, dict]] = []
        self.scripts: list[str] = []
        self._in_script: dict | None = None
        self.html_lang = None
        self.elements: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if "id" in a:
            self.ids.append(a["id"])
        for attr in ("href", "src"):
            if attr in a:
                self.links.append((tag, a[attr], a))
        if tag == "script":
            self._in_script = a
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void element {tag}")
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None and self._in_script.get("type") == "application/ld+json":
            self.scripts.append(data)

    def handle_decl(self, decl):
        self.doctype = decl


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text("utf-8"))
    parser.close()
    return parser


def make_store(kind: str = "memory:"):
    store = open_store(kind)
    vocab.load_shipped(store)
    load_fixture(store)
    return store


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    store = make_store()
    report = build_site(store, out)
    yield out, report, store
    store.close()


def html_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("index.html"))


def test_build_writes_every_page_type(built):
    out, report, _ = built
    assert report.specifications == 5
    for lang_prefix in ("", "de/", "fr/"):
        for page in ("", "search/", "browse/", "browse/all/", "about/", "spec/data-analytics-python/",
                     "provider/tu-berlin/", "skill/ccd0a1d9-afda-43d9-b901-96344886e14d/", "eqf/6/", "field/0613/",
                     "pathway/data-science-pathway/"):
            assert (out / lang_prefix / page / "index.html").is_file(), lang_prefix + page
    for name in ("sitemap.xml", "search-index.en.json", "search-index.de.json", "search-index.fr.json",
                 "data/credgraph.nq.gz", "static/style.css", "static/search.js", "robots.txt"):
        assert (out / name).is_file(), name
    assert report.pages == len(html_pages(out))


def broken_links(out: Path) -> tuple[list[str], int]:
    """Internal links of every page of the site in ``out`` that lead nowhere, and how many links were checked."""
    broken = []
    checked = 0
    for page in html_pages(out):
        parser = parse_page(page)
        ids = set(parser.ids)
        for tag, link, attrs in parser.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                # External links are plain anchors marked rel=external; nothing is loaded from elsewhere.
                assert tag == "a" and "external" in attrs.get("rel", ""), f"{page}: external {tag} {link}"
                continue
            checked += 1
            if not parts.path:
                if parts.fragment and parts.fragment not in ids:
                    broken.append(f"{page}: #{parts.fragment}")
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or out.resolve() not in target.parents:
                broken.append(f"{page.relative_to(out)} -> {link}")
    return broken, checked


def test_every_internal_link_resolves(built):
    out, _, _ = built
    broken, checked = broken_links(out)
    assert checked > 500
    assert broken == []


def test_html_is_well_formed(built):
    out, _, _ = built
    problems = []
    for page in html_pages(out):
        parser = parse_page(page)
        text = page.read_text("utf-8")
        if not text.startswith("<!doctype html>"):
            problems.append(f"{page}: no doctype")
        if parser.stack:
            problems.append(f"{page}: unclosed {parser.stack}")
        problems += [f"{page}: {e}" for e in parser.errors]
        dupes = {i for i in parser.ids if parser.ids.count(i) > 1}
        if dupes:
            problems.append(f"{page}: duplicate ids {dupes}")
        if parser.html_lang not in ("en", "de", "fr"):
            problems.append(f"{page}: html lang {parser.html_lang}")
        for marker in ('<main id="main"', "<header", "<footer", "<nav", "<h1"):
            if marker not in text:
                problems.append(f"{page}: no {marker}")
    assert problems == []


def test_spec_page_shows_every_annex_element_in_each_language(built):
    out, _, _ = built
    for prefix, title, country in (("", "Data Analytics with Python", "Germany"),
                                   ("de/", "Datenanalyse mit Python", "Deutschland"),
                                   ("fr/", "Analyse de données avec Python", "Allemagne")):
        text = (out / prefix / "spec/data-analytics-python/index.html").read_text("utf-8")
        assert f"<h1>{title}</h1>" in text
        for element in ANNEX_ELEMENTS:
            block = re.search(rf'<div data-element="{element}">(.*?)</div>', text, re.S)
            assert block, element
            assert "missing" not in block.group(1), (prefix, element)
        assert country in text
        assert "125" in text and "5 ECTS" in text
    de = (out / "de/spec/data-analytics-python/index.html").read_text("utf-8")
    # The outcome without a German text falls back to English, visibly.
    assert '<span lang="en">Build and evaluate statistical models.</span> <abbr class="fallback"' in de
    assert "Zertifikat Data Science" in de  # stacks into


def test_hreflang_and_language_switcher(built):
    out, _, _ = built
    text = (out / "fr/provider/tu-berlin/index.html").read_text("utf-8")
    assert '<link rel="alternate" hreflang="en" href="../../../provider/tu-berlin/">' in text
    assert '<link rel="alternate" hreflang="de" href="../../../de/provider/tu-berlin/">' in text
    assert 'hreflang="fr" lang="fr" data-lang="fr" aria-current="true"' in text


def test_linked_data_beside_pages(built):
    out, _, _ = built
    page = (out / "de/spec/data-analytics-python/index.html").read_text("utf-8")
    assert '<link rel="alternate" type="text/turtle" href="../../../spec/data-analytics-python/index.ttl">' in page
    parser = parse_page(out / "de/spec/data-analytics-python/index.html")
    embedded = json.loads(parser.scripts[0])
    course = embedded[0]
    assert course["@type"] == "Course" and course["educationalCredentialAwarded"]["@type"] == "EducationalOccupationalCredential"
    assert course["numberOfCredits"] == 5.0
    assert any(n.get("@id") == SPEC + "data-analytics-python" and "http://data.europa.eu/snb/model/elm/learningOutcome" in n
               for n in embedded[1:])
    ttl = (out / "spec/data-analytics-python/index.ttl").read_bytes()
    triples = list(ox.parse(ttl, ox.RdfFormat.TURTLE))
    assert any(t.predicate.value.endswith("relatedESCOSkill") for t in triples)
    # The JSON-LD file is the same document as the embedded one, and parses as RDF.
    jsonld = (out / "spec/data-analytics-python/index.jsonld").read_bytes()
    assert json.loads(jsonld) == embedded
    assert len(list(ox.parse(jsonld, ox.RdfFormat.JSON_LD))) > 20
    for kind in ("provider/tu-berlin", "skill/ccd0a1d9-afda-43d9-b901-96344886e14d", "pathway/data-science-pathway"):
        assert list(ox.parse((out / kind / "index.ttl").read_bytes(), ox.RdfFormat.TURTLE)), kind


def test_dump_sitemap_and_index(built):
    out, _, store = built
    quads = list(ox.parse(gzip.decompress((out / "data/credgraph.nq.gz").read_bytes()), ox.RdfFormat.N_QUADS))
    assert any(q.subject.value == SPEC + "data-analytics-python" for q in quads)
    sitemap = (out / "sitemap.xml").read_text("utf-8")
    assert sitemap.count("<url>") == len(html_pages(out))
    index = json.loads((out / "search-index.fr.json").read_text("utf-8"))
    assert len(index["docs"]) == 5 and index["facetNames"][0] == "eqf"
    titles = {d[1] for d in index["docs"]}
    assert "Analyse de données avec Python" in titles


def test_pathway_diagram_is_svg(built):
    out, _, _ = built
    text = (out / "pathway/data-science-pathway/index.html").read_text("utf-8")
    svg = re.search(r"<svg .*?</svg>", text, re.S).group(0)
    assert 'role="group"' in svg and "<title" in svg
    assert "Machine Learning Basics" in svg and "At least 1 of these" in svg
    assert "Certificate in Data Science" in svg
    # Each box with a page links to it, and every link leads to a page of the site.
    links = dict(re.findall(r'<a href="([^"]+)"><title>([^<]+)</title>', svg))
    assert "Machine Learning Basics" in links.values() and "Certificate in Data Science" in links.values()
    for href in links:
        assert (out / "pathway/data-science-pathway" / href / "index.html").resolve().is_file(), href
    implied = out / "pathway/parts/data-science-certificate/index.html"
    assert not implied.exists()  # the explicit rule replaces the implied one for this target


def test_no_external_requests(built):
    out, _, _ = built
    for path in list(out.rglob("*.html")) + list(out.rglob("*.css")) + list(out.rglob("*.js")):
        text = path.read_text("utf-8")
        assert not re.search(r"(?:src|@import|url\()\s*=?\s*[\"']?(?:https?:)?//", text), path


def test_incremental_rebuild_rewrites_only_affected_pages(tmp_path):
    store = make_store()
    out = tmp_path / "site"
    first = build_site(store, out)
    again = build_site(store, out, incremental=True)
    assert again.written == 0 and again.unchanged == first.files
    # Change one specification's German title.
    data = (FIXTURES / "catalogue.ttl").read_text("utf-8").replace("Grundlagen des maschinellen Lernens", "Maschinelles Lernen kompakt")
    triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(data.encode(), ox.RdfFormat.TURTLE)]
    store.load_graph("urn:credgraph:source:site-catalogue", triples, Provenance("source", "catalogue.ttl", content_hash(data.encode())))
    changed = build_site(store, out, incremental=True)
    written = set(changed.written_paths)
    assert "de/spec/machine-learning-basics/index.html" in written
    assert "spec/data-analytics-python/index.html" not in written
    assert "provider/dublin-tech/index.html" not in written
    assert changed.written < first.files / 4, written
    assert "Maschinelles Lernen kompakt" in (out / "de/spec/machine-learning-basics/index.html").read_text("utf-8")
    # A specification that disappears takes its pages with it.
    data2 = data.replace("spec:cloud-security a elm:LearningAchievementSpecification", "spec:cloud-security a elm:Note")
    triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(data2.encode(), ox.RdfFormat.TURTLE)]
    store.load_graph("urn:credgraph:source:site-catalogue", triples, Provenance("source", "catalogue.ttl", content_hash(data2.encode())))
    removed = build_site(store, out, incremental=True)
    assert removed.removed >= 3 and not (out / "fr/spec/cloud-security").exists()


def test_incremental_rebuild_renders_exactly_the_pages_whose_inputs_changed(tmp_path):
    store = make_store()
    out = tmp_path / "site"
    first = build_site(store, out)

    def files() -> dict[str, tuple[bytes, int]]:
        return {str(p.relative_to(out)): (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*")
                if p.is_file() and p.name != ".credgraph-site.json"}

    before = files()
    assert first.units_rendered > 20 and len(before) == first.files
    # Nothing changed: no page is rendered, no file is touched.
    same = build_site(store, out, incremental=True)
    assert (same.written, same.units_rendered, same.rendered_units) == (0, 0, [])
    assert same.units_reused == first.units_rendered and same.unchanged == first.files
    assert files() == before
    # One specification's German title changes.
    data = (FIXTURES / "catalogue.ttl").read_text("utf-8").replace("Grundlagen des maschinellen Lernens", "Maschinelles Lernen kompakt")
    triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(data.encode(), ox.RdfFormat.TURTLE)]
    store.load_graph("urn:credgraph:source:site-catalogue", triples, Provenance("source", "catalogue.ttl", content_hash(data.encode())))
    changed = build_site(store, out, incremental=True)
    # Rendered: the specification itself, every list that shows it, the pathway and the
    # specifications whose pages name it (stacking, similar); nothing else.
    assert changed.rendered_units == [
        "all de/browse/all/", "eqf eqf/7/", "field field/0613/", "pathway pathway/data-science-pathway/",
        "provider provider/tu-berlin/", "skill skill/c41c4a5a-8658-4357-9b3a-cb9eb7ec6436/",
        "spec spec/cloud-security/", "spec spec/data-analytics-python/", "spec spec/data-science-certificate/",
        "spec spec/machine-learning-basics/",
    ]
    assert changed.units_reused == first.units_rendered - len(changed.rendered_units)
    # Written: the German pages showing the title, the specification's own pages in every
    # language (their embedded JSON-LD holds all its titles), its data files, the German
    # search index and the dump; every other file keeps its bytes and its timestamp.
    assert sorted(changed.written_paths) == [
        "data/credgraph.nq.gz", "de/browse/all/index.html", "de/eqf/7/index.html", "de/field/0613/index.html",
        "de/pathway/data-science-pathway/index.html", "de/provider/tu-berlin/index.html",
        "de/skill/c41c4a5a-8658-4357-9b3a-cb9eb7ec6436/index.html", "de/spec/cloud-security/index.html",
        "de/spec/data-analytics-python/index.html", "de/spec/data-science-certificate/index.html",
        "de/spec/machine-learning-basics/index.html", "fr/spec/machine-learning-basics/index.html",
        "search-index.de.json", "spec/machine-learning-basics/index.html", "spec/machine-learning-basics/index.jsonld",
        "spec/machine-learning-basics/index.ttl",
    ]
    after = files()
    assert set(after) == set(before)
    differing = sorted(rel for rel in after if after[rel][0] != before[rel][0])
    touched = sorted(rel for rel in after if after[rel][1] != before[rel][1])
    assert differing == touched == sorted(changed.written_paths)
    assert "Maschinelles Lernen kompakt" in (out / "de/eqf/7/index.html").read_text("utf-8")
    # A full (non-incremental) build renders everything again.
    assert build_site(store, out).units_rendered == first.units_rendered


def test_listing_pages_are_paginated_with_links_the_checker_follows(tmp_path, monkeypatch):
    from credgraph.site import pages

    monkeypatch.setattr(pages, "LIST_PAGE", 2)
    out = tmp_path / "site"
    store = make_store()
    build_site(store, out)
    second = out / "de/provider/tu-berlin/2/index.html"
    assert second.is_file() and (out / "field/0613/2/index.html").is_file()
    first_page = parse_page(out / "de/provider/tu-berlin/index.html")
    pager = [link for tag, link, attrs in first_page.links if tag == "a" and link.endswith("2/")]
    assert pager, "page 1 links to page 2"
    text = second.read_text("utf-8")
    assert 'aria-current="page">2<' in text and 'class="pager"' in text
    cards = text.count('<li class="card">')
    assert 1 <= cards <= 2
    broken, _ = broken_links(out)
    assert broken == []


def test_remote_store_builds_the_same_pages(oxigraph_server, built, tmp_path):
    from conftest import _clear_remote

    out, _, _ = built
    _clear_remote(oxigraph_server)
    store = make_store(oxigraph_server)
    remote_out = tmp_path / "remote"
    build_site(store, remote_out)
    for page in ("spec/data-analytics-python/index.html", "fr/provider/tu-berlin/index.html",
                 "spec/data-analytics-python/index.ttl", "search-index.de.json", "pathway/data-science-pathway/index.html"):
        assert (remote_out / page).read_bytes() == (out / page).read_bytes(), page


def test_cli_builds_site(tmp_path, monkeypatch):
    from credgraph.cli import main

    data = tmp_path / "data"
    monkeypatch.setenv("CREDGRAPH_DATA", str(data))
    assert main(["--store", str(data / "store"), "init"]) == 0
    store = open_store(str(data / "store"))
    load_fixture(store)
    store.close()
    assert main(["--store", str(data / "store"), "site", "build", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out/spec/data-analytics-python/index.html").is_file()
    assert main(["--store", str(data / "store"), "site", "build", str(tmp_path / "out"), "--incremental"]) == 0


def test_parallel_build_writes_the_same_files(built, tmp_path, monkeypatch):
    from credgraph.site import parallel as site_parallel

    out, _, _ = built
    monkeypatch.setattr(site_parallel, "PARALLEL_MIN_SPECS", 1)
    # Rules, matches and similarity facts read in a forked process too (as on a large site).
    monkeypatch.setattr(site_parallel, "SIDE_READS_MIN_QUADS", 1)
    store = make_store()
    report = build_site(store, tmp_path / "parallel", workers=2)
    serial = json.loads((out / ".credgraph-site.json").read_text())["files"]
    parallel = json.loads((tmp_path / "parallel" / ".credgraph-site.json").read_text())["files"]
    # The dump differs: each store records its own import times.
    assert {k: v for k, v in parallel.items() if not k.startswith("data/")} == {k: v for k, v in serial.items() if not k.startswith("data/")}
    assert report.pages == len(html_pages(tmp_path / "parallel"))


def test_about_page_lists_sources_not_issued_credentials(tmp_path):
    store = make_store()
    record = ox.Triple(ox.NamedNode("https://w3id.org/credgraph/id/issuance/cred-0123456789abcdef"),
                       ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                       ox.NamedNode("https://w3id.org/credgraph/ns#IssuanceRecord"))
    store.load_graph("urn:credgraph:source:cred-0123456789abcdef", [record],
                     Provenance("source", "credgraph:cred-0123456789abcdef", "sha256:r"))
    build_site(store, tmp_path)
    about = (tmp_path / "about" / "index.html").read_text(encoding="utf-8")
    assert "cred-0123456789abcdef" not in about
    assert "catalogue" in about or "vocab" in about


def test_search_indexes_do_not_depend_on_the_catalogues_order(built):
    """Equal titles are ordered by IRI: the catalogue's own order differs between reads of a large store."""
    import copy

    from credgraph.graph.services.catalogue_naming import page_path
    from credgraph.graph.services.catalogue_reading import load_catalogue
    from credgraph.site.search_index import search_index, search_indexes

    _, _, store = built
    cat = load_catalogue(store)
    twin = copy.copy(cat)
    # The same catalogue, read in the opposite order, with every title made equal.
    twin.specs = {iri: copy.replace(spec, titles={"en": "Same title"}) if hasattr(copy, "replace")
                  else type(spec)(**{**spec.__dict__, "titles": {"en": "Same title"}})
                  for iri, spec in reversed(list(cat.specs.items()))}
    same = copy.copy(twin)
    same.specs = dict(sorted(twin.specs.items()))
    indexes, reordered = search_indexes(same), search_indexes(twin)
    assert indexes == reordered
    docs = json.loads(indexes["de"])["docs"]
    assert [d[0] for d in docs] == [page_path("spec", iri) for iri in sorted(cat.specs)]
    assert all(d[1] == "Same title" and d[2] == "en" for d in docs)  # a fallback, marked with its language
    assert search_index(cat, "fr") == search_indexes(cat)["fr"]


KIND_AND_TWIN = """
@prefix elm: <http://data.europa.eu/snb/model/elm/> .
@prefix dc: <http://purl.org/dc/terms/> .
@prefix spec: <https://w3id.org/credgraph/id/spec/> .
@prefix org: <https://w3id.org/credgraph/id/org/> .
# The certificate is a larger qualification; a second provider offers a course of the same title.
spec:data-science-certificate a elm:Qualification ; elm:hasPart spec:ml-basics-lyon .
spec:ml-basics-lyon a elm:LearningAchievementSpecification ;
    dc:title "Machine Learning Basics"@en, "Machine Learning Basics"@de, "Machine Learning Basics"@fr ;
    elm:isPartOf spec:data-science-certificate ;
    elm:awardingOpportunity [ a elm:AwardingOpportunity ; elm:awardingBody org:univ-lyon ] .
"""


def test_qualifications_are_counted_apart_and_twin_titles_name_their_provider(tmp_path):
    store = make_store()
    store.load_graph("urn:credgraph:source:kinds", list(ox.parse(KIND_AND_TWIN.encode(), ox.RdfFormat.TURTLE)),
                     Provenance("source", "kinds.ttl", content_hash(KIND_AND_TWIN.encode())))
    out = tmp_path / "site"
    build_site(store, out)
    home = (out / "index.html").read_text("utf-8")
    assert "5 micro-credentials and 1 larger qualifications from" in home
    assert "micro-credentials from" not in (out / "de/index.html").read_text("utf-8")
    # The qualification's own page says what it is; a micro-credential's says so too.
    assert "Qualification: a larger credential" in (out / "spec/data-science-certificate/index.html").read_text("utf-8")
    assert '<p class="kind">Micro-credential</p>' in (out / "spec/data-analytics-python/index.html").read_text("utf-8")
    # Where both "Machine Learning Basics" are listed, each names its provider.
    certificate = (out / "spec/data-science-certificate/index.html").read_text("utf-8")
    assert "Machine Learning Basics — Université de Lyon" in certificate
    assert "Machine Learning Basics — Technical University of Berlin" in certificate
    # A title no other specification has stays as it is.
    assert "Data Analytics with Python —" not in certificate
