"""The penalty-estimate form read into the domain's input, or the problems beside its fields.

Pure: the posted values and the pack's rules in, an :class:`EstimateInput` or a mapping of
field name to a message (in the page's language) out. The figures are revenue, not personal
data, but they are still the operator's business: nothing here logs or keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.penalty import MAX_KRW, MONTHS_IN_YEAR, EstimateInput, YearRevenue
from gatehouse.domain.policy.penalty import PenaltyRules
from gatehouse.web.i18n import N_
from gatehouse.web.site import text

__all__ = [
    "FORM_PROBLEM",
    "MAX_VALUE",
    "EstimateForm",
    "FormProblems",
    "domain_problem",
    "read_form",
    "row_field",
    "text_fields",
]

# Where a problem that belongs to no single field is listed (only in the summary).
FORM_PROBLEM = ""
# A figure is at most a few dozen characters; anything longer is refused, never echoed whole.
MAX_VALUE = 64
# Wide enough for any business year, narrow enough that a typo is refused (as in the API).
_YEARS = (1900, 2999)
# Ten to the eighteenth has 19 digits: a longer string is too large without converting it.
_MAX_DIGITS = len(str(MAX_KRW))
_DIGITS = re.compile(r"[0-9]+")

FormProblems = dict[str, str]

_ENTER_YEAR = N_("Enter a year between 1900 and 2999, such as 2025.")
_WHOLE_WON = N_("Enter a whole number of won, digits only.")
_NEGATIVE = N_("Must not be negative.")
_TOO_LARGE = N_("Too large: at most %(max)s won.")
_MONTHS = N_("Enter a number of months from 1 to 12.")
_ROW_YEAR = N_("Enter the business year of this revenue.")
_ROW_AMOUNT = N_("Enter the revenue of this year, or clear the year.")
_TWICE = N_("This year is entered twice.")
_GAP = N_("The business years must follow one another with no gap.")
_LATEST = N_(
    "The latest business year must be %(year)s, the year before the violation; a business "
    "that began in the violation year enters that year alone."
)
_PARTIAL = N_("Only the first business year may be partial: enter 12 months for this one.")
_NO_YEARS = N_("Enter the revenue of at least one business year, or tick the box for no revenue.")
_YEARS_WITH_NONE = N_("Leave the years empty when there is no revenue, or untick the box.")
_LISTED = N_("Choose one of the listed options.")
_FACTORS = N_("Choose only the listed factors, each once.")
_EXCLUDED = N_("The excluded revenue is larger than the revenue it is taken from.")
_UNREADABLE = N_("These figures could not be estimated. Check them and try again.")

# A refusal of the arithmetic itself, by its code: the field it belongs to and what to say.
_DOMAIN_PROBLEMS = {
    "exclusion_exceeds_revenue": ("excluded_krw", _EXCLUDED),
    "unknown_base": ("base", _LISTED),
    "unknown_seriousness": ("seriousness", _LISTED),
    "unknown_factor": ("factor", _FACTORS),
    "duplicate_factor": ("factor", _FACTORS),
}


def row_field(row: int, name: str) -> str:
    """The form name of ``name`` (year, amount_krw, months) in revenue row ``row``."""
    return f"revenue.{row}.{name}"


def text_fields(rows: int) -> tuple[str, ...]:
    """Every text field of a form with ``rows`` revenue rows, and the single choices."""
    revenue = tuple(
        row_field(row, name)
        for row in range(1, rows + 1)
        for name in ("year", "amount_krw", "months")
    )
    return ("violation_year", *revenue, "excluded_krw", "no_revenue", "base", "seriousness")


@dataclass(frozen=True)
class EstimateForm:
    """What was posted: the text fields (cut to :data:`MAX_VALUE`) and the ticked factors."""

    values: Mapping[str, str]
    factors: Sequence[str]


class _Reader:
    """Reads one form, gathering a problem per field instead of stopping at the first."""

    def __init__(self, form: EstimateForm, locale: str) -> None:
        self.values = form.values
        self.locale = locale
        self.problems: FormProblems = {}

    def say(self, field: str, message: str, **params: object) -> None:
        self.problems.setdefault(field, text(self.locale, message) % params)

    def raw(self, field: str) -> str:
        return self.values.get(field, "").strip()

    def year(self, field: str) -> int | None:
        raw = self.raw(field)
        if not _DIGITS.fullmatch(raw) or len(raw) > 4 or not _YEARS[0] <= int(raw) <= _YEARS[1]:
            self.say(field, _ENTER_YEAR)
            return None
        return int(raw)

    def won(self, field: str, *, blank: int | None = None) -> int | None:
        # Thousands separators are how people write won; the digits are what count.
        raw = re.sub(r"[,_\s]", "", self.raw(field))
        if not raw and blank is not None:
            return blank
        if raw.startswith("-") and _DIGITS.fullmatch(raw[1:]):
            self.say(field, _NEGATIVE)
        elif not _DIGITS.fullmatch(raw):
            self.say(field, _WHOLE_WON)
        elif len(raw.lstrip("0")) > _MAX_DIGITS or int(raw) > MAX_KRW:
            self.say(field, _TOO_LARGE, max=f"{MAX_KRW:,}")
        else:
            return int(raw)
        return None

    def months(self, field: str) -> int | None:
        raw = self.raw(field)
        if not raw:
            return MONTHS_IN_YEAR
        if not _DIGITS.fullmatch(raw) or len(raw) > 2 or not 1 <= int(raw) <= MONTHS_IN_YEAR:
            self.say(field, _MONTHS)
            return None
        return int(raw)

    def choice(self, field: str, known: Mapping[str, object]) -> str | None:
        raw = self.raw(field)
        if raw and raw not in known:
            self.say(field, _LISTED)
        return raw or None

    def filled(self, row: int) -> bool:
        return any(self.raw(row_field(row, name)) for name in ("year", "amount_krw", "months"))

    def row(self, row: int) -> YearRevenue | None:
        year_field, amount_field = row_field(row, "year"), row_field(row, "amount_krw")
        year = amount = None
        if self.raw(year_field):
            year = self.year(year_field)
        else:
            self.say(year_field, _ROW_YEAR)
        if self.raw(amount_field):
            amount = self.won(amount_field)
        else:
            self.say(amount_field, _ROW_AMOUNT)
        months = self.months(row_field(row, "months"))
        if year is None or amount is None or months is None:
            return None
        return YearRevenue(year, amount, months)


def _check_years(
    reader: _Reader, violation_year: int, rows: Sequence[tuple[int, YearRevenue]]
) -> None:
    """The order the arithmetic needs (``rows`` oldest first), said beside the row that
    breaks it."""
    for (_, previous), (row, entry) in zip(rows, rows[1:], strict=False):
        if entry.year == previous.year:
            reader.say(row_field(row, "year"), _TWICE)
        elif entry.year != previous.year + 1:
            reader.say(row_field(row, "year"), _GAP)
        if entry.months != MONTHS_IN_YEAR:
            reader.say(row_field(row, "months"), _PARTIAL)
    if not rows:
        return
    last_row, last = rows[-1]
    # A business that began in the violation year gives that year alone (ED 60-2).
    started_this_year = len(rows) == 1 and last.year == violation_year
    if last.year != violation_year - 1 and not started_this_year:
        reader.say(row_field(last_row, "year"), _LATEST, year=violation_year - 1)


def read_form(form: EstimateForm, rules: PenaltyRules, locale: str) -> EstimateInput | FormProblems:
    """The estimate's input from the form, or a message (in ``locale``) per field to fix."""
    reader = _Reader(form, locale)
    violation_year = reader.year("violation_year")
    filled = [row for row in range(1, rules.average_years + 1) if reader.filled(row)]
    rows: list[tuple[int, YearRevenue]] = []
    for row in filled:
        entry = reader.row(row)
        if entry is not None:
            rows.append((row, entry))
    # The rows may be typed in any order; the arithmetic takes them oldest first.
    rows.sort(key=lambda pair: pair[1].year)
    no_revenue = bool(reader.raw("no_revenue"))
    if no_revenue and filled:
        reader.say("no_revenue", _YEARS_WITH_NONE)
    elif not no_revenue and not filled:
        reader.say(row_field(1, "year"), _NO_YEARS)
    excluded = reader.won("excluded_krw", blank=0)
    base = reader.choice("base", rules.bases)
    seriousness = reader.choice("seriousness", rules.seriousness)
    factors = tuple(form.factors)
    if len(set(factors)) != len(factors) or any(key not in rules.factors for key in factors):
        reader.say("factor", _FACTORS)
    if violation_year is not None and not reader.problems:
        _check_years(reader, violation_year, rows)
    if reader.problems or violation_year is None or excluded is None:
        return reader.problems
    return EstimateInput(
        violation_year=violation_year,
        revenues=tuple(entry for _, entry in rows),
        excluded_krw=excluded,
        base=base,
        seriousness=seriousness,
        factors=factors,
    )


def domain_problem(exc: InvalidInput, locale: str) -> FormProblems:
    """A refusal of the arithmetic as a message beside the field it concerns."""
    field, message = _DOMAIN_PROBLEMS.get(exc.code, (FORM_PROBLEM, _UNREADABLE))
    return {field: text(locale, message)}
