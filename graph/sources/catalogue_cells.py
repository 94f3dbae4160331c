"""Reading the cells of a catalogue spreadsheet's row into checked values.

Each reader takes the row number and the row's cells, and returns the value
of one column (a choice from a controlled list, a number in range, a URL, a
duration, a price, the learning outcomes with their ESCO skills), or records
an error naming the file, row and column and returns nothing. The row's
triples are made in :mod:`~credgraph.graph.sources.catalogue_csv`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from credgraph.graph.sources.catalogue_terms import ESCO_SKILL_PREFIX, LANGS, MULTI_SEPARATOR

# From an exact English ESCO preferred label to the skill's IRI (None: no such skill).
SkillResolver = Callable[[str], "str | None"]

OUTCOME_COLUMN = re.compile(r"^outcome_([1-9][0-9]*)_(en|de|fr|skills)$")
HTTP_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
NUMBER = re.compile(r"^\d+([.,]\d+)?$")
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")
WORDS_DURATION = re.compile(r"^(\d+)\s*(day|days|week|weeks|month|months|year|years)$", re.I)


class CellReader:
    """The checked values of one file's cells; every error of every row collected in ``errors``."""

    def __init__(self, name: str, header: list[str], resolve: SkillResolver | None):
        self.name = name
        self.header = header
        self.resolve = resolve
        self.errors: list[str] = []
        self.outcome_numbers = sorted({int(m.group(1)) for c in header if (m := OUTCOME_COLUMN.match(c))})

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(f"{self.name} row {row}, column {column}: {message}")

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
        value = Decimal(raw.replace(",", ".")) if NUMBER.match(raw) else None
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
        if not HTTP_URL.match(raw):
            self.error(n, col, f"'{raw}' is not an http(s) URL")
            return None
        return raw

    def _duration(self, n: int, c: dict[str, str]) -> str | None:
        raw = c.get("duration", "")
        if not raw:
            return None
        if ISO_DURATION.match(raw.upper()):
            return raw.upper()
        match = WORDS_DURATION.match(raw)
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
