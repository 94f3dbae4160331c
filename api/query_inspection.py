"""Looking at a query or update text before anything runs it: size, tokens, nesting, form, SERVICE.

Limits come first: a text over ``max_chars`` is refused (413) before anything
looks at it; the one tokenizer pass that makes every other check stops at
``max_tokens`` tokens or ``max_depth`` nested brackets (400), so no parser ever
sees a text that could overflow its stack; a text over 8 KiB is looked at in a
worker thread, never on the event loop. Used by the endpoint
(:mod:`credgraph.api.routes_sparql`) for queries and updates alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from credgraph.api.problems import Problem
from credgraph.graph.store import sparql_text

UPDATE_WORDS = {"INSERT", "DELETE", "CLEAR", "DROP", "LOAD", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


@dataclass(frozen=True)
class QueryCheck:
    """What the endpoint needs to know of a query text before running it."""

    is_update: bool  # the first keyword after the prologue starts an update
    mentions_service: bool  # as :func:`credgraph.graph.store.sparql_text.mentions_service`
    form: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE


@dataclass(frozen=True)
class TextLimits:
    """How large and how deep a query or update text may be (:class:`~credgraph.api.config.ApiSettings`)."""

    max_chars: int = 256 * 1024
    max_tokens: int = 50_000
    max_depth: int = 100

    @classmethod
    def of(cls, settings) -> "TextLimits":
        return cls(settings.max_query_chars, settings.max_query_tokens, settings.max_query_depth)


def check_size(text: str, limits: TextLimits, what: str) -> None:
    """413 for a text over the size limit: checked before any other look at it."""
    if len(text) > limits.max_chars:
        raise Problem(413, f"the {what} has {len(text):,} characters; the limit is {limits.max_chars:,}",
                      type_=f"{what}-too-large", limit=limits.max_chars)


def too_complex(exc: sparql_text.TooComplex, what: str) -> Problem:
    return Problem(400, f"the {what} is too complex: {exc}", type_=f"{what}-too-complex",
                   limit=exc.limit, measure=exc.what)


def inspect_query(text: str, limits: TextLimits = TextLimits()) -> QueryCheck:
    """The checks of ``text``, from one pass of the tokenizer; repeated short texts come from a cache.

    Raises :class:`~credgraph.graph.store.sparql_text.TooComplex` past the token or depth limit.
    """
    if len(text) <= _CACHED_TEXT_CHARS:
        return _inspect_cached(text, limits.max_tokens, limits.max_depth)
    return _inspect(text, limits.max_tokens, limits.max_depth)


async def inspect_query_async(text: str, limits: TextLimits) -> QueryCheck:
    """:func:`inspect_query`, in a worker thread for long texts (no input-sized work on the event loop)."""
    check_size(text, limits, "query")
    try:
        if len(text) <= _CACHED_TEXT_CHARS:
            return inspect_query(text, limits)
        return await run_in_threadpool(inspect_query, text, limits)
    except sparql_text.TooComplex as exc:
        raise too_complex(exc, "query") from None


_CACHED_TEXT_CHARS = 8 * 1024


_WORDS = frozenset({"word"})  # the inspection looks at keywords only


def _inspect(text: str, max_tokens: int = 50_000, max_depth: int = 100) -> QueryCheck:
    first = None
    form = None
    service = False
    for token in sparql_text.limited_tokens(sparql_text.unescape_codepoints(text), max_tokens, max_depth, _WORDS):
        word = token.text.upper()
        if first is None and word not in {"PREFIX", "BASE"}:
            first = word
        if form is None and word in sparql_text.FORMS:
            form = word
        if word == "SERVICE":
            service = True
    return QueryCheck(first in UPDATE_WORDS, service, form)


# Same text, same answer: at most 1,024 texts of at most 8 KiB are kept (8 MiB).
_inspect_cached = functools.lru_cache(maxsize=1024)(_inspect)
