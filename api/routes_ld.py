"""Linked data: every IRI credgraph mints resolves here, with content negotiation.

``https://w3id.org/credgraph/id/<kind>/<slug>`` is served at ``/id/<kind>/<slug>``
as HTML (browsers), Turtle, JSON-LD, N-Triples or RDF/XML, from the public
store only (named query ``api-describe``).
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from credgraph import queries
from credgraph.api import formats
from credgraph.api.problems import Problem
from credgraph.graph import namespaces as ns

router = APIRouter(tags=["Linked data"])

# Every kind of IRI credgraph mints (badge alignments mint outcomes); tests/test_dereference.py
# walks every minted IRI in a store loaded with every sample.
KINDS = ("spec", "org", "opportunity", "outcome", "issuance", "report", "decision", "rule")
LD_TYPES = {**formats.GRAPH_TYPES, formats.HTML: formats.HTML, "application/xhtml+xml": formats.HTML}


def describe(store, iri: str) -> list[ox.Triple]:
    """The triples that describe ``iri`` in the public store."""
    return store.construct(queries.load("api-describe"), {"resource": ox.NamedNode(iri)})


def labels(store, terms: list[ox.NamedNode]) -> dict[str, str]:
    """A display label per IRI (those that have one)."""
    if not terms:
        return {}
    rows = store.select(queries.load("api-labels"), values=[{"resource": t} for t in terms])
    out: dict[str, str] = {}
    for row in rows:
        out.setdefault(row["resource"].value, row["label"].value)
    return out


def local_link(iri: str) -> str:
    """The path under this server for a minted IRI, else the IRI itself."""
    return "/id/" + iri[len(ns.CG_ID):] if iri.startswith(ns.CG_ID) else iri


@router.get("/id/{kind}/{slug:path}", summary="Dereference a minted IRI (HTML, Turtle, JSON-LD, N-Triples, RDF/XML)")
async def resource(kind: str, slug: str, request: Request) -> Response:
    """Describe ``https://w3id.org/credgraph/id/<kind>/<slug>``."""
    if kind not in KINDS:
        raise Problem(404, f"credgraph mints no IRIs of kind {kind!r}; known kinds: {', '.join(KINDS)}",
                      type_="unknown-kind")
    iri = ns.CG_ID + f"{kind}/{slug}"
    try:
        ox.NamedNode(iri)
    except ValueError:
        # Spaces, angle brackets, control characters ...: no IRI credgraph mints looks like this.
        raise Problem(404, f"/id/{kind}/... : the path is not a valid IRI, so credgraph minted nothing there",
                      type_="unknown-resource") from None
    accept = request.headers.get("accept")
    fmt = formats.negotiate(accept, LD_TYPES, formats.TURTLE)
    if formats.prefers_html(accept):
        fmt = formats.HTML
    if fmt is None:
        raise Problem(406, "resources are available as text/html, text/turtle, application/ld+json, "
                      "application/n-triples or application/rdf+xml", type_="not-acceptable")
    store = request.app.state.store
    triples = await run_in_threadpool(describe, store, iri)
    if not triples:
        raise Problem(404, f"nothing is known about {iri}", type_="unknown-resource")
    if fmt != formats.HTML:
        return Response(formats.write_triples(triples, fmt), media_type=formats.CONTENT_TYPES[fmt],
                        headers={"Vary": "Accept", "Link": f'<{iri}>; rel="canonical"'})
    linked = sorted({t.object for t in triples if isinstance(t.object, ox.NamedNode)} |
                    {t.predicate for t in triples}, key=lambda n: n.value)
    names = await run_in_threadpool(labels, store, [ox.NamedNode(iri), *linked])
    rows = [
        {
            "subject": _cell(t.subject, names),
            "predicate": _cell(t.predicate, names),
            "object": _cell(t.object, names),
        }
        for t in sorted(triples, key=lambda t: (t.subject != ox.NamedNode(iri), str(t.subject), str(t.predicate)))
    ]
    html = request.app.state.templates.get_template("resource.html").render(
        iri=iri, title=names.get(iri, iri), rows=rows, kind=kind, path=request.url.path,
    )
    return HTMLResponse(html, headers={"Vary": "Accept"})


def _cell(term, names: dict[str, str]) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"kind": "iri", "text": names.get(term.value, _short(term.value)), "href": local_link(term.value),
                "title": term.value}
    if isinstance(term, ox.BlankNode):
        return {"kind": "bnode", "text": "_:" + term.value}
    lang = f"@{term.language}" if term.language else ""
    return {"kind": "literal", "text": term.value, "note": lang or _short(term.datatype.value)}


def _short(iri: str) -> str:
    for prefix, base in (("elm", ns.ELM), ("cg", ns.CG), ("dct", ns.DC), ("skos", ns.SKOS), ("rdf", ns.RDF),
                         ("rdfs", ns.RDFS), ("xsd", ns.XSD), ("foaf", ns.FOAF), ("prov", ns.PROV)):
        if iri.startswith(base):
            return f"{prefix}:{iri[len(base):]}"
    return iri
