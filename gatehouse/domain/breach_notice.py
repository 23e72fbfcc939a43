"""The notice to the subjects of a breach: the five items of 「개인정보 보호법」 제34조제1항.

It is rendered from the pack's wording and the incident's facts, and never with an item left
empty: a notice missing one of the five does not meet the statute, so rendering refuses it and
names the item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.policy.breach import NOTICE_ITEMS, BreachRules

__all__ = ["NoticeFacts", "RenderedNotice", "render_notice"]


@dataclass(frozen=True)
class NoticeFacts:
    """What the incident supplies to the notice, in the reader's language where it is text."""

    leaked_items: tuple[str, ...]
    period: str
    discovered: str
    description: str
    self_protection: str | None
    countermeasures: str | None
    # The privacy officer's name, department, phone and email; None when no profile is set.
    officer: Mapping[str, str] | None


@dataclass(frozen=True)
class RenderedNotice:
    """A complete notice: its title, opening, and each item as (key, heading, text)."""

    language: str
    article: str
    title: str
    intro: str
    items: tuple[tuple[str, str, str], ...]

    @property
    def text(self) -> str:
        """The notice as plain text, one item after another."""
        parts = [self.title, "", self.intro]
        for _, heading, body in self.items:
            parts += ["", heading, body]
        return "\n".join(parts)


def _values(rules: BreachRules, facts: NoticeFacts, language: str, fallback: str) -> dict[str, str]:
    notice = rules.notice
    contact = ""
    if facts.officer is not None and all(str(v).strip() for v in facts.officer.values()):
        contact = notice.contact.text(language, fallback).format(**facts.officer)
    when = ""
    if facts.description.strip():
        when = notice.when_and_how.text(language, fallback).format(
            period=facts.period, discovered=facts.discovered, description=facts.description
        )
    return {
        "leaked_items": ", ".join(facts.leaked_items),
        "when_and_how": when,
        "self_protection": (facts.self_protection or "").strip(),
        "countermeasures": (facts.countermeasures or "").strip(),
        "contact": contact,
    }


def render_notice(
    rules: BreachRules, facts: NoticeFacts, language: str, fallback: str
) -> RenderedNotice:
    """The notice in ``language``; raises ``notice_item_missing`` naming the first empty item."""
    values = _values(rules, facts, language, fallback)
    items = []
    for key in NOTICE_ITEMS:
        if not values[key].strip():
            raise InvalidInput(
                f"the notice's item '{key}' is empty ({rules.notice_article})",
                code="notice_item_missing",
                details={"item": key, "article": rules.notice_article},
            )
        items.append((key, rules.notice.heading(key, language, fallback), values[key]))
    return RenderedNotice(
        language=language,
        article=rules.notice_article,
        title=rules.notice.title.text(language, fallback),
        intro=rules.notice.intro.text(language, fallback),
        items=tuple(items),
    )
