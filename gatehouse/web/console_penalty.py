"""The console's penalty-surcharge estimate: a form over 「개인정보 보호법」 제64조의2.

``/console/penalty`` takes the violation year, the revenue of the business years before it,
the revenue unrelated to the violation, and the choices the rule pack declares (the revenue
base, a seriousness level, adjustment factors); posting it shows every step of the
arithmetic with its amount, formula and source, the estimate, and the pack's disclaimer.
A refused figure is named beside its field (422). Nothing posted is stored or logged: the
estimate is computed for the page and forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.penalty import Estimate
from gatehouse.domain.policy.model import Label
from gatehouse.domain.policy.penalty import PenaltyRules
from gatehouse.http.deps import gatehouse_of
from gatehouse.services.browser_sessions import BrowserSession
from gatehouse.services.penalty import estimate_penalty, penalty_rules
from gatehouse.web.console import CONSOLE_PATH, SIGN_IN, SITE
from gatehouse.web.console_penalty_form import (
    MAX_VALUE,
    EstimateForm,
    FormProblems,
    domain_problem,
    read_form,
    row_field,
    text_fields,
)

__all__ = ["PENALTY_PATH", "router"]

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)

PENALTY_PATH = f"{CONSOLE_PATH}/penalty"
TEMPLATE = "console/penalty.html"
# The pack's labels are written in Korean first; a language it lacks falls back to Korean.
_FALLBACK_LANGUAGE = "ko"


def _in(locale: str) -> Callable[[Label], str]:
    def say(label: Label) -> str:
        return label.text(locale, _FALLBACK_LANGUAGE)

    return say


def _choices(rules: PenaltyRules, locale: str) -> dict[str, Any]:
    """What the form offers, labelled from the pack in the page's language."""
    say = _in(locale)
    return {
        "bases": [
            {"key": key, "label": say(base.label), "source": base.source, "status": base.status}
            for key, base in rules.bases.items()
        ],
        "default_base": rules.default_base,
        "levels": [
            {
                "key": key,
                "label": say(level.label),
                "rate": f"{level.rate.numerator}/{level.rate.denominator}",
                "source": level.rate.source,
            }
            for key, level in rules.seriousness.items()
        ],
        "factors": [
            {
                "key": key,
                "label": say(factor.label),
                "percent": f"{factor.percent:+d}%",
                "stage": say(rules.step_labels[factor.stage]),
                "source": factor.source,
            }
            for key, factor in rules.factors.items()
        ],
        "rows": [
            {n: row_field(row, n) for n in ("year", "amount_krw", "months")} | {"number": row}
            for row in range(1, rules.average_years + 1)
        ],
        "average_years": rules.average_years,
        "disclaimer": say(rules.disclaimer),
    }


def _result(result: Estimate, locale: str, seriousness: str | None) -> dict[str, Any]:
    """The estimate as the page shows it: amounts with thousands separators, in won."""
    say = _in(locale)
    return {
        "title": say(result.title),
        "disclaimer": say(result.disclaimer),
        "base_label": say(result.base_label),
        "announced": result.base_status == "announced",
        "no_revenue": result.no_revenue,
        "no_seriousness": seriousness is None and not result.no_revenue,
        "amount": f"{result.amount_krw:,}",
        "maximum": f"{result.statutory_maximum_krw:,}",
        "steps": [
            {
                "key": step.key,
                "label": say(step.label),
                "amount": f"{step.amount_krw:,}",
                "formula": step.formula,
                "source": step.source,
            }
            for step in result.steps
        ],
    }


def _page(
    request: Request,
    session: BrowserSession,
    form: EstimateForm,
    *,
    problems: FormProblems | None = None,
    result: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    locale = SITE.locale(request)
    try:
        rules = penalty_rules(gatehouse_of(request))
    except NotFound:
        context: dict[str, Any] = {"rules": None, "lang_path": PENALTY_PATH}
        return SIGN_IN.page(request, session, TEMPLATE, context, status=404)
    context = {
        **_choices(rules, locale),
        "rules": rules,
        "values": form.values,
        "chosen_factors": list(form.factors),
        "problems": problems or {},
        "result": result,
        # The language links open the empty form: a posted estimate is not kept to re-show.
        "lang_path": PENALTY_PATH,
    }
    return SIGN_IN.page(request, session, TEMPLATE, context, status=status)


@router.get("/penalty")
def penalty_form(request: Request) -> Response:
    """The empty estimate form."""
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    return _page(request, session, EstimateForm(values={}, factors=()))


def _posted(values: Mapping[str, Any], factors: list[Any], rows: int) -> EstimateForm:
    return EstimateForm(
        values={name: str(values.get(name, ""))[:MAX_VALUE] for name in text_fields(rows)},
        # More ticks than the pack has factors is not a form a person sent; cut it short.
        factors=tuple(str(key)[:MAX_VALUE] for key in factors[:100]),
    )


@router.post("/penalty")
async def penalty_estimate(request: Request) -> Response:
    """The estimate of the posted figures, step by step; a refused figure is named (422)."""
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    posted = await request.form()
    if not SITE.csrf_ok(session, str(posted.get("csrf_token", ""))):
        return SITE.problem(request, "csrf", 403, SIGN_IN.frame(request, session))
    gh = gatehouse_of(request)
    try:
        rules = penalty_rules(gh)
    except NotFound:
        return _page(request, session, EstimateForm(values={}, factors=()))
    form = _posted(posted, posted.getlist("factor"), rules.average_years)
    locale = SITE.locale(request)
    given = read_form(form, rules, locale)
    if isinstance(given, dict):
        return _page(request, session, form, problems=given, status=422)
    try:
        result = estimate_penalty(gh, given)
    except InvalidInput as exc:
        return _page(request, session, form, problems=domain_problem(exc, locale), status=422)
    shown = _result(result, locale, given.seriousness)
    return _page(request, session, form, result=shown)
