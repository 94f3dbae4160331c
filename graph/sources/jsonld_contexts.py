"""JSON-LD contexts, from bundled copies only: which context URLs a document names, each replaced by
the bundled context object (a document naming any other remote context is rejected with the URL in
the message; nothing is ever fetched), contexts pruned to the terms a document uses, and the cost
of contexts a document brings itself bounded before any parser sees them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache, lru_cache

from credgraph import vocabularies
from credgraph.graph import namespaces as ns


# Context URL -> bundled file in vocabularies/contexts/ (see its NOTICE).
VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
EDC_AP = "http://data.europa.eu/snb/model/context/edc-ap"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
BUNDLED_CONTEXTS: dict[str, str] = {
    VC_V1: "credentials-v1.jsonld",
    VC_V2: "credentials-v2.jsonld",
    EDC_AP: "edc-ap-context.jsonld",
    "https://data.europa.eu/snb/model/context/edc-ap": "edc-ap-context.jsonld",
    OB_303: "context-3.0.3.json",
}


# Document-cost limits for contexts a document brings itself (bundled contexts are
# trusted): a scoped context (one inside a term definition) is processed again at
# every node that uses its term, so the work grows as (its definitions) x (nodes):
# 3,000 scoped definitions over 3,000 nodes, a 0.15 MB document, took pyoxigraph
# 16 s. Measured: 1,000,000 such applications ~1.5 s; the limit allows ~0.3 s.
# The bundled contexts hold at most 112 scoped definitions (Open Badges 3.0).
MAX_CONTEXT_DEFINITIONS = 2_000
MAX_SCOPED_APPLICATIONS = 200_000


class DocumentError(ValueError):
    """A document cannot be read; the message names the document and the problem."""


def check_context_cost(document: object, name: str) -> None:
    """Refuse a document whose own contexts would cost more than the limits above to apply.

    One iterative walk: counts the objects of the document and the term
    definitions of every context written in it (not those named by URL),
    separately those inside scoped contexts.
    """
    nodes = definitions = scoped = 0
    stack: list = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            nodes += 1
            for key, value in node.items():
                if key == "@context":
                    found, inside = _context_definitions(value)
                    definitions += found
                    scoped += inside
                elif isinstance(value, (dict, list)):
                    stack.append(value)
    if definitions > MAX_CONTEXT_DEFINITIONS:
        raise DocumentError(f"{name}: the document's own JSON-LD contexts define {definitions:,} terms; "
                            f"at most {MAX_CONTEXT_DEFINITIONS:,} are accepted")
    if scoped * nodes > MAX_SCOPED_APPLICATIONS:
        raise DocumentError(f"{name}: the document's scoped JSON-LD contexts ({scoped:,} term definitions) over its "
                            f"{nodes:,} objects would cost {scoped * nodes:,} context applications; at most "
                            f"{MAX_SCOPED_APPLICATIONS:,} are accepted")


def _context_definitions(context: object) -> tuple[int, int]:
    """Term definitions in a context value written in a document: (all, those inside scoped contexts)."""
    total = scoped = 0
    stack = [(context, False)]
    while stack:
        value, inside = stack.pop()
        if isinstance(value, list):
            stack.extend((item, inside) for item in value)
        elif isinstance(value, dict):
            for key, definition in value.items():
                if key.startswith("@"):
                    if key == "@context":
                        stack.append((definition, inside))
                    continue
                total += 1
                scoped += inside
                if isinstance(definition, dict) and "@context" in definition:
                    stack.append((definition["@context"], True))
    return total, scoped


@cache
def bundled_context(url: str) -> object:
    data = json.loads(vocabularies.read_bytes("contexts/" + BUNDLED_CONTEXTS[url]))
    context = data["@context"]
    if BUNDLED_CONTEXTS[url] == "edc-ap-context.jsonld" and "nationalID" in context:
        # The EDC context's known defect: its nationalID term names
        # elm:nationalID, a property the ontology does not have. Defined here
        # on the ontology's elm:nationalId, the data lands right as it is
        # parsed (normalise() still mends the IRI where a document writes it).
        context = dict(context, nationalID=dict(context["nationalID"], **{"@id": "elm:nationalId"}))
    if BUNDLED_CONTEXTS[url] == "edc-ap-context.jsonld":
        # The EDC context leaves the issue dates to the VC context, but VC 2.0
        # defines neither ELM's `issued` nor VC 1.1's `issuanceDate`: an
        # ELM 3.2 credential would lose its issue date. Defined here as VC 1.1
        # defines them (where the VC 1.1 context is in force, its definitions win).
        dates = {term: {"@id": "https://www.w3.org/2018/credentials#" + term, "@type": ns.XSD + "dateTime"}
                 for term in ("issued", "issuanceDate") if term not in context}
        context = dict(context, **dates)
    return context


def _unprotected(context: object) -> object:
    if isinstance(context, dict):
        return {k: _unprotected(v) for k, v in context.items() if k != "@protected"}
    if isinstance(context, list):
        return [_unprotected(v) for v in context]
    return context


@cache
def bundled_unprotected(url: str) -> object:
    return _unprotected(bundled_context(url))


def context_urls(document: object) -> list[str]:
    """Every context URL referenced anywhere in ``document`` (top level, scoped, ``@import``)."""
    found: list[str] = []

    def walk(node: object, in_context: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    walk_context(value)
                else:
                    walk(value, False)
        elif isinstance(node, list):
            for item in node:
                walk(item, in_context)

    def walk_context(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                walk_context(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "@import" and isinstance(item, str):
                    found.append(item)
                elif key == "@context":
                    walk_context(item)
                elif isinstance(item, dict) and "@context" in item:
                    walk_context(item["@context"])

    walk(document, False)
    return found


def inline_contexts(document: dict, name: str, words: set[str] | frozenset[str] | None = None) -> dict:
    """A copy of ``document`` with every context URL replaced by its bundled copy.

    Raises :class:`DocumentError` naming the URL if a context is not bundled.
    When the EDC context follows a W3C VC context, the VC context's
    ``@protected`` flags are dropped: the EDC context (ELM 3.2 with VC v2)
    redefines terms such as ``description`` that VC v2 protects, which a strict
    processor refuses; the EDC definitions are the ones ELM data means.
    ``words``: those of the document (:func:`document_words`), if known; unused
    context terms are pruned by them.
    """
    found, nested = document_words(document)
    words = found if words is None else words
    top = document.get("@context")
    check_bundled(context_urls(document) if nested or not plain_urls(top) else as_list(top), name)
    doc = dict(document)
    urls = [c for c in as_list(top) if isinstance(c, str)]
    relax = any(BUNDLED_CONTEXTS.get(u) == "edc-ap-context.jsonld" for u in urls)

    def replace(value: object) -> object:
        if isinstance(value, str):
            if relax and value in (VC_V1, VC_V2):
                return _pruned(bundled_unprotected(value), words)
            return _pruned(bundled_context(value), words)
        if isinstance(value, list):
            return [replace(v) for v in value]
        if isinstance(value, dict) and ("@import" in value or "@context" in value):
            value = dict(value)
            if "@import" in value:
                imported = bundled_context(value.pop("@import"))
                return [imported, value]
        return value

    if top is not None:
        doc["@context"] = replace(top)
    else:
        raise DocumentError(f"{name}: not JSON-LD (no @context)")
    if nested:
        doc = _replace_nested(doc, replace)
    return doc


def check_bundled(urls: Iterable[str], name: str) -> None:
    for url in urls:
        if url not in BUNDLED_CONTEXTS:
            raise DocumentError(
                f"{name}: JSON-LD context {url} is not one of the bundled contexts "
                f"({', '.join(sorted(set(BUNDLED_CONTEXTS) - {'https://data.europa.eu/snb/model/context/edc-ap'}))}); "
                "credgraph never fetches contexts over the network"
            )


@lru_cache(maxsize=256)
def context_text(urls: tuple[str, ...], words: frozenset[str]) -> bytes:
    """The inlined, pruned top-level context of a document, as JSON (documents of one template share it)."""
    inlined = inline_contexts({"@context": list(urls)}, "context", words)
    return json.dumps(inlined["@context"]).encode("utf-8")


def as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def plain_urls(context: object) -> bool:
    return all(isinstance(c, str) for c in as_list(context))


def document_words(document: object) -> tuple[set[str], bool]:
    """The words of ``document`` and whether it has a context below the top level.

    Words: its keys, strings under 256 characters, and the prefixes of
    those that look like compact IRIs; contexts excluded. A context term
    none of them names cannot change the document's expansion.
    """
    words: set[str] = set()
    add = words.add
    nested = False
    stack = [document]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            for key, value in node.items():
                if key == "@context":
                    nested = nested or node is not document
                    continue
                add(key)
                if type(value) is str:
                    if len(value) < 256:
                        add(value)
                elif type(value) is dict or type(value) is list:
                    stack.append(value)
        elif type(node) is list:
            for value in node:
                if type(value) is str:
                    if len(value) < 256:
                        add(value)
                elif type(value) is dict or type(value) is list:
                    stack.append(value)
    words |= {w.split(":", 1)[0] for w in words if ":" in w}
    return words, nested


def plain_iri(value: str, defined: frozenset[str]) -> bool:
    # An absolute IRI that JSON-LD keeps as it is: a scheme that is no term
    # (so no compact IRI), and no term itself. One the IRI rules refuse is
    # caught when the document's terms are made (it is then parsed as it is).
    colon = value.find(":")
    return colon > 0 and value[0].isalpha() and value[:colon] not in defined and value not in defined


def _pruned(context: object, words: set[str]) -> object:
    """A bundled context without the top-level term definitions the document never uses.

    The EDC context defines ~250 terms and a credential uses a third of them;
    the VC contexts define signature suites an EDC never names. pyoxigraph
    processes every definition on every parse, so dropping unused ones saves a
    good part of the parse time. A top-level definition that is neither a key,
    nor a value, nor an IRI prefix in the document cannot change its
    expansion (scoped contexts of the definitions kept are kept whole);
    keyword entries and prefix-like definitions are always kept.
    """
    if not isinstance(context, dict):
        return context
    return {
        k: v for k, v in context.items()
        if k.startswith("@") or k in words or (isinstance(v, str) and v.endswith(("/", "#")))
    }


def _replace_nested(node: object, replace) -> object:
    if isinstance(node, dict):
        return {k: (replace(v) if k == "@context" else _replace_nested(v, replace)) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_nested(v, replace) for v in node]
    return node
