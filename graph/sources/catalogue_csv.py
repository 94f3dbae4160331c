"""Catalogue spreadsheets (CSV, one row per micro-credential) to ELM 3.1 triples.

The column set is documented in ``docs/catalogue-csv.md``. Parsing is pure:
bytes in, triples and errors out; the ingest pipeline writes the result into
the source graph ``urn:credgraph:source:catalogue-<hash of file name>``. A file
with any error yields no triples at all (all or nothing).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import PurePath

from pyoxigraph import Literal, NamedNode, Triple

from credgraph import queries
from credgraph.graph import namespaces as ns

SkillResolver = Callable[[str], "str | None"]

# --- controlled vocabularies -------------------------------------------------

SNB = ns.SNB
COUNTRY_NAL = "http://publications.europa.eu/resource/authority/country/"
LANGUAGE_NAL = "http://publications.europa.eu/resource/authority/language/"
CURRENCY_NAL = "http://publications.europa.eu/resource/authority/currency/"
ECTS = SNB + "education-credit/6fcec5c5af"

# ISO 3166 alpha-2 -> EU NAL country code (Europe and neighbours). ``EL`` and
# ``UK`` are the codes EU bodies use for Greece and the United Kingdom.
COUNTRIES = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE", "DK": "DNK",
    "EE": "EST", "FI": "FIN", "FR": "FRA", "DE": "DEU", "GR": "GRC", "EL": "GRC", "HU": "HUN",
    "IE": "IRL", "IT": "ITA", "LV": "LVA", "LT": "LTU", "LU": "LUX", "MT": "MLT", "NL": "NLD",
    "PL": "POL", "PT": "PRT", "RO": "ROU", "SK": "SVK", "SI": "SVN", "ES": "ESP", "SE": "SWE",
    "IS": "ISL", "LI": "LIE", "NO": "NOR", "CH": "CHE", "GB": "GBR", "UK": "GBR", "TR": "TUR",
    "RS": "SRB", "ME": "MNE", "MK": "MKD", "AL": "ALB", "BA": "BIH", "UA": "UKR", "MD": "MDA",
    "GE": "GEO", "AM": "ARM", "AD": "AND", "MC": "MCO", "SM": "SMR", "VA": "VAT",
}
_COUNTRY_ALPHA3 = set(COUNTRIES.values())

# ISO 639-1 -> EU NAL language code.
LANGUAGES = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA",
    "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON",
    "sk": "SLK", "sl": "SLV", "sv": "SWE", "no": "NOR", "nb": "NOB", "is": "ISL", "lb": "LTZ",
    "ca": "CAT", "eu": "EUS", "gl": "GLG", "tr": "TUR", "uk": "UKR", "sr": "SRP", "mk": "MKD",
    "sq": "SQI", "bs": "BOS",
}
_LANGUAGE_ALPHA3 = set(LANGUAGES.values())

MODES = {
    "online": "920fbb3cbe", "blended": "e92d221e4d", "on-site": "9191af2ed9",
    "work-based": "729f3bed4b", "project-based": "7813801c77", "research": "ed4c557045",
}
MODE_ALIASES = {
    "presential": "on-site", "onsite": "on-site", "on site": "on-site", "face-to-face": "on-site",
    "in person": "on-site", "in-person": "on-site", "lab": "research", "research/lab": "research",
    "work based": "work-based", "project based": "project-based",
}
LEARNING_SETTINGS = {"formal": "6fd4685715", "non-formal": "e207a81fc7"}
LEARNING_SETTING_ALIASES = {"nonformal": "non-formal", "non formal": "non-formal"}

# Codes of http://data.europa.eu/snb/assessment/25831c2 (see docs/catalogue-csv.md).
ASSESSMENTS = {
    "written exam": "6e6cb2cc78", "oral exam": "d30284d7df", "graded assignment": "2939dae15f",
    "continuous assessment": "3484bd7e51", "peer assessment": "19a2e5e671", "portfolio": "4f03b91c0e",
    "attendance": "7331eb4762", "project work": "795dac4096", "group work": "56539a6507",
    "practical assessment": "6a4db9f11d", "assessment of a work": "de4d165a6c", "quiz": "b1b68f6735",
    "peer review": "812e3b0ae1", "problem-based learning": "c4256a2726",
}
ASSESSMENT_ALIASES = {
    "written examination": "written exam", "exam": "written exam", "oral examination": "oral exam",
    "assignment": "graded assignment", "project": "project work", "practical exam": "practical assessment",
    "group performance": "group work", "peer-review": "peer review", "peer-assessment": "peer assessment",
}

QA_TYPES = {
    "institutional-licence": "003293d2ce", "programme-licence": "e57dddfcf3",
    "programme-quality": "820101cba6", "institutional-quality": "bb4618238e",
}
QA_LABELS = {
    "institutional-licence": "Institutional licensing", "programme-licence": "Programme licensing",
    "programme-quality": "Programme quality assurance", "institutional-quality": "Institutional quality assurance",
}
QA_ALIASES = {
    "institutional license": "institutional-licence", "institutional-license": "institutional-licence",
    "programme license": "programme-licence", "program-license": "programme-licence",
    "program-quality": "programme-quality", "institutional licence": "institutional-licence",
    "programme licence": "programme-licence", "programme quality": "programme-quality",
    "institutional quality": "institutional-quality",
}

OPPORTUNITY_TYPES = {"course": "05053c1cbe", "short learning programme": "74a4a268e8", "mooc": "17744a2647"}
OPPORTUNITY_ALIASES = {"short learning program": "short learning programme", "slp": "short learning programme"}

# ISCED-F 2013 codes as enumerated in the ELM XSD (220 concepts).
ISCED_F_CODES = frozenset("""
00 000 0000 001 0011 002 0021 003 0031 009 0099 01 011 0110 0111 0112 0113 0114 0119 018 0188 02 020
0200 021 0210 0211 0212 0213 0214 0215 0219 022 0220 0221 0222 0223 0228 0229 023 0230 0231 0232 0239
028 0288 029 0299 03 030 0300 031 0310 0311 0312 0313 0314 0319 032 0320 0321 0322 0329 038 0388 039
0399 04 040 0400 041 0410 0411 0412 0413 0414 0415 0416 0417 0419 042 0421 048 0488 049 0499 05 050
0500 051 0510 0511 0512 0519 052 0520 0521 0522 0529 053 0530 0531 0532 0533 0539 054 0540 0541 0542
058 0588 059 0599 06 061 0610 0611 0612 0613 0619 068 0688 07 070 0700 071 0710 0711 0712 0713 0714
0715 0716 0719 072 0720 0721 0722 0723 0724 0729 073 0730 0731 0732 078 0788 079 0799 08 080 0800 081
0810 0811 0812 0819 082 0821 083 0831 084 0841 088 0888 089 0899 09 090 0900 091 0910 0911 0912 0913
0914 0915 0916 0917 0919 092 0920 0921 0922 0923 0929 098 0988 099 0999 10 100 1000 101 1010 1011 1012
1013 1014 1015 1019 102 1020 1021 1022 1029 103 1030 1031 1032 1039 104 1041 108 1088 109 1099 99 999
9999""".split())

SCHEMES = {
    "eqf": SNB + "eqf/25831c2",
    "isced-f": SNB + "isced-f/25831c2",
    "learning-assessment": SNB + "learning-assessment/25831c2",
    "learning-setting": SNB + "learning-setting/25831c2",
    "assessment": SNB + "assessment/25831c2",
    "accreditation": SNB + "accreditation/25831c2",
    "learning-opportunity": SNB + "learning-opportunity/25831c2",
    "education-credit": SNB + "education-credit/25831c2",
    "country": "http://publications.europa.eu/resource/authority/country",
    "language": "http://publications.europa.eu/resource/authority/language",
    "currency": "http://publications.europa.eu/resource/authority/currency",
}

ESCO_SKILL_PREFIX = ns.ESCO_SKILL
LANGS = ("en", "de", "fr")
MULTI_SEPARATOR = "|"

# --- columns -------------------------------------------------------------------

BASE_COLUMNS = (
    "id", "kind", "provider_name", "provider_id", "provider_homepage", "country", "ects", "hours",
    "eqf_level", "isced_f", "mode", "learning_setting", "language", "assessment", "qa_type", "qa_agent",
    "qa_agent_country", "prerequisites", "part_of", "opportunity_type", "start_date", "duration",
    "price", "currency", "homepage",
) + tuple(f"{f}_{lang}" for f in ("title", "description") for lang in LANGS)
REQUIRED_COLUMNS = ("id", "provider_name", "country")
OUTCOME_COLUMN = re.compile(r"^outcome_([1-9][0-9]*)_(en|de|fr|skills)$")
KINDS = {"micro-credential": "LearningAchievementSpecification", "qualification": "Qualification"}
KIND_ALIASES = {"microcredential": "micro-credential", "micro credential": "micro-credential", "mc": "micro-credential"}

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# C0 controls other than tab, line feed and carriage return, and DEL: never text.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_NUMBER = re.compile(r"^\d+([.,]\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")
_WORDS_DURATION = re.compile(r"^(\d+)\s*(day|days|week|weeks|month|months|year|years)$", re.I)

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


def country_code(value: str) -> str | None:
    """The NAL alpha-3 code for an ISO alpha-2 or NAL alpha-3 country code, or None."""
    code = value.strip().upper()
    if len(code) == 2:
        return COUNTRIES.get(code)
    return code if code in _COUNTRY_ALPHA3 else None


def language_code(value: str) -> str | None:
    """The NAL code for an ISO 639-1 or NAL alpha-3 language code, or None."""
    code = value.strip()
    if len(code) == 2:
        return LANGUAGES.get(code.lower())
    return code.upper() if code.upper() in _LANGUAGE_ALPHA3 else None


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


class _Parser:
    """Turns validated rows into triples; collects every error of every row."""

    def __init__(self, name: str, header: list[str], resolve: SkillResolver | None):
        self.name = name
        self.header = header
        self.resolve = resolve
        self.triples: list[Triple] = []
        self.errors: list[str] = []
        self.specifications: list[str] = []
        self.opportunities: list[str] = []
        self._orgs: set[str] = set()
        self._concepts: set[str] = set()
        self._schemes: set[str] = set()
        self.outcome_numbers = sorted({int(m.group(1)) for c in header if (m := OUTCOME_COLUMN.match(c))})

    # -- helpers ------------------------------------------------------------
    def add(self, s: str | NamedNode, p: NamedNode, o) -> None:
        self.triples.append(Triple(NamedNode(s) if isinstance(s, str) else s, p, o))

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(f"{self.name} row {row}, column {column}: {message}")

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
            elif _URL.match(value):
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

    # -- cell readers -------------------------------------------------------
    @staticmethod
    def _split(value: str) -> list[str]:
        return [v.strip() for v in value.split(MULTI_SEPARATOR) if v.strip()]

    def _choice(self, n: int, c: dict[str, str], col: str, table: dict, aliases: dict, default: str | None = None):
        raw = c.get(col, "")
        if not raw:
            return default
        key = " ".join(raw.lower().split())
        key = aliases.get(key, key)
        if key in table:
            return key
        self.error(n, col, f"'{raw}' is not one of: {', '.join(table)}")
        return None

    def _choices(self, n: int, c: dict[str, str], col: str, table: dict, aliases: dict) -> list[str]:
        found = []
        for value in self._split(c.get(col, "")):
            key = aliases.get(" ".join(value.lower().split()), " ".join(value.lower().split()))
            if key in table:
                if key not in found:
                    found.append(key)
            else:
                self.error(n, col, f"'{value}' is not one of: {', '.join(table)}")
        return found

    def _number(self, n: int, c: dict[str, str], col: str, maximum: Decimal) -> Decimal | None:
        raw = c.get(col, "")
        if not raw:
            return None
        value = Decimal(raw.replace(",", ".")) if _NUMBER.match(raw) else None
        if value is None:
            self.error(n, col, f"'{raw}' is not a number")
            return None
        if value <= 0 or value > maximum:
            self.error(n, col, f"'{raw}' is out of range (more than 0, at most {maximum})")
            return None
        return value

    def _url(self, n: int, c: dict[str, str], col: str) -> str | None:
        raw = c.get(col, "")
        if not raw:
            return None
        if not _URL.match(raw):
            self.error(n, col, f"'{raw}' is not an http(s) URL")
            return None
        return raw

    def _duration(self, n: int, c: dict[str, str]) -> str | None:
        raw = c.get("duration", "")
        if not raw:
            return None
        if _ISO_DURATION.match(raw.upper()):
            return raw.upper()
        match = _WORDS_DURATION.match(raw)
        if match:
            unit = match.group(2).lower()[0]
            return f"P{int(match.group(1))}{ {'d': 'D', 'w': 'W', 'm': 'M', 'y': 'Y'}[unit] }"
        self.error(n, "duration", f"'{raw}' is not a duration (P8W, P3M, '8 weeks')")
        return None

    def _price(self, n: int, c: dict[str, str]) -> tuple[Decimal, str] | None:
        raw = c.get("price", "")
        if not raw:
            return None
        parts = raw.replace("€", " EUR").split()
        currency = (c.get("currency") or "EUR").upper()
        if len(parts) == 2 and re.fullmatch(r"[A-Za-z]{3}", parts[1]):
            currency = parts[1].upper()
        elif len(parts) != 1:
            self.error(n, "price", f"'{raw}' is not an amount (450, or 450 EUR)")
            return None
        if not re.fullmatch(r"[A-Z]{3}", currency):
            self.error(n, "currency", f"'{currency}' is not an ISO 4217 currency code")
            return None
        try:
            amount = Decimal(parts[0].replace(",", "."))
        except InvalidOperation:
            self.error(n, "price", f"'{raw}' is not an amount (450, or 450 EUR)")
            return None
        if not amount.is_finite() or amount < 0:
            self.error(n, "price", f"'{raw}' is not an amount (450, or 450 EUR)")
            return None
        return amount, currency

    def _outcomes(self, n: int, c: dict[str, str]) -> list[tuple[int, dict[str, str], list[str]]]:
        outcomes = []
        for number in self.outcome_numbers:
            texts = {lang: c.get(f"outcome_{number}_{lang}", "") for lang in LANGS}
            texts = {lang: t for lang, t in texts.items() if t}
            skill_col = f"outcome_{number}_skills"
            skills = []
            for value in self._split(c.get(skill_col, "")):
                iri = self._skill(n, skill_col, value)
                if iri and iri not in skills:
                    skills.append(iri)
            if skills and not texts:
                self.error(n, f"outcome_{number}_en", "an outcome with skills needs its text (outcome_N_en, _de or _fr)")
            if texts:
                outcomes.append((number, texts, skills))
        return outcomes

    def _skill(self, n: int, col: str, value: str) -> str | None:
        if value.startswith(("http://", "https://")):
            if value.startswith(ESCO_SKILL_PREFIX) and re.fullmatch(r"[0-9a-f-]{36}", value[len(ESCO_SKILL_PREFIX):]):
                return value
            self.error(n, col, f"'{value}' is not an ESCO skill IRI ({ESCO_SKILL_PREFIX}<uuid>)")
            return None
        if self.resolve is None:
            self.error(n, col, f"'{value}' is not an ESCO skill IRI, and no ESCO graph is available to look up labels")
            return None
        try:
            iri = self.resolve(value)
        except ValueError as exc:
            self.error(n, col, str(exc))
            return None
        if not iri:
            self.error(n, col, f"no ESCO skill has the English preferred label '{value}'")
        return iri


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
