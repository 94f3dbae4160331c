"""Screenshots for issue 15's closing note, in headless Chromium, each with a check of what it shows.

Written to ``test-artifacts/closing-*.png`` (gitignored): the home page, a search
whose results repeat a title (each card names its provider), a stacking pathway
(its diagram boxes are links) and the API's ``/docs`` (Swagger UI from the
package's own files, no CDN).
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import start_credgraph_server
from credgraph.graph.store.interface import Provenance, content_hash
from credgraph.site.build import build_site
from test_site_build import KIND_AND_TWIN, make_store

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """The site of the test catalogue plus a second "Machine Learning Basics" (another provider) and a qualification."""
    out = tmp_path_factory.mktemp("closing-site")
    store = make_store()
    store.load_graph("urn:credgraph:source:kinds", list(ox.parse(KIND_AND_TWIN.encode(), ox.RdfFormat.TURTLE)),
                     Provenance("source", "kinds.ttl", content_hash(KIND_AND_TWIN.encode())))
    build_site(store, out)
    store.close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.requests = requests
    yield pg
    context.close()
    assert not errors, errors
    outside = [u for u in requests if not u.startswith("http://127.0.0.1:") and not u.startswith("data:")]
    assert not outside, f"requests outside the local server: {outside}"


def shoot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"closing-{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    return path


def test_home_page(page, site_url):
    page.goto(site_url)
    # Micro-credentials and larger qualifications are counted apart.
    assert "5 micro-credentials and 1 larger qualifications" in page.locator("main").inner_text()
    shoot(page, "home")


def test_search_with_repeated_titles(page, site_url):
    page.goto(site_url + "search/?q=machine")
    page.wait_for_function("document.querySelectorAll('#results li').length === 2")
    cards = page.locator("#results li")
    titles = [cards.nth(i).locator("h3").inner_text().strip() for i in range(2)]
    assert titles == ["Machine Learning Basics", "Machine Learning Basics"]
    # The provider next to each equal title tells them apart.
    metas = sorted(cards.nth(i).locator(".meta").inner_text() for i in range(2))
    assert "Technical University of Berlin" in metas[0] and "Université de Lyon" in metas[1]
    shoot(page, "search-repeated-titles")


def test_pathway_page(page, site_url):
    page.goto(site_url + "pathway/data-science-pathway/")
    boxes = page.locator("svg.rule-diagram a")
    assert boxes.count() >= 4
    # Where two "Machine Learning Basics" exist, the box names its provider.
    box = page.locator("svg.rule-diagram a", has_text="Machine Learning Basics")
    assert "Technical University of Berlin" in box.locator("title").text_content()
    shoot(page, "pathway")
    # The boxes are links to their specifications.
    box.click()
    page.wait_for_url("**/spec/machine-learning-basics/")
    assert page.locator("h1").inner_text().startswith("Machine Learning Basics")


@pytest.fixture(scope="module")
def api_url(tmp_path_factory):
    process, base = start_credgraph_server(tmp_path_factory.mktemp("closing-api"))
    yield base
    process.terminate()
    process.wait(timeout=30)


def test_docs_swagger_from_packaged_assets(page, api_url):
    from credgraph.api.routes_docs import ASSETS_PATH

    page.goto(api_url + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(paths) >= 10 and any("/api/v1/catalogue" in p for p in paths) and "/sparql" in paths
    # Swagger UI's script and style came from this server's packaged copy.
    assert any(ASSETS_PATH in u and u.endswith(".js") for u in page.requests)
    assert any(ASSETS_PATH in u and u.endswith(".css") for u in page.requests)
    shoot(page, "docs")
