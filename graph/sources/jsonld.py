"""JSON-LD documents to RDF triples, offline, with contexts from bundled copies only.

pyoxigraph's JSON-LD parser has no document loader, which suits us: every
``@context`` URL is replaced by the bundled context object before parsing
(:mod:`~credgraph.graph.sources.jsonld_contexts`), and a document that names
any other remote context is rejected with the URL in the message. Nothing is
ever fetched over the network. Documents of one template are parsed once
(:mod:`~credgraph.graph.sources.jsonld_templates`).

After parsing, IRIs are normalised to the one namespace the store keeps:
ELM 3.3 (``.../snb/model/ontology/``) becomes ELM 3.1 (``.../snb/model/elm/``),
and the EDC context's ``elm:nationalID`` becomes the ontology's ``elm:nationalId``.
Literal values are checked against their datatypes in
:mod:`~credgraph.graph.sources.datatypes`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import pyoxigraph as ox

from credgraph.graph import namespaces as ns
from credgraph.graph.sources import memo_check
from credgraph.graph.sources.jsonld_templates import (
    IRI_TOKEN,
    LiteralTerms,
    NO_TERMS,
    TEMPLATES,
    TOKEN,
    Template,
    literal_terms,
    make_template,
)
from credgraph.graph.sources.jsonld_contexts import (
    BUNDLED_CONTEXTS,
    DocumentError,
    as_list,
    bundled_context,
    check_bundled,
    check_context_cost,
    context_text,
    document_words,
    inline_contexts,
    plain_iri,
    plain_urls,
)


MAX_DEPTH = 100

_NATIONAL_ID_WRONG = ox.NamedNode(ns.ELM + "nationalID")
_NATIONAL_ID = ox.NamedNode(ns.ELM + "nationalId")


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
    methods; the IRI test of :func:`plain_iri` written out once).
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
                                if plain_iri(item, defined):
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


def to_triples(document: dict, name: str, graph: ox.NamedNode | None = None) -> list:
    """RDF triples of a JSON-LD ``document`` (contexts inlined from bundled copies), normalised.

    Duplicates are removed; order is kept. Documents of one template are
    parsed once (see :mod:`credgraph.graph.sources.jsonld_templates`). ``graph``:
    the graph the statements will be written to, if known; they may then
    come as quads in it (with the same subject, predicate and object).
    """
    top = document.get("@context")
    plain_top = plain_urls(top)
    terms = _literal_terms(tuple(as_list(top))) if plain_top else NO_TERMS
    scan = _scan(document, name, terms)
    if scan.nested_contexts and (scan.literals or scan.iris):  # a context inside may redefine any term
        scan = _scan(document, name)
    if scan.nested_contexts or not plain_top:
        check_context_cost(document, name)  # contexts written in the document: bounded before any parser sees them
        inlined, urls = inline_contexts(document, name), None
    else:
        # The usual case: the context part of the text is the same for every
        # document of a template, made once; only the body is serialised.
        urls = tuple(as_list(top))
        check_bundled(urls, name)
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
    words, _ = document_words(tokenised)
    if urls is None:
        text = body
    else:
        head = context_text(urls, frozenset(words))
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
    return literal_terms([bundled_context(url) for url in urls])


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


__all__ = ["decode_json", "to_triples", "normalise"]
