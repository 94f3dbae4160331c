"""The built site in headless Chromium: search, facets, languages, keyboard, accessibility, screenshots."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest

from credgraph.site.build import build_site
from test_site_build import ANNEX_ELEMENTS, make_store

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser-site")
    store = make_store()
    build_site(store, out)
    store.close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith(site_url) and not r.url.startswith("data:") else None)
    yield pg
    context.close()
    assert outside == [], f"requests outside the site: {outside}"


def result_titles(pg) -> list[str]:
    return pg.locator("#results h3 a").all_inner_texts()


def wait_results(pg, count: int) -> None:
    pg.wait_for_function(f"document.querySelectorAll('#results li').length === {count}")


def test_search_text_narrows_and_url_keeps_state(page, site_url):
    page.goto(site_url + "search/")
    wait_results(page, 5)
    page.fill("#q", "python")
    wait_results(page, 2)
    assert sorted(result_titles(page)) == ["Cloud Security Fundamentals", "Data Analytics with Python"]
    assert "q=python" in page.url
    # The state survives a reload.
    page.reload()
    wait_results(page, 2)
    assert page.input_value("#q") == "python"


@pytest.mark.parametrize("facet, value, expected", [
    ("eqf", "7", {"Certificate in Data Science", "Machine Learning Basics"}),
    ("ects", "3-5", {"Data Analytics with Python", "Agile project management"}),
    ("field", "0613", {"Data Analytics with Python", "Machine Learning Basics", "Certificate in Data Science"}),
    ("mode", "920fbb3cbe", {"Data Analytics with Python", "Cloud Security Fundamentals"}),
    ("language", "FRA", {"Agile project management"}),
    ("country", "IRL", {"Cloud Security Fundamentals"}),
    ("provider", "univ-lyon", {"Agile project management"}),
    ("skill", "c41c4a5a-8658-4357-9b3a-cb9eb7ec6436", {"Data Analytics with Python", "Machine Learning Basics"}),
])
def test_each_facet_narrows(page, site_url, facet, value, expected):
    page.goto(site_url + "search/")
    wait_results(page, 5)
    box = page.locator(f'fieldset[data-facet="{facet}"] input[value="{value}"]')
    count_text = box.locator("xpath=..").locator(".n").inner_text()
    assert int(count_text) == len(expected)
    box.check()
    wait_results(page, len(expected))
    assert set(result_titles(page)) == expected
    assert f"{facet}={value}" in page.url


def test_facet_counts_update_live(page, site_url):
    page.goto(site_url + "search/?eqf=7")
    wait_results(page, 2)
    assert page.locator('fieldset[data-facet="eqf"] input[value="7"]').is_checked()
    country = page.locator('fieldset[data-facet="country"] label').all_inner_texts()
    assert [c.split("\n")[0].strip() for c in country] == ["Germany"]
    page.fill("#q", "machine")
    wait_results(page, 1)
    assert page.locator('fieldset[data-facet="eqf"] input[value="7"]').locator("xpath=..").locator(".n").inner_text() == "1"


def test_search_in_german(page, site_url):
    page.goto(site_url + "de/search/")
    page.fill("#q", "grundlagen")
    wait_results(page, 1)
    assert result_titles(page) == ["Grundlagen des maschinellen Lernens"]


def test_language_switcher(page, site_url):
    page.goto(site_url + "spec/data-analytics-python/")
    assert page.locator("h1").inner_text() == "Data Analytics with Python"
    page.click('nav.langs a[data-lang="de"]')
    page.wait_for_url("**/de/spec/data-analytics-python/")
    assert page.locator("h1").inner_text() == "Datenanalyse mit Python"
    assert page.locator("html").get_attribute("lang") == "de"
    page.click('nav.langs a[data-lang="fr"]')
    page.wait_for_url("**/fr/spec/data-analytics-python/")
    assert page.locator("h1").inner_text() == "Analyse de données avec Python"


def test_specification_page_shows_every_annex_element(page, site_url):
    page.goto(site_url + "spec/data-analytics-python/")
    for element in ANNEX_ELEMENTS:
        row = page.locator(f'[data-element="{element}"]')
        assert row.is_visible(), element
        assert row.locator(".missing").count() == 0, element
    facts = page.locator("dl.facts").inner_text()
    for text in ("Technical University of Berlin", "Germany", "5 ECTS", "125 hours", "Level 6", "written exam",
                 "online", "NVAO", "Basic programming knowledge.", "Python (computer programming)",
                 "Certificate in Data Science"):
        assert text.lower() in facts.lower(), text


def test_keyboard_reaches_search(page, site_url):
    page.goto(site_url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    names = []
    for _ in range(12):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
        if names[-1] == "home-q":
            break
    assert names[-1] == "home-q", names
    page.keyboard.type("statistics")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=statistics")
    wait_results(page, 2)
    # From the search field, Tab reaches the facet checkboxes.
    page.focus("#q")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "checkbox"
    page.keyboard.press("Space")
    page.wait_for_function("location.search.includes('eqf=')")


MAIN_PAGES = {
    "home": "",
    "search": "search/?q=data",
    "specification": "spec/data-analytics-python/",
    "specification-de": "de/spec/data-analytics-python/",
    "provider": "provider/tu-berlin/",
    "skill": "fr/skill/ccd0a1d9-afda-43d9-b901-96344886e14d/",
    "eqf-level": "eqf/7/",
    "pathway": "pathway/data-science-pathway/",
    "browse": "browse/",
    "about": "about/",
}


@pytest.mark.parametrize("name", list(MAIN_PAGES))
def test_axe_and_screenshots(browser, site_url, name):
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run npm ci in the repository root")
    ARTIFACTS.mkdir(exist_ok=True)
    for label, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 360, "height": 740})):
        context = browser.new_context(viewport=viewport)
        pg = context.new_page()
        pg.goto(site_url + MAIN_PAGES[name])
        if name == "search":
            pg.wait_for_function("document.querySelectorAll('#results li').length > 0")
        # Responsive: nothing wider than the viewport.
        overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {viewport['width']}px"
        pg.screenshot(path=str(ARTIFACTS / f"site-{name}-{label}.png"), full_page=True)
        pg.add_script_tag(path=str(AXE))
        result = pg.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})")
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
        context.close()
        assert bad == [], json.dumps(bad)


def test_first_results_quickly(page, site_url):
    page.goto(site_url + "search/")
    wait_results(page, 5)
    elapsed = page.evaluate("""() => new Promise(resolve => {
        const q = document.getElementById('q');
        const t0 = performance.now();
        q.value = 'machine';
        q.dispatchEvent(new Event('input'));
        requestAnimationFrame(() => resolve(performance.now() - t0));
    })""")
    assert elapsed < 100
    assert result_titles(page) == ["Machine Learning Basics"]
