"""Fingerprints: digests of what a page unit, or every page, is made from (equal digests, equal pages).

An incremental build (:class:`~credgraph.site.output.SiteOutput`) skips a unit
whose fingerprint did not change; :func:`code_fingerprint` is part of every
one, so a change of template, interface string, static file, site code or
setting renders everything again.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

from credgraph import __version__


def fingerprint(*parts: Any) -> str:
    """A digest of everything a page is rendered from: equal digests, equal pages.

    The parts are dataclasses, lists, dicts and RDF terms built in a fixed
    order from the snapshot, so their ``repr`` is a faithful, stable text.
    """
    text = repr(parts)
    if " object at 0x" in text:  # an object without a value repr would make every digest new
        raise TypeError("a page fingerprint includes an object without a stable repr")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def text_fingerprint(texts: list[str]) -> str:
    """A digest of a list of texts (page parts, labels, serialised terms), each kept apart from the next."""
    return hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:32]


def code_fingerprint(*settings: str) -> str:
    """A digest of what shapes every page besides the data: templates, strings, static files, the site's code, settings."""
    digest = hashlib.sha256(repr((__version__, settings)).encode("utf-8"))
    package = resources.files("credgraph.site")
    for folder in ("templates", "i18n", "static"):
        for item in sorted(package.joinpath(folder).iterdir(), key=lambda x: x.name):
            if item.is_file():
                digest.update(item.name.encode("utf-8") + b"\0" + item.read_bytes())
    for item in sorted(package.iterdir(), key=lambda x: x.name):
        if item.name.endswith(".py"):  # the site's own code: every module of the package
            digest.update(item.name.encode("utf-8") + b"\0" + item.read_bytes())
    return digest.hexdigest()[:32]
