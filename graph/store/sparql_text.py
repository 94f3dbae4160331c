"""Looking at SPARQL text before it reaches the store: form, SERVICE, graph IRIs.

pyoxigraph exposes no parser, and it runs ``SERVICE`` clauses by making HTTP
requests, so the public endpoint must refuse them before evaluation. The checks
here work on a token stream in which comments, string literals and IRIs have
been recognised, after SPARQL's ``\\uXXXX`` codepoint escapes have been applied
(the grammar applies them before parsing, so ``\\u0053ERVICE`` *is* ``SERVICE``).
A false positive only refuses an odd query; a false negative would let the
server make a request, so every doubtful case counts as SERVICE.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Keywords and prefixes; no dots or dashes, so that "?o.SERVICE" splits as SPARQL does.
_WORD = re.compile(r"[A-Za-z_\u00C0-\uFFFF][\w\u00B7\u00C0-\uFFFF]*")
_LOCAL = re.compile(r"[\w\u00B7\u00C0-\uFFFF.%:-]*")
_IRI = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class Token(NamedTuple):
    """One lexical item: ``kind`` is word, pname, iri, string, var, or punct.

    A named tuple: a query of 50,000 tokens makes 50,000 of them, and a tuple is
    made in half the time of a frozen dataclass.
    """

    kind: str
    text: str
    start: int


def unescape_codepoints(text: str) -> str:
    """Apply SPARQL's codepoint escapes (``\\u0041`` -> ``A``), as the parser does."""

    def repl(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        try:
            return chr(code)
        except ValueError:
            return match.group(0)

    return _ESCAPE.sub(repl, text)


def tokens(text: str) -> list[Token]:
    """The tokens of ``text`` (already unescaped), comments dropped."""
    return list(iter_tokens(text))


def iter_tokens(text: str) -> Iterator[Token]:
    """:func:`tokens` one at a time, so that a caller can stop early (a token limit).

    One compiled pattern scanned with ``finditer``: the scan runs in the regex
    engine, not a Python loop per character (the server tokenizes every query
    it is sent, up to the token limit, and a character loop held the GIL for
    0.4-0.7 s on a 60,000-token text). Each match is the whitespace and
    comments before a token, then the token.
    """
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:  # whitespace or a comment at the end of the text
            return
        start, end = match.span(kind)
        if kind == "iri":
            yield Token(kind, text[start + 1 : end - 1], start)
        else:
            yield Token(kind, text[start:end], start)


def _string(quote: str) -> str:
    """A string literal opened by ``quote``: up to the same quote unescaped; unterminated, to the end of the text.

    A backslash escapes the character after it, whatever it is; in a long
    string (three quotes) a quote not followed by two more is text.
    """
    q = quote[0]
    text = rf"[^{q}\\]*"
    step = rf"(?:\\[\s\S]|{q}(?!{q}{q}))" if len(quote) == 3 else r"\\[\s\S]"
    return rf"{quote}{text}(?:{step}{text})*(?:{quote}|\\?\Z)"


# Whitespace and comments (skipped; Python's whitespace, str.isspace, as \s is), then one token: the
# alternatives in the order the tokenizer tries them; the last takes any character. At the end of the
# text, the skipped part alone matches (no group).
_TOKEN = re.compile(r"(?:\s+|#[^\n]*)*(?:" + "|".join([
    "(?P<string>" + "|".join(_string(q) for q in ('"""', '"', "'''", "'")) + ")",
    "(?P<iri>" + _IRI.pattern + ")",
    "(?P<var>[?$](?:" + _WORD.pattern + ")?)",
    # A prefixed name (pfx:local) is one token: its parts are never keywords.
    "(?P<pname>" + _WORD.pattern + ":" + _LOCAL.pattern + ")",
    "(?P<word>" + _WORD.pattern + ")",
    r"(?P<punct>[\s\S])",
    r"\Z",
]) + ")")


def _words(text: str) -> list[Token]:
    return tokens(unescape_codepoints(text))


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, or None when the text does not say."""
    for token in _words(text):
        if token.kind == "word" and token.text.upper() in FORMS:
            return token.text.upper()
    return None


def mentions_service(text: str) -> bool:
    """True if the query or update may contain a ``SERVICE`` clause.

    Checks the keyword anywhere outside comments, strings, IRIs, variables and
    prefixed names (case-insensitive).
    """
    return any(t.kind == "word" and t.text.upper() == "SERVICE" for t in _words(text))


def graph_iris(text: str) -> list[str]:
    """Every IRI written in the text (after codepoint unescaping)."""
    return [t.text for t in _words(text) if t.kind == "iri"]


def graph_constants_as_variables(text: str, prefix: str = "credgraph_graph_") -> str:
    """``text`` with each ``GRAPH <iri> {`` written as ``GRAPH ?v { VALUES ?v { <iri> }`` (same meaning).

    For Virtuoso: once a query is given a default graph, it finds no named
    graph written as a constant, but still matches ``GRAPH ?v``. Inside the
    group, ``VALUES`` keeps exactly the solutions of that graph, as the
    constant did. The text is returned with codepoint escapes applied.
    """
    text = unescape_codepoints(text)
    found = tokens(text)
    out, last, n = [], 0, 0
    for a, b, c in zip(found, found[1:], found[2:]):
        if a.kind == "word" and a.text.upper() == "GRAPH" and b.kind == "iri" and c.kind == "punct" and c.text == "{":
            n += 1
            var = f"?{prefix}{n}"
            out += [text[last:a.start], f"GRAPH {var} {{ VALUES {var} {{ <{b.text}> }} "]
            last = c.start + 1
    out.append(text[last:])
    return "".join(out)


def graph_variables_without(text: str, hidden: str) -> str:
    """``text`` with ``FILTER(?v != <hidden>)`` after each ``GRAPH ?v { ... }`` (codepoint escapes applied).

    The filter sits in the group around the ``GRAPH`` pattern, where it
    removes exactly the solutions of graph ``hidden``: for a store that keeps
    the merged graph as a named graph, so ``GRAPH ?g`` meets the sources only.
    """
    text = unescape_codepoints(text)
    found = tokens(text)
    inserts: list[tuple[int, str]] = []
    for i, (a, b, c) in enumerate(zip(found, found[1:], found[2:])):
        if a.kind == "word" and a.text.upper() == "GRAPH" and b.kind == "var" and c.kind == "punct" and c.text == "{":
            depth = 0
            for t in found[i + 2:]:
                if t.kind == "punct" and t.text == "{":
                    depth += 1
                elif t.kind == "punct" and t.text == "}":
                    depth -= 1
                    if depth == 0:
                        inserts.append((t.start + 1, f" FILTER({b.text} != <{hidden}>) "))
                        break
    for position, clause in sorted(inserts, reverse=True):
        text = text[:position] + clause + text[position:]
    return text


def without_from_clauses(text: str) -> str:
    """``text`` without its ``FROM <iri>`` / ``FROM NAMED <iri>`` clauses (codepoint escapes applied).

    The SPARQL 1.1 Protocol says a dataset given as request parameters
    replaces the query's own; Virtuoso adds the two instead, so the clauses go.
    """
    text = unescape_codepoints(text)
    found = tokens(text)
    out, last, i = [], 0, 0
    while i < len(found):
        t = found[i]
        if t.kind == "word" and t.text.upper() == "FROM" and text[max(t.start - 1, 0) : t.start] != ":":
            j = i + 1
            if j < len(found) and found[j].kind == "word" and found[j].text.upper() == "NAMED":
                j += 1
            if j < len(found) and found[j].kind == "iri":
                out.append(text[last : t.start])
                last = found[j + 1].start if j + 1 < len(found) else len(text)
                i = j + 1
                continue
        i += 1
    out.append(text[last:])
    return "".join(out)


def has_dataset_clause(text: str) -> bool:
    """True if an update has its own ``USING`` or ``WITH`` clause."""
    return any(t.kind == "word" and t.text.upper() in {"USING", "WITH"} for t in _words(text))


def has_from_clause(text: str) -> bool:
    """True if a query names its own dataset (``FROM`` or ``FROM NAMED``); ``ex:from`` is a name, not a clause."""
    text = unescape_codepoints(text)
    return any(
        t.kind == "word" and t.text.upper() == "FROM" and not text[max(t.start - 1, 0) : t.start] == ":"
        for t in tokens(text)
    )


def using_insert_positions(text: str) -> list[int]:
    """Offsets in ``text`` just before each top-level ``WHERE`` of a DELETE/INSERT operation.

    The SPARQL 1.1 Protocol's ``using-graph-uri`` / ``using-named-graph-uri``
    parameters act as ``USING`` clauses on such operations; pyoxigraph's update
    API takes no dataset, so the endpoint places the clauses there. Offsets are
    in the original text (no codepoint escapes are expected around keywords in
    updates that also use these parameters; such a text is refused upstream).
    """
    positions: list[int] = []
    depth = 0
    in_modify = False
    previous = ""
    for token in tokens(text):
        word_before, previous = previous, token.text.upper() if token.kind == "word" else ""
        if token.kind == "punct" and token.text == "{":
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
        elif token.kind == "punct" and token.text == ";" and depth == 0:
            in_modify = False
        elif token.kind == "word" and depth == 0:
            word = token.text.upper()
            if word in {"INSERT", "DELETE"}:
                in_modify = True
            elif word == "WHERE" and in_modify:
                if word_before != "DELETE":  # DELETE WHERE takes no USING
                    positions.append(token.start)
                in_modify = False
    return positions


class TooComplex(ValueError):
    """A text over a structural limit; ``what`` is ``tokens`` or ``depth``."""

    def __init__(self, what: str, limit: int, message: str) -> None:
        super().__init__(message)
        self.what = what
        self.limit = limit


OPENING, CLOSING = "{([", "})]"


def limited_tokens(text: str, max_tokens: int, max_depth: int,
                   kinds: frozenset[str] | None = None) -> Iterator[Token]:
    """:func:`iter_tokens` that stops with :class:`TooComplex` past ``max_tokens`` tokens or ``max_depth`` nesting.

    pyoxigraph's parser recurses on every ``{``, ``(`` and ``[``; about 3,000
    of them overflow its stack in a thread and kill the whole process (a
    segfault, not an exception). So no text may reach a parser before this
    check has seen every token of it. ``kinds``: yield only tokens of these
    kinds (every token is still counted and checked); the server's inspection
    of a query needs only its words, and makes no objects for the rest.
    """
    depth = 0
    count = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:
            return
        count += 1
        if count > max_tokens:
            raise TooComplex("tokens", max_tokens, f"the text has more than {max_tokens:,} tokens")
        if kind == "punct":
            char = match.group(kind)
            if char in OPENING:
                depth += 1
                if depth > max_depth:
                    raise TooComplex("depth", max_depth, f"the text nests brackets more than {max_depth} deep "
                                     f"(at offset {match.start(kind)})")
            elif char in CLOSING:
                depth = max(0, depth - 1)
        if kinds is None or kind in kinds:
            start, end = match.span(kind)
            yield Token(kind, text[start + 1 : end - 1] if kind == "iri" else text[start:end], start)
