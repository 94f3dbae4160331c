"""How the catalogue names things: its languages, facets and ECTS ranges; the keys, slugs and page
paths of entities; text normalised for search, and the text of a value picked in a language (with
a visible fallback).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping

from credgraph.graph import namespaces as ns
from credgraph.graph.services.catalogue_results import Text


LANGUAGES = ("en", "de", "fr")
FACETS = ("eqf", "ects", "field", "mode", "language", "country", "provider", "skill")

# ECTS ranges offered as facet values: (key, lower bound inclusive, upper bound exclusive).
ECTS_RANGES: tuple[tuple[str, float, float], ...] = (
    ("0-2", 0, 3),
    ("3-5", 3, 6),
    ("6-14", 6, 15),
    ("15-29", 15, 30),
    ("30+", 30, float("inf")),
)


def key_of(iri: str | None) -> str:
    """The short key of a concept IRI: its last path segment (``.../eqf/6`` -> ``6``)."""
    if not iri:
        return ""
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


def slug_of(kind: str, iri: str) -> str:
    """The page slug of an entity: the minted slug, else a stable hash of the IRI."""
    if kind == "pathway" and iri.startswith(f"{ns.CG_ID}spec/"):
        # The implied rule "all of its parts" of a larger specification.
        return "parts/" + slug_of("spec", iri)
    minted = f"{ns.CG_ID}{ {'provider': 'org', 'pathway': 'rule'}.get(kind, kind) }/"
    if iri.startswith(minted):
        slug = iri[len(minted):]
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*", slug) and ".." not in slug:
            return slug
    if kind == "skill" and iri.startswith(ns.ESCO_SKILL):
        return iri[len(ns.ESCO_SKILL):]
    if kind in ("eqf", "field"):
        return key_of(iri)
    return "x" + hashlib.sha256(iri.encode()).hexdigest()[:16]


def facet_key(facet: str, iri: str) -> str:
    """The key of ``iri`` as a value of ``facet`` (in URLs and the search index)."""
    if facet in ("provider", "skill"):
        return slug_of(facet, iri)
    return key_of(iri)


_PAGE_KINDS = {"spec": "spec", "provider": "provider", "skill": "skill", "eqf": "eqf", "field": "field", "pathway": "pathway"}


def page_path(kind: str, iri: str) -> str:
    """The site path of an entity page, e.g. ``spec/<slug>/`` (no leading slash, language prefix added by the site)."""
    folder = _PAGE_KINDS.get(kind)
    if not folder:
        return ""
    return f"{folder}/{slug_of(kind, iri)}/"


# -- text --------------------------------------------------------------------


def normalise(text: str) -> str:
    """Case- and accent-folded text for matching (the browser search does the same).

    Marks are dropped by ``str.translate``: the site's search indexes fold
    every title, description and outcome in three languages, and a loop per
    character was a tenth of the page work at 10,000 specifications.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _SPACES.sub(" ", decomposed.translate(_STRIP_COMBINING).replace("ß", "ss")).strip()


class _KeepUnlessCombining(dict):
    """A ``str.translate`` table dropping combining marks, filled as characters are met."""

    def __missing__(self, code: int):
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_STRIP_COMBINING = _KeepUnlessCombining()
_SPACES = re.compile(r"\s+")


def pick(texts: Mapping[str, str], lang: str) -> Text:
    """The text in ``lang``, else in English, German, French, else any (marked as fallback)."""
    if lang in texts:
        return Text(texts[lang], lang)
    for other in ("en", "de", "fr", "", *sorted(texts)):
        if other in texts:
            return Text(texts[other], other, fallback=True)
    raise ValueError("no text to pick from")


def pick_optional(texts: Mapping[str, str], lang: str) -> Text | None:
    """Like :func:`pick`, None when there is no text."""
    return pick(texts, lang) if texts else None


def ects_range(ects: float) -> str:
    """The ECTS range facet key for a credit value."""
    for key, low, high in ECTS_RANGES:
        if low <= ects < high:
            return key
    return ECTS_RANGES[0][0]
