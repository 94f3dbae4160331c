"""The server's own pages in headless Chromium: /docs (Swagger UI from packaged files) and the /sparql editor."""

from __future__ import annotations


import pytest

from conftest import start_credgraph_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``credgraph serve`` on an in-memory store with the vocabularies (a real server process)."""
    process, base = start_credgraph_server(tmp_path_factory.mktemp("api-browser"))
    yield base
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server) else None)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not outside, f"requests outside the server: {outside}"
    assert not errors, errors


def test_docs_render_every_operation_from_packaged_files(page, server):
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/catalogue" in s for s in summaries) and "/sparql" in " ".join(summaries)
    # "Try it out" works against this server: the catalogue answers.
    block = page.locator(".opblock-get", has_text="/api/v1/catalogue").first
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=20_000)
    assert status.inner_text().strip() == "200"


def test_example_description_goes_when_the_query_is_edited(page, server):
    page.goto(server + "/sparql")
    page.locator("#examples button").first.click()
    note = page.locator("#example-note")
    assert note.inner_text().strip()
    page.locator("#query").press("End")
    page.locator("#query").type(" ")
    assert note.inner_text().strip() == ""
