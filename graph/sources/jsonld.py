"""JSON-LD documents to RDF triples, offline, with contexts from bundled copies only.

pyoxigraph's JSON-LD parser has no document loader, which suits us: every
``@context`` URL is replaced by the bundled context object before parsing, and a
document that names any other remote context is rejected with the URL in the
message. Nothing is ever fetched over the network.

After parsing, IRIs are normalised to the one namespace the store keeps:
ELM 3.3 (``.../snb/model/ontology/``) becomes ELM 3.1 (``.../snb/model/elm/``),
and the EDC context's ``elm:nationalID`` becomes the ontology's ``elm:nationalId``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

import pyoxigraph as ox

from credgraph import vocabularies
from credgraph.graph.sources import datatypes
from credgraph.graph import namespaces as ns
from credgraph.graph.sources import memo_check
from credgraph.graph.sources.jsonld_templates import (
    IRI_TOKEN,
    NO_TERMS,
    TEMPLATES,
    TOKEN,
    LiteralTerms,
    Statements,
    literal_terms,
    Template,
    make_template,
)

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
MAX_DEPTH = 100
# Document-cost limits for contexts a document brings itself (bundled contexts are
# trusted): a scoped context (one inside a term definition) is processed again at
# every node that uses its term, so the work grows as (its definitions) x (nodes):
# 3,000 scoped definitions over 3,000 nodes, a 0.15 MB document, took pyoxigraph
# 16 s. Measured: 1,000,000 such applications ~1.5 s; the limit allows ~0.3 s.
# The bundled contexts hold at most 112 scoped definitions (Open Badges 3.0).
MAX_CONTEXT_DEFINITIONS = 2_000
MAX_SCOPED_APPLICATIONS = 200_000

_NATIONAL_ID_WRONG = ox.NamedNode(ns.ELM + "nationalID")
_NATIONAL_ID = ox.NamedNode(ns.ELM + "nationalId")


class DocumentError(ValueError):
    """A document cannot be read; the message names the document and the problem."""


def decode_json(data: bytes, name: str, max_depth: int | None = MAX_DEPTH) -> object:
    """Parse ``data`` as strict UTF-8 JSON, refusing documents nested deeper than ``max_depth``.

    ``max_depth=None`` leaves the depth to :func:`to_triples`, which checks it
    on the walk it makes anyway.
    """
    try:
        text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{name}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            problem = "truncated JSON (the document ends unexpectedly)"
        elif exc.msg.startswith("Unterminated string"):
            problem = "truncated JSON (the document ends inside a string starting)"
        else:
            problem = f"malformed JSON: {exc.msg}"
        raise DocumentError(f"{name}: {problem} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise DocumentError(f"{name}: JSON nested too deeply (more than {max_depth or MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts (4,300)
        raise DocumentError(f"{name}: a value the JSON reader refuses: {exc}") from None
    if _ESCAPED_CONTROL.search(data):  # rare: a JSON escape of a control character; look closer
        _check_control_characters(value, name)
    if max_depth is not None:
        _check_depth(value, name, max_depth)
    return value


# C0 controls other than tab, line feed and carriage return, and DEL, are never text: a NUL in a title was
# stored and served in HTML. Raw ones are invalid JSON already; escaped ones are found on the bytes first.
_ESCAPED_CONTROL = re.compile(rb"\\u00(?:[01][0-9a-fA-F]|7[fF])")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_control_characters(value: object, name: str) -> None:
    stack = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, f"{path}/{k}") for k, v in node.items())
            bad = next((k for k in node if _CONTROL.search(k)), None)
        elif isinstance(node, list):
            stack.extend((v, f"{path}/{i}") for i, v in enumerate(node))
            bad = None
        elif isinstance(node, str):
            bad = node if _CONTROL.search(node) else None
        else:
            bad = None
        if bad is not None:
            char = _CONTROL.search(bad).group()
            raise DocumentError(f"{name}: control character U+{ord(char):04X} in the text at {path or '/'}")


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


def _check_depth(value: object, name: str, max_depth: int) -> None:
    # Iterative, so that checking a hostile document cannot exhaust the stack.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            raise DocumentError(f"{name}: JSON nested too deeply (more than {max_depth} levels)")
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


@cache
def _bundled(url: str) -> object:
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
def _bundled_unprotected(url: str) -> object:
    return _unprotected(_bundled(url))


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
    ``words``: those of the document (:func:`_words`), if known; unused
    context terms are pruned by them.
    """
    found, nested = _words(document)
    words = found if words is None else words
    top = document.get("@context")
    _check_bundled(context_urls(document) if nested or not _plain_urls(top) else _as_list(top), name)
    doc = dict(document)
    urls = [c for c in _as_list(top) if isinstance(c, str)]
    relax = any(BUNDLED_CONTEXTS.get(u) == "edc-ap-context.jsonld" for u in urls)

    def replace(value: object) -> object:
        if isinstance(value, str):
            if relax and value in (VC_V1, VC_V2):
                return _pruned(_bundled_unprotected(value), words)
            return _pruned(_bundled(value), words)
        if isinstance(value, list):
            return [replace(v) for v in value]
        if isinstance(value, dict) and ("@import" in value or "@context" in value):
            value = dict(value)
            if "@import" in value:
                imported = _bundled(value.pop("@import"))
                return [imported, value]
        return value

    if top is not None:
        doc["@context"] = replace(top)
    else:
        raise DocumentError(f"{name}: not JSON-LD (no @context)")
    if nested:
        doc = _replace_nested(doc, replace)
    return doc


def _check_bundled(urls: Iterable[str], name: str) -> None:
    for url in urls:
        if url not in BUNDLED_CONTEXTS:
            raise DocumentError(
                f"{name}: JSON-LD context {url} is not one of the bundled contexts "
                f"({', '.join(sorted(set(BUNDLED_CONTEXTS) - {'https://data.europa.eu/snb/model/context/edc-ap'}))}); "
                "credgraph never fetches contexts over the network"
            )


@lru_cache(maxsize=256)
def _context_text(urls: tuple[str, ...], words: frozenset[str]) -> bytes:
    """The inlined, pruned top-level context of a document, as JSON (documents of one template share it)."""
    inlined = inline_contexts({"@context": list(urls)}, "context", words)
    return json.dumps(inlined["@context"]).encode("utf-8")


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _plain_urls(context: object) -> bool:
    return all(isinstance(c, str) for c in _as_list(context))


@dataclass
class _Scan:
    """What one walk over a document finds (contexts excluded)."""

    nested_contexts: bool  # an @context below the top level
    literals: list[tuple[object, object]]  # (container, key or index) of each string in a literal position
    iris: list[tuple[object, object]]  # (container, key or index) of each absolute IRI kept as it is


def _scan(document: object, name: str, terms: LiteralTerms = NO_TERMS) -> _Scan:
    """Walk ``document`` once: nested contexts, and the strings to tokenise under ``terms``; checks the depth.

    The hottest loop of reading a credential: written for speed (exact
    types, as ``json.loads`` makes them; local names for the sets and
    methods; the IRI test of :func:`_plain_iri` written out once).
    """
    literals: list[tuple[object, object]] = []
    iris: list[tuple[object, object]] = []
    plain, maps, references, ids, defined = terms.plain, terms.language_maps, terms.references, terms.id_keys, terms.defined
    iri_keys = ids | references
    nested = False
    stack = [(document, 1)]
    pop, push, lit, iri = stack.pop, stack.append, literals.append, iris.append
    while stack:
        node, depth = pop()
        if depth > MAX_DEPTH:
            raise DocumentError(f"{name}: JSON nested too deeply (more than {MAX_DEPTH} levels)")
        depth += 1
        if type(node) is dict:
            for key, value in node.items():
                kind = type(value)
                if kind is str:
                    if key in plain:
                        lit((node, key))
                    elif key in iri_keys:
                        colon = value.find(":")
                        if colon > 0 and value[0].isalpha() and value[:colon] not in defined and value not in defined:
                            iri((node, key))
                    elif key == "@context":
                        nested = nested or node is not document
                elif key == "@context":
                    nested = nested or node is not document
                elif kind is dict:
                    if key in maps:  # a language map, unless it holds keywords
                        for k in value:
                            if k[:1] == "@":
                                push((value, depth))
                                break
                        else:
                            for language, text in value.items():
                                if type(text) is str:
                                    lit((value, language))
                                elif type(text) is list:
                                    literals.extend((text, i) for i, item in enumerate(text) if type(item) is str)
                                elif type(text) is dict:
                                    push((text, depth + 1))
                    else:
                        push((value, depth))
                elif kind is list:
                    if key in plain:
                        for i, item in enumerate(value):
                            if type(item) is str:
                                lit((value, i))
                            elif type(item) is dict or type(item) is list:
                                push((item, depth))
                    elif key in references:
                        for i, item in enumerate(value):
                            if type(item) is str:
                                if _plain_iri(item, defined):
                                    iri((value, i))
                            elif type(item) is dict or type(item) is list:
                                push((item, depth))
                    else:
                        push((value, depth))
        elif type(node) is list:
            for value in node:
                if type(value) is dict or type(value) is list:
                    push((value, depth))
    return _Scan(nested, literals, iris)


def _words(document: object) -> tuple[set[str], bool]:
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


def _plain_iri(value: str, defined: frozenset[str]) -> bool:
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


def to_triples(document: dict, name: str, graph: ox.NamedNode | None = None) -> list:
    """RDF triples of a JSON-LD ``document`` (contexts inlined from bundled copies), normalised.

    Duplicates are removed; order is kept. Documents of one template are
    parsed once (see :mod:`credgraph.graph.sources.jsonld_templates`). ``graph``:
    the graph the statements will be written to, if known; they may then
    come as quads in it (with the same subject, predicate and object).
    """
    top = document.get("@context")
    plain_top = _plain_urls(top)
    terms = _literal_terms(tuple(_as_list(top))) if plain_top else NO_TERMS
    scan = _scan(document, name, terms)
    if scan.nested_contexts and (scan.literals or scan.iris):  # a context inside may redefine any term
        scan = _scan(document, name)
    if scan.nested_contexts or not plain_top:
        check_context_cost(document, name)  # contexts written in the document: bounded before any parser sees them
        inlined, urls = inline_contexts(document, name), None
    else:
        # The usual case: the context part of the text is the same for every
        # document of a template, made once; only the body is serialised.
        urls = tuple(_as_list(top))
        _check_bundled(urls, name)
        inlined = {k: v for k, v in document.items() if k != "@context"}
    literals: dict[str, int] = {}  # value -> token number: equal strings, equal tokens
    iris: dict[str, int] = {}
    swapped: list[tuple[object, object, str]] = []  # (container, key or index, the document's string)
    try:
        for positions, numbers, prefix, tokens in ((scan.literals, literals, TOKEN, _LITERAL_TOKENS),
                                                   (scan.iris, iris, IRI_TOKEN, _IRI_TOKENS)):
            for container, key in positions:
                value = container[key]  # type: ignore[index]
                number = numbers.get(value)
                if number is None:
                    number = numbers[value] = len(numbers)
                if container is document:
                    container = inlined  # the top level was copied: its strings are swapped in the copy
                swapped.append((container, key, value))
                container[key] = tokens[number] if number < 4096 else f"{prefix}{number}"  # type: ignore[index]
        body = json.dumps(inlined).encode("utf-8")
    finally:
        for container, key, value in swapped:
            container[key] = value  # type: ignore[index]
    if any(ns.ELM_33 in iri for iri in iris):
        template = None  # an IRI token would hide what normalise() mends
    else:
        # The tokenised text is the context part (a function of the context
        # URLs and the body's words) and the body: the body and URLs name it.
        key = hashlib.sha256(_urls_text(urls) + body).digest()
        template = TEMPLATES.get(key, _UNKNOWN)
        if template is _UNKNOWN:
            template = _make_template(body, urls, name, len(literals), len(iris))
            TEMPLATES.put(key, template)
    if template is not None:
        try:
            made = template.instantiate(list(literals), list(iris), graph)
        except ValueError:
            pass  # an IRI pyoxigraph refuses: the parser names it below
        else:
            if memo_check.due("JSON-LD template"):  # one document in N also parsed as it is, and compared
                direct = normalise(_parse(json.dumps(inline_contexts(document, name)).encode("utf-8"), name))
                memo_check.check_same_graph("JSON-LD template", name, made, direct)
            return made
    return normalise(_parse(json.dumps(inline_contexts(document, name)).encode("utf-8"), name))


# Token strings, made once for the numbers most documents use.
_LITERAL_TOKENS = tuple(f"{TOKEN}{n}" for n in range(4096))
_IRI_TOKENS = tuple(f"{IRI_TOKEN}{n}" for n in range(4096))


@lru_cache(maxsize=64)
def _urls_text(urls: tuple[str, ...] | None) -> bytes:
    return json.dumps(urls).encode("utf-8") + b"\0"


def _make_template(body: bytes, urls: tuple[str, ...] | None, name: str, literals: int, iris: int) -> Template | None:
    """The template of a tokenised document (``body``, with contexts inlined unless ``urls`` are given), or None."""
    tokenised = json.loads(body)
    words, _ = _words(tokenised)
    if urls is None:
        text = body
    else:
        head = _context_text(urls, frozenset(words))
        text = b'{"@context": ' + head + (b", " + body[1:] if tokenised else b"}")
    try:
        triples = _parse(text, name)
    except DocumentError:
        return None  # the document itself is parsed, for its own error message
    # Normalising mends only ELM 3.3 IRIs and elm:nationalID, which no token stands for.
    return make_template(normalise(triples), literals, iris)


_UNKNOWN = object()  # no template for this text yet (None: one that cannot be used)


def _parse(text: bytes, name: str) -> dict[ox.Triple, None]:
    try:
        return dict.fromkeys(q.triple for q in ox.parse(text, ox.RdfFormat.JSON_LD))
    except SyntaxError as exc:
        raise DocumentError(f"{name}: invalid JSON-LD: {exc}") from None


@cache
def _literal_terms(urls: tuple[str, ...]) -> LiteralTerms:
    if any(url not in BUNDLED_CONTEXTS for url in urls):
        return NO_TERMS  # rejected by inline_contexts, naming the URL
    return literal_terms([_bundled(url) for url in urls])


def _norm_term(term):
    if isinstance(term, ox.NamedNode) and term.value.startswith(ns.ELM_33):
        return ox.NamedNode(ns.ELM + term.value[len(ns.ELM_33):])
    return term


def normalise(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """ELM 3.3 IRIs to the ELM 3.1 namespace; ``elm:nationalID`` to ``elm:nationalId``."""
    out: dict[ox.Triple, None] = {}
    wrong = _NATIONAL_ID_WRONG.value
    for t in triples:
        s, p, o = t.subject, t.predicate, t.object
        # Most triples need nothing: test cheaply before building new terms.
        if (
            p.value == wrong
            or p.value.startswith(ns.ELM_33)
            or (isinstance(s, ox.NamedNode) and s.value.startswith(ns.ELM_33))
            or (isinstance(o, ox.NamedNode) and o.value.startswith(ns.ELM_33))
        ):
            p = _norm_term(p)
            if p == _NATIONAL_ID_WRONG:
                p = _NATIONAL_ID
            t = ox.Triple(_norm_term(s), p, _norm_term(o))
        out[t] = None
    return list(out)


# -- literal well-formedness ----------------------------------------------------

_XSD = ns.XSD
_TZ = r"(Z|[+-](\d{2}):(\d{2}))?"
_DATE = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})" + _TZ + "$")
_DATETIME = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?" + _TZ + "$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DOUBLE = re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$")
_DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_BOOLEAN = {"true", "false", "1", "0"}
_ANY_VALUE = frozenset(ox.NamedNode(d) for d in (ns.XSD + "string", ns.RDF + "langString"))


def _valid_date(y: str, m: str, d: str) -> bool:
    try:
        date(max(int(y), 1), int(m), int(d))
        return True
    except ValueError:
        return False


def literal_problem(literal: ox.Literal) -> str | None:
    """Why ``literal`` is not a valid value of its datatype, or None."""
    dt = literal.datatype.value
    v = literal.value
    if not dt.startswith(_XSD):
        return None
    local = dt[len(_XSD):]
    if local == "date":
        m = _DATE.match(v)
        ok = bool(m) and _valid_date(m.group(1), m.group(2), m.group(3))
    elif local == "dateTime":
        m = _DATETIME.match(v)
        ok = bool(m) and _valid_date(m.group(1), m.group(2), m.group(3)) and int(m.group(4)) <= 24 and int(m.group(5)) < 60 and int(m.group(6)) < 61
    elif local in ("decimal",):
        ok = bool(_DECIMAL.match(v))
    elif local in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger"):
        ok = bool(_INTEGER.match(v))
        if ok and local == "nonNegativeInteger":
            ok = int(v) >= 0
        if ok and local == "positiveInteger":
            ok = int(v) > 0
    elif local in ("double", "float"):
        ok = bool(_DOUBLE.match(v))
    elif local == "duration":
        ok = bool(_DURATION.match(v))
    elif local == "boolean":
        ok = v in _BOOLEAN
    else:
        return None
    return None if ok else f'"{v}" is not a valid xsd:{local}'


@cache
def _ranged_nodes() -> frozenset[ox.NamedNode]:
    """Properties whose plain-string values are checked against the datatypes the ELM model gives them."""
    return frozenset(ox.NamedNode(p) for p in datatypes.checked_properties())


def _checked(t: ox.Triple) -> bool:
    """Whether a statement's value needs checking: a typed literal, or a string value of a property with a datatype.

    Most literals are strings, which every value is: skipped without copying the value.
    """
    o = t.object
    return type(o) is ox.Literal and (o.datatype not in _ANY_VALUE or t.predicate in _ranged_nodes())


def literal_problems(triples: Iterable[ox.Triple], withheld: Iterable[str] = ()) -> list[str]:
    """Ill-typed literals, and plain strings that are no value of the datatype ELM gives their property.

    The datatypes come from the shipped ontology ranges and SHACL profiles
    (:mod:`credgraph.graph.sources.datatypes`). Values of the properties in
    ``withheld`` (personal data) are not quoted in the messages.
    """
    withheld = set(withheld)
    problems = []
    if isinstance(triples, Statements):
        triples = triples.select("jsonld.literal-problems", _checked)
    for t in triples:
        if not _checked(t):
            continue
        o = t.object
        problem = literal_problem(o)
        expected = o.datatype.value
        if problem is None and o.datatype in _ANY_VALUE:
            problem = datatypes.string_value_problem(t.predicate.value, o.value)
            expected = " or ".join(sorted(datatypes.property_datatypes().get(t.predicate.value, {expected}) & datatypes.CHECKED))
        if problem:
            if t.predicate.value in withheld:
                problems.append(f"{_short(t.predicate.value)} of the learner: value (withheld, personal data) is not a valid {' or '.join(_short(e) for e in expected.split(' or '))}")
            else:
                problems.append(f"{_short(t.predicate.value)} of {_subject_label(t.subject)}: {problem}")
    return problems


def _short(iri: str) -> str:
    for prefix, base in (("elm:", ns.ELM), ("cred:", ns.CRED), ("dc:", ns.DC), ("foaf:", ns.FOAF), ("skos:", ns.SKOS), ("xsd:", ns.XSD)):
        if iri.startswith(base):
            return prefix + iri[len(base):]
    return f"<{iri}>"


def _subject_label(term) -> str:
    return f"<{term.value}>" if isinstance(term, ox.NamedNode) else "a blank node"


def parse_datetime_date(value: str) -> str | None:
    """The calendar date (``YYYY-MM-DD``) of an xsd:date or xsd:dateTime lexical value, or None."""
    m = _DATETIME.match(value) or _DATE.match(value)
    if not m or not _valid_date(m.group(1), m.group(2), m.group(3)):
        return None
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"


__all__ = [
    "BUNDLED_CONTEXTS",
    "DocumentError",
    "decode_json",
    "inline_contexts",
    "to_triples",
    "normalise",
    "literal_problems",
    "parse_datetime_date",
]
