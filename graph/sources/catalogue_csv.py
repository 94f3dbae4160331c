"""Catalogue spreadsheets (CSV, one row per micro-credential) to ELM 3.1 triples.

The column set is documented in ``docs/catalogue-csv.md``. Parsing is pure:
bytes in, triples and errors out; the ingest pipeline writes the result into
the source graph ``urn:credgraph:source:catalogue-<hash of file name>``. A file
with any error yields no triples at all (all or nothing).

The controlled values the cells may hold are in
:mod:`~credgraph.graph.sources.catalogue_terms`; reading a cell into a checked
value is :mod:`~credgraph.graph.sources.catalogue_cells`; this module checks
the header and makes each row's triples.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import PurePath

from pyoxigraph import Literal, NamedNode, Triple

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.catalogue_cells import CellReader, HTTP_URL, OUTCOME_COLUMN, SkillResolver
from credgraph.graph.sources.catalogue_terms import (
    ASSESSMENTS,
    ASSESSMENT_ALIASES,
    COUNTRY_NAL,
    CURRENCY_NAL,
    ECTS,
    ESCO_SKILL_PREFIX,
    ISCED_F_CODES,
    LANGS,
    LANGUAGE_NAL,
    LEARNING_SETTINGS,
    LEARNING_SETTING_ALIASES,
    MODES,
    MODE_ALIASES,
    OPPORTUNITY_ALIASES,
    OPPORTUNITY_TYPES,
    QA_ALIASES,
    QA_LABELS,
    QA_TYPES,
    SCHEMES,
    SNB,
    country_code,
    language_code,
)


# --- columns -------------------------------------------------------------------

BASE_COLUMNS = (
    "id", "kind", "provider_name", "provider_id", "provider_homepage", "country", "ects", "hours",
    "eqf_level", "isced_f", "mode", "learning_setting", "language", "assessment", "qa_type", "qa_agent",
    "qa_agent_country", "prerequisites", "part_of", "opportunity_type", "start_date", "duration",
    "price", "currency", "homepage",
) + tuple(f"{f}_{lang}" for f in ("title", "description") for lang in LANGS)
REQUIRED_COLUMNS = ("id", "provider_name", "country")
KINDS = {"micro-credential": "LearningAchievementSpecification", "qualification": "Qualification"}
KIND_ALIASES = {"microcredential": "micro-credential", "micro credential": "micro-credential", "mc": "micro-credential"}

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# C0 controls other than tab, line feed and carriage return, and DEL: never text.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

XSD = ns.XSD
RDF_TYPE = NamedNode(ns.RDF + "type")


def _p(prefix: str, local: str) -> NamedNode:
    return NamedNode(prefix + local)


ELM = lambda local: _p(ns.ELM, local)  # noqa: E731 - a compact term maker reads better below
DC = lambda local: _p(ns.DC, local)  # noqa: E731


@dataclass
class CatalogueParse:
    """The outcome of parsing one catalogue file."""

    name: str
    source_id: str
    triples: list[Triple] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    specifications: list[str] = field(default_factory=list)
    opportunities: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        """True when the file had no error (and its triples can be written)."""
        return not self.errors


def catalogue_source_id(name: str) -> str:
    """The source id of a catalogue file: ``catalogue-<16 hex of SHA-256 of its base name>``."""
    base = PurePath(name).name or name
    return "catalogue-" + hashlib.sha256(base.encode("utf-8")).hexdigest()[:16]


def slugify(text: str) -> str:
    """Lower-case ASCII slug: accents removed, other runs of characters become ``-``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def spec_iri(provider_slug: str, local_id: str) -> str:
    """The minted IRI of a specification from a catalogue."""
    return f"{ns.CG_ID}spec/{provider_slug}/{local_id}"


def opportunity_iri(provider_slug: str, local_id: str) -> str:
    """The minted IRI of a learning opportunity from a catalogue."""
    return f"{ns.CG_ID}opportunity/{provider_slug}/{local_id}"


def org_iri(slug: str) -> str:
    """The minted IRI of an organisation (provider or QA agency)."""
    return f"{ns.CG_ID}org/{slug}"


# --- parsing -------------------------------------------------------------------


class _RowError(Exception):
    """One bad cell; collected, never raised out of this module."""


def _decode(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _RowError(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            'save the file as "CSV UTF-8"'
        ) from None
    return text.removeprefix("\ufeff")


def _delimiter(header_line: str) -> str:
    # Outside quotes, whichever of ; and , is more frequent in the header wins.
    bare = re.sub(r'"[^"]*"', "", header_line)
    return ";" if bare.count(";") > bare.count(",") else ","


def parse_catalogue_csv(data: bytes, name: str, resolve_skill_label: SkillResolver | None = None) -> CatalogueParse:
    """Parse a catalogue CSV file into ELM 3.1 triples.

    ``name`` is the file name used in messages and for the source id.
    ``resolve_skill_label`` maps an exact English ESCO preferred label to a
    skill IRI (see :func:`skill_label_resolver`); without it, skills must be
    given by IRI. The result has either triples or errors, never both.
    """
    display = PurePath(name).name or name
    result = CatalogueParse(name=display, source_id=catalogue_source_id(name))
    try:
        text = _decode(data, display)
    except _RowError as exc:
        result.errors.append(str(exc))
        return result
    if not text.strip():
        result.errors.append(f"{display}: the file is empty")
        return result
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        result.errors.append(f"{display} row {reader.line_num}: not valid CSV ({exc})")
        return result
    header = [h.strip().lower() for h in records[0]]
    _check_header(header, display, result.errors)
    if result.errors:
        return result
    rows = [(i + 2, rec) for i, rec in enumerate(records[1:]) if any(cell.strip() for cell in rec)]
    if not rows:
        result.errors.append(f"{display}: no data rows below the header")
        return result
    parser = _Parser(display, header, resolve_skill_label)
    parser.run(rows)
    result.rows = len(rows)
    if parser.errors:
        result.errors = parser.errors
        return result
    result.triples = parser.triples
    result.specifications = parser.specifications
    result.opportunities = parser.opportunities
    return result


def _check_header(header: list[str], name: str, errors: list[str]) -> None:
    known = set(BASE_COLUMNS)
    seen: set[str] = set()
    for col in header:
        if not col:
            errors.append(f"{name} row 1: a column has an empty name")
        elif col in seen:
            errors.append(f"{name} row 1, column {col}: column appears twice")
        elif col not in known and not OUTCOME_COLUMN.match(col):
            errors.append(f"{name} row 1, column {col}: unknown column (see docs/catalogue-csv.md)")
        seen.add(col)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        errors.append(f"{name} row 1: missing required column(s): {', '.join(missing)}")
    if not any(f"title_{lang}" in seen for lang in LANGS):
        errors.append(f"{name} row 1: missing required column: at least one of title_en, title_de, title_fr")


class _Parser(CellReader):
    """Turns validated rows into triples; collects every error of every row."""

    def __init__(self, name: str, header: list[str], resolve: SkillResolver | None):
        super().__init__(name, header, resolve)
        self.triples: list[Triple] = []
        self.specifications: list[str] = []
        self.opportunities: list[str] = []
        self._orgs: set[str] = set()
        self._concepts: set[str] = set()
        self._schemes: set[str] = set()

    # -- helpers ------------------------------------------------------------
    def add(self, s: str | NamedNode, p: NamedNode, o) -> None:
        self.triples.append(Triple(NamedNode(s) if isinstance(s, str) else s, p, o))

    def concept(self, iri: str, scheme: str) -> NamedNode:
        # Typed as EDC credentials type them, so a source graph validates on its
        # own; labels stay in the vocabulary graphs (a second label from here
        # would appear beside the vocabulary's own in union-graph queries).
        node = NamedNode(iri)
        if iri not in self._concepts:
            self._concepts.add(iri)
            self.add(node, RDF_TYPE, _p(ns.SKOS, "Concept"))
            self.add(node, _p(ns.SKOS, "inScheme"), NamedNode(SCHEMES[scheme]))
            if scheme not in self._schemes:
                self._schemes.add(scheme)
                self.add(SCHEMES[scheme], RDF_TYPE, _p(ns.SKOS, "ConceptScheme"))
        return node

    def web_resource(self, owner: str, fragment: str, url: str) -> NamedNode:
        node = NamedNode(f"{owner}#{fragment}")
        self.add(node, RDF_TYPE, ELM("WebResource"))
        self.add(node, ELM("contentUrl"), Literal(url, datatype=_p(XSD, "anyURI")))
        return node

    def organisation(self, slug: str, legal_name: str, country: str, homepage: str | None) -> str:
        iri = org_iri(slug)
        if iri in self._orgs:
            return iri
        self._orgs.add(iri)
        self.add(iri, RDF_TYPE, ELM("Organisation"))
        self.add(iri, _p(ns.ROV, "legalName"), Literal(legal_name, language="en"))
        location, address = NamedNode(iri + "#location"), NamedNode(iri + "#address")
        self.add(iri, ELM("location"), location)
        self.add(location, RDF_TYPE, DC("Location"))
        self.add(location, ELM("address"), address)
        self.add(address, RDF_TYPE, ELM("Address"))
        self.add(address, ELM("countryCode"), self.concept(COUNTRY_NAL + country, "country"))
        if homepage:
            self.add(iri, _p(ns.FOAF, "homepage"), self.web_resource(iri, "homepage", homepage))
        return iri

    # -- the file -----------------------------------------------------------
    def run(self, rows: list[tuple[int, list[str]]]) -> None:
        cells_by_row = []
        ids: dict[tuple[str, str], int] = {}
        for number, record in rows:
            cells = self._cells(number, record)
            if cells is None:
                continue
            cells_by_row.append((number, cells))
        # First pass: every entry's IRI, so part_of can refer to later rows.
        local: dict[str, str] = {}
        for number, cells in cells_by_row:
            local_id, slug = cells.get("id", ""), self._provider_slug(cells)
            if not local_id:
                continue
            key = (slug, local_id)
            if key in ids:
                self.error(number, "id", f"'{local_id}' already used in row {ids[key]}")
                continue
            ids[key] = number
            local.setdefault(local_id, spec_iri(slug, local_id))
        for number, cells in cells_by_row:
            self._row(number, cells, local)

    def _cells(self, number: int, record: list[str]) -> dict[str, str] | None:
        if len(record) > len(self.header) and any(c.strip() for c in record[len(self.header):]):
            self.errors.append(
                f"{self.name} row {number}: {len(record)} cells but the header has {len(self.header)} columns "
                "(a cell with the delimiter in it needs quotes)"
            )
            return None
        return {col: (record[i].strip() if i < len(record) else "") for i, col in enumerate(self.header)}

    def _provider_slug(self, cells: dict[str, str]) -> str:
        return slugify(cells.get("provider_id") or cells.get("provider_name", "")) or "provider"

    # -- one row ------------------------------------------------------------
    def _row(self, n: int, c: dict[str, str], local: dict[str, str]) -> None:  # noqa: C901 - one column after another
        errors_before = len(self.errors)
        for col, value in c.items():
            bad = CONTROL_CHARACTER.search(value)
            if bad:  # a NUL in a title would be stored and served in every page that shows it
                self.error(n, col, f"control character U+{ord(bad.group()):04X} at position {bad.start() + 1}")
        for col in REQUIRED_COLUMNS:
            if not c.get(col):
                self.error(n, col, "a value is required")
        local_id = c.get("id", "")
        if local_id and not _ID.match(local_id):
            self.error(n, "id", f"'{local_id}' is not a valid id (letters, digits, '-', '_', '.')")
        titles = {lang: c.get(f"title_{lang}", "") for lang in LANGS}
        if not any(titles.values()):
            self.error(n, "title_en", "a title is required (title_en, title_de or title_fr)")
        kind = self._choice(n, c, "kind", KINDS, KIND_ALIASES, default="micro-credential")
        country = None
        if c.get("country"):
            country = country_code(c["country"])
            if not country:
                self.error(n, "country", f"'{c['country']}' is not an ISO 3166 alpha-2 or EU NAL alpha-3 country code")
        provider_homepage = self._url(n, c, "provider_homepage")
        homepage = self._url(n, c, "homepage")
        ects = self._number(n, c, "ects", maximum=Decimal(360))
        hours = self._number(n, c, "hours", maximum=Decimal(20000))
        eqf = None
        if c.get("eqf_level"):
            if c["eqf_level"] in {str(i) for i in range(1, 9)}:
                eqf = c["eqf_level"]
            else:
                self.error(n, "eqf_level", f"'{c['eqf_level']}' is not an EQF level (1-8)")
        isced = None
        if c.get("isced_f"):
            if c["isced_f"] in ISCED_F_CODES:
                isced = c["isced_f"]
            else:
                self.error(n, "isced_f", f"'{c['isced_f']}' is not an ISCED-F 2013 field code (e.g. 0613)")
        modes = self._choices(n, c, "mode", MODES, MODE_ALIASES)
        setting = self._choice(n, c, "learning_setting", LEARNING_SETTINGS, LEARNING_SETTING_ALIASES)
        languages = []
        for value in self._split(c.get("language", "")):
            code = language_code(value)
            if code:
                languages.append(code)
            else:
                self.error(n, "language", f"'{value}' is not an ISO 639-1 or EU NAL language code")
        assessments = self._choices(n, c, "assessment", ASSESSMENTS, ASSESSMENT_ALIASES)
        qa = self._choice(n, c, "qa_type", QA_TYPES, QA_ALIASES)
        if qa and not c.get("qa_agent"):
            self.error(n, "qa_agent", "the quality assurance agency is required when qa_type is given")
        if c.get("qa_agent") and not qa:
            self.error(n, "qa_type", "the type of quality assurance is required when qa_agent is given")
        qa_country = country
        if c.get("qa_agent_country"):
            qa_country = country_code(c["qa_agent_country"])
            if not qa_country:
                self.error(n, "qa_agent_country", f"'{c['qa_agent_country']}' is not an ISO 3166 alpha-2 or EU NAL alpha-3 country code")
        parents = []
        for value in self._split(c.get("part_of", "")):
            if value in local:
                parents.append(local[value])
            elif HTTP_URL.match(value):
                parents.append(value)
            else:
                self.error(n, "part_of", f"'{value}' is neither an id in this file nor an IRI")
        opp_type = self._choice(n, c, "opportunity_type", OPPORTUNITY_TYPES, OPPORTUNITY_ALIASES)
        start = None
        if c.get("start_date"):
            if _DATE.match(c["start_date"]) and _valid_date(c["start_date"]):
                start = c["start_date"]
            else:
                self.error(n, "start_date", f"'{c['start_date']}' is not a date (YYYY-MM-DD)")
        duration = self._duration(n, c)
        price = self._price(n, c)
        outcomes = self._outcomes(n, c)
        if len(self.errors) > errors_before:
            return

        slug = self._provider_slug(c)
        spec = spec_iri(slug, local_id)
        opp = opportunity_iri(slug, local_id)
        self.specifications.append(spec)
        self.opportunities.append(opp)
        org = self.organisation(slug, c["provider_name"], country, provider_homepage)
        s = NamedNode(spec)
        self.add(s, RDF_TYPE, ELM(KINDS[kind]))
        if kind == "qualification":
            self.add(s, ELM("isPartialQualification"), Literal("false", datatype=_p(XSD, "boolean")))
        self.add(s, _p(ns.ADMS, "identifier"), NamedNode(spec + "#identifier"))
        self.add(NamedNode(spec + "#identifier"), RDF_TYPE, ELM("Identifier"))
        self.add(NamedNode(spec + "#identifier"), _p(ns.SKOS, "notation"), Literal(local_id))
        self.add(s, DC("publisher"), NamedNode(org))
        for lang, title in titles.items():
            if title:
                self.add(s, DC("title"), Literal(title, language=lang))
            description = c.get(f"description_{lang}")
            if description:
                self.add(s, DC("description"), Literal(description, language=lang))
        if ects is not None:
            credit = NamedNode(spec + "#credit")
            self.add(s, ELM("creditPoint"), credit)
            self.add(credit, RDF_TYPE, ELM("CreditPoint"))
            self.add(credit, ELM("framework"), self.concept(ECTS, "education-credit"))
            self.add(credit, ELM("point"), Literal(_plain_number(ects)))
        if hours is not None:
            self.add(s, ELM("volumeOfLearning"), Literal(_hours_duration(hours), datatype=_p(XSD, "duration")))
        if eqf:
            self.add(s, ELM("EQFLevel"), self.concept(f"{SNB}eqf/{eqf}", "eqf"))
        if isced:
            self.add(s, ELM("ISCEDFCode"), self.concept(f"{SNB}isced-f/{isced}", "isced-f"))
        for mode in modes:
            self.add(s, ELM("mode"), self.concept(f"{SNB}learning-assessment/{MODES[mode]}", "learning-assessment"))
        if setting:
            self.add(s, ELM("learningSetting"), self.concept(f"{SNB}learning-setting/{LEARNING_SETTINGS[setting]}", "learning-setting"))
        for code in languages:
            self.add(s, DC("language"), self.concept(LANGUAGE_NAL + code, "language"))
        for keyword in assessments:
            code = ASSESSMENTS[keyword]
            node = NamedNode(f"{spec}#assessment-{code}")
            self.add(s, ELM("provenBy"), node)
            self.add(node, RDF_TYPE, ELM("LearningAssessmentSpecification"))
            self.add(node, DC("title"), Literal(keyword.capitalize(), language="en"))
            self.add(node, DC("type"), self.concept(f"{SNB}assessment/{code}", "assessment"))
        if qa:
            agent = self.organisation(slugify(c["qa_agent"]) or "qa-agency", c["qa_agent"], qa_country, None)
            acc = NamedNode(spec + "#accreditation")
            self.add(s, ELM("accreditation"), acc)
            self.add(acc, RDF_TYPE, ELM("Accreditation"))
            self.add(acc, DC("type"), self.concept(f"{SNB}accreditation/{QA_TYPES[qa]}", "accreditation"))
            self.add(acc, DC("title"), Literal(f"{QA_LABELS[qa]} by {c['qa_agent']}", language="en"))
            self.add(acc, ELM("organisation"), NamedNode(org))
            self.add(acc, ELM("accreditingAgent"), NamedNode(agent))
        if c.get("prerequisites"):
            note = NamedNode(spec + "#entry-requirement")
            self.add(s, ELM("entryRequirement"), note)
            self.add(note, RDF_TYPE, ELM("Note"))
            self.add(note, ELM("noteLiteral"), Literal(c["prerequisites"], language="en"))
        for number, texts, skills in outcomes:
            node = NamedNode(f"{spec}#outcome-{number}")
            self.add(s, ELM("learningOutcome"), node)
            self.add(node, RDF_TYPE, ELM("LearningOutcome"))
            for lang, text in texts.items():
                self.add(node, DC("title"), Literal(text, language=lang))
            for skill in skills:
                self.add(node, ELM("relatedESCOSkill"), NamedNode(skill))
        for parent in parents:
            self.add(s, ELM("isPartOf"), NamedNode(parent))
            # Within one file the larger credential also lists its parts.
            if parent in local.values():
                self.add(NamedNode(parent), ELM("hasPart"), s)
        if homepage:
            self.add(s, _p(ns.FOAF, "homepage"), self.web_resource(spec, "homepage", homepage))

        o = NamedNode(opp)
        self.add(o, RDF_TYPE, ELM("LearningOpportunity"))
        for lang, title in titles.items():
            if title:
                self.add(o, DC("title"), Literal(title, language=lang))
        self.add(o, ELM("learningAchievementSpecification"), s)
        self.add(o, ELM("providedBy"), NamedNode(org))
        page = homepage or provider_homepage
        if page:
            self.add(o, _p(ns.FOAF, "homepage"), self.web_resource(opp, "homepage", page))
        if languages:
            self.add(o, ELM("defaultLanguage"), self.concept(LANGUAGE_NAL + languages[0], "language"))
        if opp_type:
            self.add(o, DC("type"), self.concept(f"{SNB}learning-opportunity/{OPPORTUNITY_TYPES[opp_type]}", "learning-opportunity"))
        if start:
            period = NamedNode(opp + "#period")
            self.add(o, DC("temporal"), period)
            self.add(period, RDF_TYPE, DC("PeriodOfTime"))
            self.add(period, ELM("startDate"), Literal(start + "T00:00:00", datatype=_p(XSD, "dateTime")))
        if duration:
            self.add(o, ELM("duration"), Literal(duration, datatype=_p(XSD, "duration")))
        if price:
            amount_value, currency = price
            detail, amount = NamedNode(opp + "#price"), NamedNode(opp + "#amount")
            self.add(o, ELM("priceDetail"), detail)
            self.add(detail, RDF_TYPE, ELM("PriceDetail"))
            self.add(detail, ELM("amount"), amount)
            self.add(amount, RDF_TYPE, ELM("Amount"))
            self.add(amount, _p(ns.RDF, "value"), Literal(_plain_number(amount_value), datatype=_p(XSD, "decimal")))
            self.add(amount, ELM("unit"), self.concept(CURRENCY_NAL + currency, "currency"))


def _valid_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _plain_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _hours_duration(hours: Decimal) -> str:
    minutes = int((hours * 60).to_integral_value())
    whole, rest = divmod(minutes, 60)
    return f"PT{whole}H" + (f"{rest}M" if rest else "") if whole else f"PT{rest}M"


# --- ESCO labels -----------------------------------------------------------------


def skill_label_resolver(store) -> SkillResolver:
    """A resolver from exact English ESCO preferred labels to skill IRIs, over ``store``.

    Uses the named query ``catalogue-csv-skill-by-label``. A label shared by
    several skills raises ``ValueError`` naming them (give the IRI instead).
    """
    query = queries.load("catalogue-csv-skill-by-label")

    @lru_cache(maxsize=4096)
    def resolve(label: str) -> str | None:
        rows = store.select(query, {"label": Literal(label, language="en")}).rows
        iris = sorted({row["skill"].value for row in rows if row["skill"].value.startswith(ESCO_SKILL_PREFIX)})
        if len(iris) > 1:
            raise ValueError(f"'{label}' is the English label of {len(iris)} ESCO skills ({', '.join(iris)}); give the IRI")
        return iris[0] if iris else None

    return resolve
