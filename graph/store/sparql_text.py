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
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Keywords and prefixes; no dots or dashes, so that "?o.SERVICE" splits as SPARQL does.
_WORD = re.compile(r"[A-Za-z_\u00C0-\uFFFF][\w\u00B7\u00C0-\uFFFF]*")
_LOCAL = re.compile(r"[\w\u00B7\u00C0-\uFFFF.%:-]*")
_IRI = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class Token:
    """One lexical item: ``kind`` is word, iri, string, var, or punct."""

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
    """:func:`tokens` one at a time, so that a caller can stop early (a token limit)."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            end = text.find("\n", i)
            i = n if end == -1 else end
            continue
        if ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            yield (Token("string", text[i : j + len(quote)], i))
            i = j + len(quote)
            continue
        if ch == "<":
            match = _IRI.match(text, i)
            if match:
                yield (Token("iri", match.group(0)[1:-1], i))
                i = match.end()
                continue
        if ch in "?$":
            match = _WORD.match(text, i + 1)
            end = match.end() if match else i + 1
            yield (Token("var", text[i:end], i))
            i = end
            continue
        match = _WORD.match(text, i)
        if match:
            word = match.group(0)
            end = match.end()
            # A prefixed name (pfx:local) is one token: its parts are never keywords.
            if end < n and text[end] == ":":
                local = _LOCAL.match(text, end + 1)  # no slice: a copy per name would make this quadratic
                end = local.end() if local else end + 1
                yield (Token("pname", text[i:end], i))
            else:
                yield (Token("word", word, i))
            i = end
            continue
        yield (Token("punct", ch, i))
        i += 1


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


def limited_tokens(text: str, max_tokens: int, max_depth: int) -> Iterator[Token]:
    """:func:`iter_tokens` that stops with :class:`TooComplex` past ``max_tokens`` tokens or ``max_depth`` nesting.

    pyoxigraph's parser recurses on every ``{``, ``(`` and ``[``; about 3,000
    of them overflow its stack in a thread and kill the whole process (a
    segfault, not an exception). So no text may reach a parser before this
    check has seen every token of it.
    """
    depth = 0
    for count, token in enumerate(iter_tokens(text), 1):
        if count > max_tokens:
            raise TooComplex("tokens", max_tokens, f"the text has more than {max_tokens:,} tokens")
        if token.kind == "punct":
            if token.text in OPENING:
                depth += 1
                if depth > max_depth:
                    raise TooComplex("depth", max_depth,
                                     f"the text nests brackets more than {max_depth} deep (at offset {token.start})")
            elif token.text in CLOSING:
                depth = max(0, depth - 1)
        yield token
