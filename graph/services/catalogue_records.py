"""The catalogue in memory: specifications, organisations and labels as read from the store
(:mod:`~credgraph.graph.services.catalogue_reading`), with the lookups every view of it needs
(labels and references in a language, facet values, search documents).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field

from credgraph.graph.services.catalogue_naming import ects_range, facet_key, key_of, normalise, page_path, pick, slug_of
from credgraph.graph.services.catalogue_results import Ref, SpecSummary, Text


@dataclass
class Outcome:
    iri: str
    titles: dict[str, str] = dc_field(default_factory=dict)
    skills: list[str] = dc_field(default_factory=list)


@dataclass
class Accreditation:
    iri: str
    titles: dict[str, str] = dc_field(default_factory=dict)
    type: str | None = None
    agent: str | None = None


@dataclass
class Organisation:
    iri: str
    names: dict[str, str] = dc_field(default_factory=dict)
    country: str | None = None
    homepage: str | None = None


@dataclass
class SpecRecord:
    """One specification as read from the store (IRIs and language maps)."""

    iri: str
    titles: dict[str, str] = dc_field(default_factory=dict)
    descriptions: dict[str, str] = dc_field(default_factory=dict)
    prerequisites: dict[str, str] = dc_field(default_factory=dict)
    notes: dict[str, str] = dc_field(default_factory=dict)
    ects: float | None = None
    hours: float | None = None
    eqf: str | None = None
    field: str | None = None
    provider: str | None = None
    links: dict[str, list[str]] = dc_field(default_factory=lambda: defaultdict(list))
    outcomes: list[Outcome] = dc_field(default_factory=list)
    accreditations: list[Accreditation] = dc_field(default_factory=list)
    kind: str = "micro-credential"  # or "qualification" (elm:Qualification: a larger credential)

    def many(self, kind: str) -> list[str]:
        return self.links.get(kind, [])

    @property
    def skills(self) -> list[str]:
        seen: dict[str, None] = {}
        for outcome in self.outcomes:
            for s in outcome.skills:
                seen.setdefault(s, None)
        return list(seen)


class Catalogue:
    """The catalogue read from a store: specifications, organisations, labels."""

    def __init__(self) -> None:
        self.specs: dict[str, SpecRecord] = {}
        self.orgs: dict[str, Organisation] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self._index: dict[str, dict[str, SearchDoc]] = {}

    # -- labels -------------------------------------------------------------
    def label(self, iri: str, lang: str) -> Text:
        """The label of a concept or organisation in ``lang``, falling back visibly."""
        if iri in self.orgs and self.orgs[iri].names:
            return pick(self.orgs[iri].names, lang)
        if iri in self.specs and self.specs[iri].titles:
            return pick(self.specs[iri].titles, lang)
        labels = self.labels.get(iri)
        if labels:
            return pick(labels, lang)
        return Text(key_of(iri), "", fallback=True)

    def ref(self, iri: str | None, lang: str, kind: str = "") -> Ref | None:
        """A :class:`Ref` to ``iri`` (None stays None)."""
        if not iri:
            return None
        if (kind == "spec" and iri not in self.specs) or (kind == "provider" and iri not in self.providers):
            path = ""  # no page: a specification the catalogue does not describe, an organisation providing nothing
        else:
            path = page_path(kind, iri) if kind else ""
        label = self.label(iri, lang)
        if kind == "spec" and iri in self.shared_titles(lang):
            # Two specifications of one title (two providers' "Big Data Analytics"): say whose this is.
            provider = self.specs[iri].provider
            if provider:
                label = Text(f"{label.text} — {self.label(provider, lang).text}", label.lang, label.fallback)
        return Ref(iri, facet_key(kind, iri) if kind else key_of(iri), label, path)

    def shared_titles(self, lang: str) -> set[str]:
        """The specifications whose title in ``lang`` another specification has too (compared folded)."""
        key = "_shared_titles:" + lang
        if key not in self._index:
            holders: dict[str, list[str]] = defaultdict(list)
            for spec in self.specs.values():
                if spec.titles:
                    holders[normalise(pick(spec.titles, lang).text)].append(spec.iri)
            self._index[key] = {iri for iris in holders.values() if len(iris) > 1 for iri in iris}  # type: ignore[assignment]
        return self._index[key]  # type: ignore[return-value]

    @property
    def providers(self) -> set[str]:
        """The organisations that provide at least one specification."""
        if "_providers" not in self._index:
            self._index["_providers"] = {s.provider for s in self.specs.values() if s.provider}  # type: ignore[assignment]
        return self._index["_providers"]  # type: ignore[return-value]

    def country_of(self, spec: SpecRecord) -> str | None:
        org = self.orgs.get(spec.provider or "")
        return org.country if org else None

    # -- facet values of one specification ----------------------------------
    def facet_values(self, spec: SpecRecord) -> dict[str, list[str]]:
        """The facet keys ``spec`` has, facet by facet."""
        country = self.country_of(spec)
        return {
            "eqf": [key_of(spec.eqf)] if spec.eqf else [],
            "ects": [ects_range(spec.ects)] if spec.ects is not None else [],
            "field": [key_of(spec.field)] if spec.field else [],
            "mode": [key_of(m) for m in spec.many("mode")],
            "language": [key_of(x) for x in spec.many("language")],
            "country": [key_of(country)] if country else [],
            "provider": [facet_key("provider", spec.provider)] if spec.provider else [],
            "skill": [key_of(s) for s in spec.skills],
        }

    def facet_iri(self, facet: str, key: str) -> str | None:
        """The IRI behind a facet key (None for ECTS ranges and unknown keys)."""
        return self._facet_iris().get((facet, key))

    def _facet_iris(self) -> dict[tuple[str, str], str]:
        if "_facet_iris" not in self._index:
            table: dict[tuple[str, str], str] = {}
            for spec in self.specs.values():
                for facet, iris in (
                    ("eqf", [spec.eqf]), ("field", [spec.field]), ("mode", spec.many("mode")),
                    ("language", spec.many("language")), ("country", [self.country_of(spec)]),
                    ("provider", [spec.provider]), ("skill", spec.skills),
                ):
                    for iri in iris:
                        if iri:
                            table[(facet, facet_key(facet, iri))] = iri
            self._index["_facet_iris"] = table  # type: ignore[assignment]
        return self._index["_facet_iris"]  # type: ignore[return-value]

    def docs(self, lang: str) -> dict[str, "SearchDoc"]:
        """Search documents in ``lang``, built once per language."""
        if lang not in self._index:
            self._index[lang] = {iri: self._doc(spec, lang) for iri, spec in self.specs.items()}
        return self._index[lang]

    def _doc(self, spec: SpecRecord, lang: str) -> "SearchDoc":
        title = pick(spec.titles, lang) if spec.titles else Text(key_of(spec.iri), "", True)
        parts = [title.text]
        if spec.descriptions:
            parts.append(pick(spec.descriptions, lang).text)
        if spec.provider:
            parts.append(self.label(spec.provider, lang).text)
        if spec.field:
            parts.append(self.label(spec.field, lang).text)
        for outcome in spec.outcomes:
            if outcome.titles:
                parts.append(pick(outcome.titles, lang).text)
        parts.extend(self.label(s, lang).text for s in spec.skills)
        return SearchDoc(spec.iri, title, normalise(title.text), normalise(" ".join(parts)), self.facet_values(spec))

    def summary(self, spec: SpecRecord, lang: str) -> SpecSummary:
        """The search-hit view of ``spec``."""
        return SpecSummary(
            iri=spec.iri,
            slug=slug_of("spec", spec.iri),
            path=page_path("spec", spec.iri),
            title=pick(spec.titles, lang) if spec.titles else Text(key_of(spec.iri), "", True),
            provider=self.ref(spec.provider, lang, "provider"),
            country=self.ref(self.country_of(spec), lang, "country"),
            eqf=self.ref(spec.eqf, lang, "eqf"),
            field=self.ref(spec.field, lang, "field"),
            ects=spec.ects,
            modes=[self.ref(m, lang, "mode") for m in spec.many("mode")],
            languages=[self.ref(x, lang, "language") for x in spec.many("language")],
            kind=spec.kind,
        )


@dataclass(frozen=True)
class SearchDoc:
    iri: str
    title: Text
    title_norm: str
    text: str
    facets: dict[str, list[str]]
