"""Result formats of the SPARQL endpoint and content negotiation.

SELECT/ASK: SPARQL 1.1 Query Results JSON, XML, CSV, TSV. CONSTRUCT/DESCRIBE:
Turtle, N-Triples, JSON-LD, RDF/XML (serialised by pyoxigraph). Writers take
materialised rows so that the endpoint can cap them.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from credgraph.graph.store.results import plain, term_json

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
HTML = "text/html"

# media type offered -> canonical format; aliases clients send in practice.
RESULT_TYPES: dict[str, str] = {
    JSON: JSON,
    "application/json": JSON,
    XML: XML,
    "application/xml": XML,
    "text/xml": XML,
    CSV: CSV,
    TSV: TSV,
}
BOOLEAN_TYPES = {k: v for k, v in RESULT_TYPES.items() if v in {JSON, XML}}
GRAPH_TYPES: dict[str, str] = {
    TURTLE: TURTLE,
    "application/x-turtle": TURTLE,
    NTRIPLES: NTRIPLES,
    "text/plain": NTRIPLES,
    JSONLD: JSONLD,
    "application/json": JSONLD,
    RDFXML: RDFXML,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
}
RDF_FORMATS = {
    TURTLE: ox.RdfFormat.TURTLE,
    NTRIPLES: ox.RdfFormat.N_TRIPLES,
    JSONLD: ox.RdfFormat.JSON_LD,
    RDFXML: ox.RdfFormat.RDF_XML,
}
CONTENT_TYPES = {
    JSON: "application/sparql-results+json; charset=utf-8",
    XML: "application/sparql-results+xml; charset=utf-8",
    CSV: "text/csv; charset=utf-8",
    TSV: "text/tab-separated-values; charset=utf-8",
    TURTLE: "text/turtle; charset=utf-8",
    NTRIPLES: "application/n-triples; charset=utf-8",
    JSONLD: "application/ld+json",
    RDFXML: "application/rdf+xml; charset=utf-8",
}


@dataclass(frozen=True)
class Accepted:
    """One media range of an Accept header."""

    type: str
    q: float
    order: int


def parse_accept(header: str | None) -> list[Accepted]:
    """The media ranges of ``header``, best first (``*/*`` when absent)."""
    if not header or not header.strip():
        return [Accepted("*/*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append(Accepted(media, q, order))
    return sorted(ranges, key=lambda a: (-a.q, _specificity(a.type), a.order))


def _specificity(media: str) -> int:
    if media == "*/*":
        return 2
    if media.endswith("/*"):
        return 1
    return 0


def negotiate(header: str | None, offers: dict[str, str], default: str) -> str | None:
    """The canonical format to answer with, or None (406) when nothing offered is acceptable.

    ``offers`` maps media types to canonical formats; ``default`` answers ``*/*``.
    """
    ranges = parse_accept(header)
    refused = {a.type for a in ranges if a.q <= 0}
    for accepted in ranges:
        if accepted.q <= 0:
            continue
        if accepted.type == "*/*":
            if default not in refused:
                return default
            continue
        if accepted.type.endswith("/*"):
            major = accepted.type[:-1]
            if default.startswith(major) and default not in refused:
                return default
            for media, fmt in offers.items():
                if media.startswith(major) and media not in refused:
                    return fmt
            continue
        if accepted.type in offers:
            return offers[accepted.type]
    return None


def prefers_html(header: str | None) -> bool:
    """True when a browser-like Accept header ranks text/html first."""
    ranges = parse_accept(header)
    return bool(ranges) and ranges[0].type in {HTML, "application/xhtml+xml"} and ranges[0].q > 0


# -- writers ----------------------------------------------------------------


def write_solutions(variables: list[str], rows: list[dict], fmt: str) -> bytes:
    """SELECT results in ``fmt`` (JSON, XML, CSV, TSV)."""
    if fmt == JSON:
        return json.dumps(
            {
                "head": {"vars": variables},
                "results": {"bindings": [{k: term_json(v) for k, v in row.items()} for row in rows]},
            },
            ensure_ascii=False,
        ).encode()
    if fmt == XML:
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        out += [f"<variable name={quoteattr(v)}/>" for v in variables]
        out.append("</head>\n<results>")
        for row in rows:
            out.append("<result>")
            for name, term in row.items():
                out.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
            out.append("</result>")
        out.append("</results>\n</sparql>\n")
        return "\n".join(out).encode()
    if fmt == CSV:
        from credgraph.graph.store.results import to_csv
        from credgraph.graph.store.interface import Solutions

        return to_csv(Solutions(variables, rows)).encode()
    if fmt == TSV:
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join(str(row[v]) if v in row else "" for v in variables) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"no writer for {fmt}")


def write_boolean(value: bool, fmt: str) -> bytes:
    """ASK results in ``fmt`` (JSON or XML)."""
    if fmt == XML:
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
            f"<head/>\n<boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n"
        ).encode()
    return json.dumps({"head": {}, "boolean": value}).encode()


def write_triples(triples, fmt: str) -> bytes:
    """Triples in an RDF syntax (Turtle, N-Triples, JSON-LD, RDF/XML)."""
    out = io.BytesIO()
    ox.serialize(triples, out, RDF_FORMATS[fmt])
    data = out.getvalue()
    if fmt == JSONLD and not data.strip():
        data = b"[]"
    return data


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(plain(term))}</literal>"


# -- the query page: an answer shown in HTML ---------------------------------
#
# A browser that asks for /sparql?query=... (its Accept ranks text/html first)
# gets the query page with the answer on it. The query runs through the same
# executor as any other (same fairness, timeout, row cap and size bound); the
# executor writes it in PAGE_FORMATS, and page_view turns that into plain data
# for the template, which escapes every value. The page shows at most
# PAGE_ROWS rows or PAGE_TEXT_CHARS characters of a graph; the links in
# DOWNLOADS fetch the whole (capped) answer in a machine format.

PAGE_FORMATS = {"boolean": JSON, "solutions": JSON, "graph": TURTLE}
PAGE_ROWS = 500
PAGE_TEXT_CHARS = 200_000

# ``format=<name>`` next to ``query=`` from a browser: the answer in that format instead
# of the page (a link cannot set an Accept header). The names stand for Accept values, so
# the usual negotiation picks the format per result kind ("json": SPARQL JSON or JSON-LD).
FORMAT_NAMES = {
    "json": "application/json",
    "xml": "application/xml",
    "csv": CSV,
    "tsv": TSV,
    "turtle": TURTLE,
    "ntriples": NTRIPLES,
    "jsonld": JSONLD,
    "rdfxml": RDFXML,
}
DOWNLOADS = {
    "solutions": (("SPARQL JSON", "json"), ("CSV", "csv"), ("TSV", "tsv"), ("SPARQL XML", "xml")),
    "boolean": (("SPARQL JSON", "json"), ("SPARQL XML", "xml")),
    "graph": (("Turtle", "turtle"), ("N-Triples", "ntriples"), ("JSON-LD", "jsonld"), ("RDF/XML", "rdfxml")),
}
XSD = "http://www.w3.org/2001/XMLSchema#"
LOCAL_IDS = "https://w3id.org/credgraph/id/"


@dataclass(frozen=True)
class Cell:
    """One value of a solution as the page shows it: text, a link target (IRIs), a note (language, datatype)."""

    text: str
    href: str | None = None
    note: str = ""


def page_view(body: bytes, kind: str, truncated: bool) -> dict:
    """What the query page shows of an answer the executor wrote in ``PAGE_FORMATS[kind]``: plain data."""
    view: dict = {"kind": kind, "truncated": truncated, "downloads": DOWNLOADS[kind]}
    if kind == "boolean":
        view["boolean"] = bool(json.loads(body)["boolean"])
        return view
    if kind == "solutions":
        data = json.loads(body)
        variables = data["head"].get("vars", [])
        bindings = data["results"]["bindings"]
        view.update(variables=variables, total=len(bindings), shown=min(len(bindings), PAGE_ROWS),
                    rows=[[_cell(b.get(v)) for v in variables] for b in bindings[:PAGE_ROWS]])
        return view
    text = body.decode("utf-8")
    cut = len(text) > PAGE_TEXT_CHARS
    if cut:
        # At a line end, so that no statement is shown half.
        text = text[: text.rfind("\n", 0, PAGE_TEXT_CHARS) + 1]
    view.update(text=text, cut=cut, limit=PAGE_TEXT_CHARS)
    return view


def _cell(term: dict | None) -> Cell:
    if term is None:
        return Cell("")
    value = term.get("value", "")
    if term["type"] == "uri":
        # Only web IRIs become links (never javascript: or data: ones); credgraph's own are served under /id/.
        if value.startswith(LOCAL_IDS):
            return Cell(value, "/id/" + value[len(LOCAL_IDS):])
        return Cell(value, value if value.lower().startswith(("http://", "https://")) else None)
    if term["type"] == "bnode":
        return Cell("_:" + value)
    if term.get("xml:lang"):
        return Cell(value, note="@" + term["xml:lang"])
    datatype = term.get("datatype")
    if datatype and datatype != XSD + "string":
        return Cell(value, note="^^" + ("xsd:" + datatype[len(XSD):] if datatype.startswith(XSD) else datatype))
    return Cell(value)
