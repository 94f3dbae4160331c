"""Filling a page template without running Jinja for every page.

Ten thousand specification pages in three languages share one template whose
output differs only in the values put into it. A *skeleton* is that output
rendered once by Jinja with a marker in place of every value; a page is then
the skeleton's text with each marker replaced by its value, escaped exactly
where the template escapes it (autoescaping prints a :class:`~markupsafe.Markup`
value as it is and escapes a plain string; ``|safe`` prints it raw). The
template stays the one source of the markup.

What a skeleton cannot see is a template decision taken on a value. Tests of
truth (``{% if f.note %}``) are covered: a skeleton is made for each pattern
of empty and non-empty values, with the empty values themselves in it. A value
that is compared or transformed (``{% if path == 'search/' %}``, ``|upper``)
is not: the marker stands for every value there. So a skeleton is only used
where such a test comes out the same for every page (the caller knows: a
specification page is never the search page), and :class:`Skeletons` checks
pages against Jinja's own rendering (the first of each skeleton, then a
sample) and raises :class:`SkeletonMismatch` if they differ.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from jinja2 import Template
from markupsafe import Markup, escape

# A value's marker: its index, "<" for a plain string (printed "&lt;" where the template escapes it),
# and letters of both cases, so that a filter changing the text (upper, lower, title) changes the marker.
_MARKER = re.compile(r"\x00(\d+)(<|&lt;)?aZ\x00")
_RAW, _ESCAPED, _AS_IS = 0, 1, 2


class SkeletonMismatch(RuntimeError):
    """A page filled from a skeleton differs from the page Jinja renders."""


class Skeleton:
    """A template's output split at its values: literal texts and, between them, which value goes where and how."""

    def __init__(self, pieces: list[str], holes: list[tuple[int, int, int]]) -> None:
        self.pieces = pieces  # literal texts, with a placeholder at each hole's position
        self.holes = holes  # (position in pieces, value index, how it is printed)

    def fill(self, values: list) -> str:
        """The page for ``values`` (in the order of the names the skeleton was made with)."""
        pieces = self.pieces.copy()
        for at, index, how in self.holes:
            value = values[index]
            if how == _ESCAPED:
                # Most escaped values are links, the same on every page of a depth: escaped once.
                escaped = _ESCAPES.get(value)
                if escaped is None:
                    escaped = str(escape(value))
                    if len(_ESCAPES) < 50_000:
                        _ESCAPES[value] = escaped
                value = escaped
            pieces[at] = value
        return "".join(pieces)


_ESCAPES: dict[str, str] = {}


class Skeletons:
    """The skeletons of one template, made as value patterns are met, and checked against Jinja."""

    def __init__(self, template: Template, fixed: dict[str, Any], check_every: int = 50) -> None:
        self.template = template
        self.fixed = fixed  # the context every page shares
        self.check_every = max(1, check_every)
        self._made: dict[tuple, Skeleton | None] = {}
        self._filled = 0

    def render(self, names: tuple[str, ...], values: list, extra: dict[str, Any] | None = None) -> str:
        """The template rendered with ``names`` (``"title"``, ``"f.lead"``: attribute ``lead`` of ``f``) set to ``values``.

        ``extra``: context only Jinja gets, when it renders a page itself (for a check, or when the
        template cannot be filled from a skeleton).
        """
        kinds = tuple(_kind(v) for v in values)
        key = (names, kinds)
        if key not in self._made:
            self._made[key] = None if None in kinds else self._make(names, values, kinds)
            check = True
        else:
            self._filled += 1
            check = self._filled % self.check_every == 0
        skeleton = self._made[key]
        if skeleton is None:
            return self.template.render(**self._context(names, values), **(extra or {}))
        html = skeleton.fill(values)
        if check:
            expected = self.template.render(**self._context(names, values), **(extra or {}))
            if html != expected:
                raise SkeletonMismatch(f"template {self.template.name}: a page filled from its skeleton differs from Jinja's "
                                       "(the template decides on a value beyond its being empty; render it with Jinja)")
        return html

    def _context(self, names: tuple[str, ...], values: list) -> dict[str, Any]:
        context: dict[str, Any] = dict(self.fixed)
        spaces: dict[str, dict[str, Any]] = {}
        for name, value in zip(names, values):
            space, dot, attr = name.partition(".")
            if dot:
                spaces.setdefault(space, {})[attr] = value
            else:
                context[name] = value
        context.update({space: SimpleNamespace(**attrs) for space, attrs in spaces.items()})
        return context

    def _make(self, names: tuple[str, ...], values: list, kinds: tuple) -> Skeleton | None:
        markers = []
        for i, (value, kind) in enumerate(zip(values, kinds)):
            if kind == "markup":
                markers.append(Markup(f"\x00{i}aZ\x00"))
            elif kind == "str":
                markers.append(f"\x00{i}<aZ\x00")
            else:
                markers.append(value)  # an empty value: part of the skeleton
        try:
            text = self.template.render(**self._context(names, markers))
        except Exception:  # noqa: BLE001 - any template that cannot take markers is rendered by Jinja instead
            return None
        pieces: list[str] = []
        holes: list[tuple[int, int, int]] = []
        at = 0
        for match in _MARKER.finditer(text):
            pieces.append(text[at:match.start()])
            index = int(match.group(1))
            sign = match.group(2)
            if index >= len(values) or (sign is None) != (kinds[index] == "markup"):
                return None
            holes.append((len(pieces), index, _AS_IS if sign is None else _RAW if sign == "<" else _ESCAPED))
            pieces.append("")
            at = match.end()
        pieces.append(text[at:])
        if any("\x00" in piece for piece in pieces):
            return None  # a marker was changed by a filter: the template transforms this value
        return Skeleton(pieces, holes)


def _kind(value: Any) -> Any:
    if not value:
        return ("empty", repr(value))  # each empty value as itself: "" and None print differently
    if isinstance(value, Markup):
        return "markup"
    if isinstance(value, str):
        return "str"
    return None  # anything else (a list, an object) is not filled from a skeleton
