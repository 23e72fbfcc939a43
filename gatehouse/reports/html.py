"""The audit report as one self-contained HTML document: Jinja2, autoescaped, Babel catalogs.

The document carries its stylesheet inline and its charts as inline SVG, so it reads the same
saved to disk, opened offline, or laid out by WeasyPrint into the PDF; it loads nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from gatehouse.domain.audit import AuditReport
from gatehouse.domain.policy import RulePack
from gatehouse.reports.i18n import translations
from gatehouse.reports.view import build_view

__all__ = ["TEMPLATE_DIR", "css_string", "environment", "render_audit_html"]

TEMPLATE_DIR = Path(__file__).with_name("templates")


def css_string(value: str) -> Markup:
    """``value`` as a quoted CSS string, safe inside a ``<style>`` element.

    Quotes, backslashes and line breaks are CSS-escaped, and ``<`` too, so no value can close
    the style element or the string it sits in.
    """
    escaped = "".join(
        f"\\{ord(ch):x} " if ch in '"\\<>&\n\r' or ord(ch) < 0x20 else ch for ch in value
    )
    return Markup(f'"{escaped}"')


@cache
def environment(locale: str) -> Environment:
    """The template environment of ``locale``, with its catalog installed.

    One environment per language: installed translations are environment globals.
    """
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        # Every value is escaped; the stylesheet, a template too, takes values only through
        # ``css_string``, which escapes for CSS and so is marked safe for HTML.
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The i18n extension adds this method at run time, so the type checker cannot see it.
    cast(Any, env).install_gettext_translations(translations(locale), newstyle=True)
    env.filters["css_string"] = css_string
    return env


def render_audit_html(
    report: AuditReport, *, locale: str = "ko", pack: RulePack | None = None
) -> str:
    """The audit report as a standalone HTML document in ``locale`` (``ko`` or ``en``).

    ``pack`` names countries as Gatehouse's notices do; the bundled pack when None. The print
    rules (A4, running header, page numbers) are part of the document, for the PDF and for a
    reader who prints it from a browser.
    """
    env = environment(locale)
    view = build_view(report, translations(locale), locale, pack)
    stylesheet = env.get_template("audit.css").render(view=view)
    return env.get_template("audit.html").render(view=view, stylesheet=Markup(stylesheet))
