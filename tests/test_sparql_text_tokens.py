"""The regex tokenizer (graph/store/sparql_text.py) gives exactly the tokens of the character loop it replaced.

The old implementation is kept here only, as the reference: every token
(kind, text, start) must be the same on the project's named queries, the W3C
protocol suite's queries and updates, and hostile or random texts
(unterminated strings, lone ``<``, escapes, unicode, comments).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib

from credgraph.api.query_inspection import UPDATE_WORDS, QueryCheck, _inspect
from credgraph.graph.store import sparql_text
from credgraph.graph.store.sparql_text import _IRI, _LOCAL, _WORD, FORMS, OPENING, CLOSING, TooComplex

ROOT = Path(__file__).resolve().parents[1]
W3C = ROOT / "tests" / "data" / "w3c-sparql11-protocol"


@dataclass(frozen=True)
class OldToken:
    """The token as it was: a frozen dataclass."""

    kind: str
    text: str
    start: int


def reference_tokens(text: str) -> list[tuple[str, str, int]]:
    """The old tokenizer's tokens as (kind, text, start)."""
    return [(t.kind, t.text, t.start) for t in reference_iter_tokens(text)]


def reference_iter_tokens(text: str) -> Iterator[OldToken]:
    """The character-by-character tokenizer as it was (commit a103ec9), unchanged but for the token's name."""
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
            yield OldToken("string", text[i : j + len(quote)], i)
            i = j + len(quote)
            continue
        if ch == "<":
            match = _IRI.match(text, i)
            if match:
                yield OldToken("iri", match.group(0)[1:-1], i)
                i = match.end()
                continue
        if ch in "?$":
            match = _WORD.match(text, i + 1)
            end = match.end() if match else i + 1
            yield OldToken("var", text[i:end], i)
            i = end
            continue
        match = _WORD.match(text, i)
        if match:
            word = match.group(0)
            end = match.end()
            if end < n and text[end] == ":":
                local = _LOCAL.match(text, end + 1)
                end = local.end() if local else end + 1
                yield OldToken("pname", text[i:end], i)
            else:
                yield OldToken("word", word, i)
            i = end
            continue
        yield OldToken("punct", ch, i)
        i += 1


def reference_inspect(text: str, max_tokens: int = 50_000, max_depth: int = 100) -> QueryCheck:
    """The server's inspection of a query as it was: the old limited_tokens over the old tokenizer."""
    def limited():
        depth = 0
        for count, token in enumerate(reference_iter_tokens(text), 1):
            if count > max_tokens:
                raise TooComplex("tokens", max_tokens, f"the text has more than {max_tokens:,} tokens")
            if token.kind == "punct":
                if token.text in OPENING:
                    depth += 1
                    if depth > max_depth:
                        raise TooComplex("depth", max_depth, f"the text nests brackets more than {max_depth} deep "
                                         f"(at offset {token.start})")
                elif token.text in CLOSING:
                    depth = max(0, depth - 1)
            yield token

    text = sparql_text.unescape_codepoints(text)
    first = form = None
    service = False
    for token in limited():
        if token.kind != "word":
            continue
        word = token.text.upper()
        if first is None and word not in {"PREFIX", "BASE"}:
            first = word
        if form is None and word in FORMS:
            form = word
        if word == "SERVICE":
            service = True
    return QueryCheck(first in UPDATE_WORDS, service, form)


def same(text: str) -> None:
    assert [tuple(t) for t in sparql_text.tokens(text)] == reference_tokens(text), repr(text[:200])
    assert outcome(_inspect, text) == outcome(reference_inspect, text), repr(text[:200])


def outcome(inspect, text: str, max_tokens: int = 50_000, max_depth: int = 100):
    """The inspection's answer, or the limit it stopped at (with its message)."""
    try:
        return inspect(text, max_tokens, max_depth)
    except TooComplex as exc:
        return exc.what, exc.limit, str(exc)


def corpus() -> list[tuple[str, str]]:
    texts = [(path.name, path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / "queries").iterdir()) if path.suffix in (".rq", ".ru")]
    for manifest in sorted(W3C.glob("*.ttl")):
        graph = rdflib.Graph().parse(manifest, format="turtle")
        literals = sorted({str(o) for o in graph.objects() if isinstance(o, rdflib.Literal)})
        texts += [(f"{manifest.name}#{i}", literal) for i, literal in enumerate(literals)]
        texts.append((manifest.name, manifest.read_text(encoding="utf-8")))  # Turtle: strings, IRIs, comments
    return texts


def test_the_corpus_is_there():
    names = [name for name, _ in corpus()]
    assert sum(name.endswith((".rq", ".ru")) for name in names) >= 90
    assert sum("#" in name for name in names) >= 30  # the W3C suite's queries and updates, among its literals


@pytest.mark.parametrize("name,text", corpus(), ids=lambda value: value if len(value) < 60 else None)
def test_the_same_tokens_on_the_corpus(name, text):
    same(text)
    same(sparql_text.unescape_codepoints(text))


HOSTILE = [
    "", " ", "#", "# only a comment", "a # c\nb", "#\n#\n", '"', "'", '"""', "'''", '""', "''", '""""', "''''",
    '"""a""""', "'''a''''", '"""a""b"""', '"a\\"b"', '"a\\\\"b"', '"\\', '"""\\', "'\\'", '"abc', "'''abc''",
    '"multi\nline"', '"""x\n"y"\n"""', "<", "< >", "<a b>", "<urn:x>", "<urn:x", "<>", "<<urn:x>>", "<a{b>",
    "?", "$", "?x", "$x", "??x", "?1", "?x.y", "?é", "a:", "a:b:c", "a:b.c.", ":b", "ex:a-b%20c", "ex:\u00b7",
    "SELECT*{?s?p?o}", "?o.SERVICE", "x:SERVICE", "\u0053ERVICE", "\\u0053ERVICE", "SERVICE\u3000<x>",
    "a\u2028b", "\u00a0SELECT", "é:ü", "日本:語 ?変数", "😀 ?x😀 ex:a😀", "\U00010400x \U00010400:y", "\x00\x01\x7f",
    "\ud800", "FILTER(?x != 'a''b')", "'''", "\"\"\"\"\"\"\"", "\\", "\\\\", "a\\b", "{{{(((]]]", "1.5e3 -2 +3",
    "PREFIX : <urn:> SELECT * { :a :b :c }", "a #c\"\nb", "\"#not a comment\" #comment \"x", "<urn:#frag>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_same_tokens_on_hostile_texts(text):
    same(text)


def test_the_same_tokens_on_random_texts():
    alphabet = list("aZ_:?$<>\"'\\#{}()[].;,-%@ \t\n\r\u00b7\u00c0é日\u3000\u2028\u00a0😀\x00\x0b/^|`=!*+0123456789")
    rng = random.Random(14)
    for _ in range(3000):
        same("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))))
    for _ in range(100):  # longer ones, pieces of real syntax mixed with noise
        pieces = ["SELECT", " ", "?x", "ex:p", "<urn:a>", '"s"', "'''t'''", "# c\n", "{", "}", "\\", '"', "<", "\n"]
        same("".join(rng.choice(pieces + alphabet) for _ in range(rng.randint(100, 2000))))


def test_the_same_inspection_at_the_limits():
    """Token and depth limits stop at the same token, with the same message, as the old pass did."""
    for text in ["?a " * 100, "?a " * 101, "?a " * 100 + "  # c", "{" * 10, "{" * 11, "{ '{' " * 11,
                 "SELECT * { SERVICE <x> {} }", "PREFIX : <u:> INSERT DATA {}", "BASE <x> ASK {}"]:
        for limits in ((100, 10), (5, 3), (1000, 1000)):
            assert outcome(_inspect, text, *limits) == outcome(reference_inspect, text, *limits), (text, limits)


def test_whitespace_is_what_str_isspace_says():
    """The pattern skips ``\\s``; the old loop skipped ``str.isspace``: the same set of characters."""
    differ = [hex(c) for c in range(0x110000) if chr(c).isspace() != bool(re.match(r"\s", chr(c)))]
    assert differ == []


def test_the_limits_still_stop_on_the_new_tokens():
    with pytest.raises(sparql_text.TooComplex) as too_many:
        list(sparql_text.limited_tokens("?a " * 101, max_tokens=100, max_depth=10))
    assert too_many.value.what == "tokens"
    with pytest.raises(sparql_text.TooComplex) as too_deep:
        list(sparql_text.limited_tokens("{ '{' " * 11, max_tokens=100, max_depth=10))
    assert too_deep.value.what == "depth" and "offset 60" in str(too_deep.value)  # the 11th real {; the quoted ones are strings
