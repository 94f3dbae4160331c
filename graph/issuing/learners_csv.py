"""The learners file of ``credgraph issue``: one row per learner who passed (docs/issuing.md).

Every problem is reported by row and column (``learners.csv row 4, column
date_of_birth: ...``), never with the cell's value (learners' personal data
stays out of messages and logs); the caller decides whether a file with problems issues
nothing (the default) or only its good rows (``--skip-invalid``). Whole-file
problems (not UTF-8, over the size limit, a missing required column) are one
line and leave no rows.

Cells are checked for what would harm a credential or whoever opens the file
later: control characters, over-long values, and cells a spreadsheet would run
as a formula (``=``, ``+``, ``-``, ``@`` first) are refused rather than quoted.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from credgraph.graph.sources.catalogue_terms import country_code

REQUIRED_COLUMNS = ("learner_id", "given_name", "family_name", "date_of_award")
OPTIONAL_COLUMNS = ("date_of_birth", "email", "national_id", "national_id_country", "grade")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_CELL = 500  # characters: a name, an e-mail address, a grade
# C0/C1 controls, line separators, and the bidirectional overrides that make a name display as another.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


@dataclass(frozen=True)
class Learner:
    """One learner's row, checked."""

    row: int  # the line number in the file (the header is row 1)
    learner_id: str
    given_name: str
    family_name: str
    date_of_award: str  # YYYY-MM-DD
    date_of_birth: str = ""
    email: str = ""
    national_id: str = ""
    national_id_country: str = ""  # EU NAL code (DEU, FRA, ...)
    grade: str = ""

    def filled(self) -> tuple[str, ...]:
        """The optional columns this learner has: credentials with the same ones have the same shape."""
        return tuple(c for c in OPTIONAL_COLUMNS if getattr(self, c))


@dataclass
class LearnersFile:
    """A parsed learners file: the good rows and the problems of the others."""

    name: str
    learners: list[Learner] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "<name> row N, column C: ..." or a whole-file message
    bad_rows: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_learners(data: bytes, name: str, max_bytes: int = 5 * 1024 * 1024) -> LearnersFile:
    """Parse and check a learners CSV (UTF-8, comma or semicolon separated, header row first)."""
    result = LearnersFile(name)
    if len(data) > max_bytes:
        result.errors.append(f"{name}: {len(data):,} bytes is over the size limit of {max_bytes:,} bytes")
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.errors.append(f"{name}: not UTF-8 text (byte {exc.start})")
        return result
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        result.errors.append(f"{name}: not a readable CSV header ({exc})")
        return result
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        result.errors.append(f"{name}: missing required column(s) {', '.join(missing)} (columns: docs/issuing.md)")
        return result
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        result.errors.append(f"{name}: unknown column(s) {', '.join(repr(u[:40]) for u in unknown[:5])} (columns: docs/issuing.md)")
        return result
    seen: dict[str, int] = {}
    try:
        for record in reader:
            row = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            learner = _learner(result, row, header, record)
            if learner is None:
                result.bad_rows.add(row)
                continue
            if learner.learner_id in seen:
                _error(result, row, "learner_id", f"duplicate learner (the same learner_id as row {seen[learner.learner_id]})")
                result.bad_rows.add(row)
                continue
            seen[learner.learner_id] = row
            result.learners.append(learner)
    except csv.Error as exc:
        # The csv module's own limit (131,072 characters a field) stops cells far over ours before they are read whole.
        what = f"a cell over {csv.field_size_limit():,} characters" if "field limit" in str(exc) else f"not readable CSV ({exc})"
        result.errors.append(f"{name} row {reader.line_num}: {what}")
        result.learners.clear()
    if not result.learners and not result.errors:
        result.errors.append(f"{name}: no learners (only a header row)")
    return result


def _error(result: LearnersFile, row: int, column: str, message: str) -> None:
    result.errors.append(f"{result.name} row {row}, column {column}: {message}")


def _learner(result: LearnersFile, row: int, header: list[str], record: list[str]) -> Learner | None:
    if len(record) > len(header):
        _error(result, row, str(len(header) + 1), f"{len(record)} cells but {len(header)} columns in the header")
        return None
    cells = {h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(header) if h}
    errors_before = len(result.errors)
    for column, value in cells.items():
        if len(value) > MAX_CELL:
            _error(result, row, column, f"{len(value):,} characters is over the limit of {MAX_CELL}")
            cells[column] = ""
        elif _CONTROL.search(value):
            _error(result, row, column, "contains control characters")
            cells[column] = ""
        elif value.startswith(_FORMULA_START):
            _error(result, row, column, f"starts with {value[0]!r}: a spreadsheet formula cell is not accepted")
            cells[column] = ""
    for column in REQUIRED_COLUMNS:
        if not cells.get(column) and not any(f", column {column}:" in e for e in result.errors[errors_before:]):
            _error(result, row, column, "empty (required)")
    for column in ("date_of_award", "date_of_birth"):
        value = cells.get(column, "")
        if value and not _valid_date(value):
            _error(result, row, column, "is not a date (YYYY-MM-DD)")
    award, birth = cells.get("date_of_award", ""), cells.get("date_of_birth", "")
    if _valid_date(award) and _valid_date(birth) and birth >= award:
        _error(result, row, "date_of_birth", "is not before the date of award")
    if _valid_date(award) and date.fromisoformat(award) > date.today():
        _error(result, row, "date_of_award", "is in the future")
    email = cells.get("email", "")
    if email and not _EMAIL.match(email):
        _error(result, row, "email", "is not an e-mail address")
    nid, nid_country = cells.get("national_id", ""), cells.get("national_id_country", "")
    country = country_code(nid_country) if nid_country else None
    if nid_country and country is None:
        _error(result, row, "national_id_country", "is not a country code (ISO 3166 alpha-2 or EU NAL alpha-3)")
    if nid and not nid_country:
        _error(result, row, "national_id_country", "empty: a national_id needs its country")
    if len(result.errors) > errors_before:
        return None
    return Learner(row, cells["learner_id"], cells["given_name"], cells["family_name"], award, birth, email, nid,
                   country or "", cells.get("grade", ""))


def _valid_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
