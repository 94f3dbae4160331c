"""What a template is given to write one page: relative URLs, language texts, numbers, references.

A :class:`Page` is one page in one language. The markup it makes over and
over (references, skill tags, labels, cards) is made once per language and
page depth and kept by the :class:`~credgraph.site.rendering.Renderer` it
belongs to. English pages live at the root, German and French ones under
``de/`` and ``fr/`` (:data:`PREFIX`); every link is relative.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from credgraph.graph.services.catalogue_naming import LANGUAGES
from credgraph.graph.services.catalogue_results import Ref, SpecSummary, Text

if TYPE_CHECKING:
    from credgraph.site.rendering import Renderer

LANGS = LANGUAGES
PREFIX = {"en": "", "de": "de/", "fr": "fr/"}


class Page:
    """Helpers a template uses for one page: relative URLs, language texts, numbers."""

    def __init__(self, site: "Renderer", lang: str, path: str) -> None:
        self.site = site
        self.lang = lang
        self.path = path
        self.root = "../" * (PREFIX[lang] + path).count("/")
        self.t = site.strings[lang]

    def url(self, path: str, lang: str | None = None) -> str:
        """Relative URL of site path ``path`` in ``lang`` (default: this page's language)."""
        target = PREFIX[lang or self.lang] + path
        return (self.root + target) or "./"

    def asset(self, path: str) -> str:
        """Relative URL of a language-independent file."""
        return self.root + path

    def tx(self, text: Text | None, tag: str = "span") -> Markup:
        """A data text, marked with its language and visibly flagged when it is a fallback."""
        # Plain string building: this runs tens of thousands of times per build.
        if text is None:
            return Markup(self.site.missing[self.lang])
        body = escape(text.text)
        if not text.fallback or not text.lang:
            if text.lang and text.lang != self.lang:
                return Markup(f'<{tag} lang="{text.lang}">{body}</{tag}>')
            return Markup(f"<{tag}>{body}</{tag}>") if tag != "span" else body
        note = self.site.fallback_notes[self.lang][text.lang] if text.lang in LANGS else escape(self.t["fallback_note"] + " " + text.lang)
        return Markup(f'<{tag} lang="{escape(text.lang)}">{body}</{tag}> <abbr class="fallback" title="{note}">{escape(text.lang.upper())}</abbr>')

    def cards(self, items: list[SpecSummary]) -> Markup:
        """The list of specification cards (each built once per specification and language)."""
        cache = self.site.card_cache
        # A card is the same on every page but for the way up to the site's root in its link.
        head = '<li class="card"><h3><a href="' + self.root
        parts = ['<ul class="cards">']
        for s in items:
            tail = cache.get((s.iri, self.lang))
            parts.append(head + (tail if tail is not None else self.card_tail(s)))
        parts.append("</ul>")
        return Markup("\n".join(parts))

    def card_tail(self, s: SpecSummary) -> str:
        """A specification's card after the way up to the site's root (the same on every page of a language)."""
        meta = []
        for ref in (s.provider, s.country, s.eqf):
            if ref:
                meta.append(self.label(ref))
        if s.ects is not None:
            meta.append(escape(self.fmt("ects_hours", ects=self.num(s.ects))))
        meta.extend(self.label(m) for m in s.modes)
        return f'{PREFIX[self.lang]}{s.path}">{self.tx(s.title)}</a></h3><p class="meta">{" · ".join(meta)}</p></li>'

    def label(self, ref: Ref) -> Markup:
        """A reference's label, as :meth:`tx` marks it (made once per reference and language, as :meth:`ref`)."""
        key = (id(ref), self.lang)
        made = self.site.label_html.get(key)
        if made is not None and made[0] is ref:
            return made[1]
        html = self.tx(ref.label)
        self.site.label_html[key] = (ref, html)
        return html

    def refs(self, items: list[Ref | None]) -> Markup:
        """References separated by commas, or "not stated" when there are none."""
        if not items:
            return Markup(self.site.missing[self.lang])
        return Markup(", ".join([self.ref(r) for r in items]))  # each is markup already

    def num(self, value: float | None) -> str:
        """A number formatted for this page's language (``2.5`` / ``2,5``)."""
        if value is None:
            return ""
        text = f"{value:g}" if value != int(value) else str(int(value))
        return text.replace(".", ",") if self.lang in ("de", "fr") else text

    def fmt(self, key: str, **kw: Any) -> str:
        """An interface string with ``{name}`` placeholders filled."""
        text = self.t[key]
        for name, value in kw.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def ref(self, ref: Ref | None) -> Markup:
        """A reference: a link when it has a page, else its label."""
        if ref is None:
            return Markup(self.site.missing[self.lang])
        # The same references (providers, levels, fields, skills ...) recur on thousands of pages:
        # each is made once per language and depth. Keyed by the object (the catalogue's references
        # are memoised), which the entry keeps alive so that its id is not reused.
        key = (id(ref), self.lang, self.root)
        made = self.site.ref_html.get(key)
        if made is not None and made[0] is ref:
            return made[1]
        label = self.tx(ref.label)
        html = Markup(f'<a href="{self.url(ref.path)}">{label}</a>') if ref.path else label
        self.site.ref_html[key] = (ref, html)
        return html

    def tag(self, skill: Ref) -> str:
        """A skill as a tag linking to its page (made once per language and depth, as :meth:`ref`)."""
        key = (id(skill), self.lang, self.root)
        made = self.site.tag_html.get(key)
        if made is not None and made[0] is skill:
            return made[1]
        html = f'<a class="tag" href="{escape(self.url(skill.path))}">{self.tx(skill.label)}</a>'
        self.site.tag_html[key] = (skill, html)
        return html

