"""What the catalogue service returns: plain, immutable data (texts with their language, references,
search hits with facet counts, the details of a specification, provider or skill), which the API,
the CLI and the site only render.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class _Plain:
    def to_dict(self) -> dict:
        """This result as JSON-ready plain data."""
        return asdict(self)


@dataclass(frozen=True)
class Text(_Plain):
    """A text in one language; ``fallback`` is True when it is not in the language asked for."""

    text: str
    lang: str
    fallback: bool = False


@dataclass(frozen=True)
class Ref(_Plain):
    """A reference to an entity or concept with its label in the language asked for."""

    iri: str
    key: str
    label: Text
    path: str = ""


@dataclass(frozen=True)
class FacetValue(_Plain):
    """One value of a facet with the number of results choosing it would give."""

    value: str
    label: Text
    count: int
    selected: bool


@dataclass(frozen=True)
class SpecSummary(_Plain):
    """A search hit."""

    iri: str
    slug: str
    path: str
    title: Text
    provider: Ref | None
    country: Ref | None
    eqf: Ref | None
    field: Ref | None
    ects: float | None
    modes: list[Ref]
    languages: list[Ref]
    kind: str = "micro-credential"  # or "qualification"


@dataclass(frozen=True)
class SearchResult(_Plain):
    """One page of search results, the total, and the facets with live counts."""

    total: int
    page: int
    page_size: int
    items: list[SpecSummary]
    facets: dict[str, list[FacetValue]]


@dataclass(frozen=True)
class OutcomeDetail(_Plain):
    """A learning outcome with the ESCO skills it relates to."""

    iri: str
    title: Text | None
    skills: list[Ref]


@dataclass(frozen=True)
class QualityAssurance(_Plain):
    """One accreditation of a specification (Annex I M11)."""

    iri: str
    title: Text | None
    type: Ref | None
    agent: Ref | None


@dataclass(frozen=True)
class Stackability(_Plain):
    """What a specification is part of, consists of and entitles to (Annex I O4)."""

    is_part_of: list[Ref]
    has_part: list[Ref]
    entitles_to: list[Ref]

    @property
    def empty(self) -> bool:
        return not (self.is_part_of or self.has_part or self.entitles_to)


@dataclass(frozen=True)
class AnnexElement(_Plain):
    """Whether one Annex I element is stated for a specification."""

    code: str
    element: str
    present: bool


@dataclass(frozen=True)
class SpecificationDetail(_Plain):
    """Everything the catalogue knows about one specification, Annex I element by element."""

    iri: str
    slug: str
    path: str
    title: Text
    titles: dict[str, str]
    description: Text | None
    provider: Ref | None
    country: Ref | None
    ects: float | None
    hours: float | None
    eqf: Ref | None
    field: Ref | None
    outcomes: list[OutcomeDetail]
    assessment: list[Ref]
    modes: list[Ref]
    settings: list[Ref]
    languages: list[Ref]
    quality_assurance: list[QualityAssurance]
    prerequisites: Text | None
    id_verification: list[Ref]
    stackability: Stackability
    homepages: list[str]
    note: Text | None
    annex_i: list[AnnexElement]
    kind: str = "micro-credential"  # or "qualification"


@dataclass(frozen=True)
class ProviderDetail(_Plain):
    """An organisation and the specifications it provides."""

    iri: str
    slug: str
    path: str
    name: Text
    country: Ref | None
    homepage: str | None
    specifications: list[SpecSummary]


@dataclass(frozen=True)
class SkillDetail(_Plain):
    """An ESCO skill and the specifications that certify it (through their learning outcomes)."""

    iri: str
    key: str
    path: str
    label: Text
    specifications: list[SpecSummary]
