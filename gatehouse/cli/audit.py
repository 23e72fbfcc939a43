"""``gatehouse audit``: the audit report of a window, as JSON, HTML and PDF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gatehouse.cli.common import console, err, over_the_ledger
from gatehouse.cli.export import parse_day

__all__ = ["audit"]

_LOCALES = ("ko", "en")


def _empty_folder(out: Path) -> Path:
    """``out``, created when missing; exit 2 when it is a file or holds anything."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        err.print(f"[red]--out must be a new or empty folder:[/] {escape(str(out))}")
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    return out


def audit(
    start: Annotated[str, typer.Option("--from", help="First day (UTC), YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day (UTC), YYYY-MM-DD, included.")],
    out: Annotated[Path, typer.Option("--out", help="A new or empty folder for the report.")],
    locale: Annotated[str, typer.Option(help="Language of the HTML and PDF: ko or en.")] = "ko",
    full_verify: Annotated[
        bool,
        typer.Option(
            "--full-verify",
            help="Also verify the whole ledger, as `gatehouse ledger verify` does.",
        ),
    ] = False,
    from_entries: Annotated[
        bool,
        typer.Option(
            "--from-entries",
            help="Fold and verify the window's entries even where its days are kept.",
        ),
    ] = False,
) -> None:
    """Write the audit of the window into OUT: audit.json (every figure and exception),
    audit.html and audit.pdf (the report to read). The window's entries are verified and
    proven included in the signed checkpoint, or, for whole days kept once a checkpoint
    covered them, their signed folds merged (a settled calendar month, its one signed row);
    --full-verify verifies the whole ledger too."""
    from gatehouse.reports import render_audit_html, render_audit_pdf
    from gatehouse.services.audit_report import build_audit, day_window

    if locale not in _LOCALES:
        err.print(f"[red]invalid --locale:[/] expected one of {', '.join(_LOCALES)}")
        raise typer.Exit(2)
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if last < first:
        err.print("[red]invalid window:[/] --to is before --from")
        raise typer.Exit(2)
    folder = _empty_folder(out)
    report = over_the_ledger(
        lambda gh, progress: build_audit(
            gh,
            *day_window(first, last),
            progress=progress,
            full=full_verify,
            from_entries=from_entries,
        )  # fmt: skip
    )
    document = json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    (folder / "audit.json").write_text(document, encoding="utf-8")
    (folder / "audit.html").write_text(render_audit_html(report, locale=locale), encoding="utf-8")
    (folder / "audit.pdf").write_bytes(render_audit_pdf(report, locale=locale))
    breaches = sum(f.breaches for f in report.findings)
    checked = report.integrity
    if checked.scope == "ledger":
        verdict = "verifies" if checked.ok else "[red]DOES NOT VERIFY[/]"
        scope = f"ledger {verdict} (all {checked.entries} entries)"
    elif checked.scope == "days":
        scope = (
            f"the period's {checked.entries} ledger entries were verified as each day was kept,"
            " and every day's signature verifies (since then: gatehouse ledger verify)"
        )
    else:
        verdict = "verify" if checked.ok else "[red]DO NOT VERIFY[/]"
        scope = (
            f"the period's {checked.entries} ledger entries {verdict}"
            " (the whole ledger: gatehouse ledger verify)"
        )
    how = "took from the kept days" if checked.scope == "days" else "read"
    console.print(
        f"{how} {report.entries} ledger entries; {breaches} exceptions that show a duty broken;"
        f" {scope}",
        soft_wrap=True,
    )
    console.print(f"wrote audit.json, audit.html and audit.pdf to {escape(str(folder))}")
    if not report.integrity.ok:
        raise typer.Exit(1)
