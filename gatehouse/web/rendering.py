"""Jinja2 rendering of the pages: one environment per language, autoescaped, no caching."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

from gatehouse.web.i18n import SUPPORTED_LOCALES, format_when, label_for, translations

__all__ = ["TEMPLATE_DIR", "environment", "protect"]

TEMPLATE_DIR = Path(__file__).with_name("templates")

# Pages carry customers' personal data: no cache may keep them, no other site may frame them,
# and nothing but Gatehouse's own stylesheet may load.
_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@cache
def environment(locale: str) -> Environment:
    """The template environment of ``locale``, with its catalog installed.

    One environment per language, because installed translations are environment globals:
    sharing one between requests in different languages would mix them.
    """
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalog = translations(locale)
    # The i18n extension adds this method at run time, so the type checker cannot see it.
    cast(Any, env).install_gettext_translations(catalog, newstyle=True)

    def when(value: datetime) -> str:
        return format_when(value, locale)

    def label(code: str, kind: str) -> str:
        # Plain text, so autoescaping still applies (translated template strings are Markup).
        return catalog.gettext(label_for(kind, code))

    env.filters["when"] = when
    env.filters["label"] = label
    env.globals["lang"] = locale
    env.globals["locales"] = SUPPORTED_LOCALES
    return env


def protect(response: HTMLResponse) -> HTMLResponse:
    """Add the headers every page carries."""
    response.headers.update(_HEADERS)
    return response
