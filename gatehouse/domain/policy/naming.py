"""How a pack names recipients: the group labels it refuses and the onward-transfer wording.

PIPA Art. 28-8(2) item 3 asks for each recipient's name, and Art. 28-11 carries the notice
items over to the recipient's own onward transfers; both are words, so both live in the pack.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gatehouse.domain.group_names import find_group_term, match_group_name
from gatehouse.domain.policy.model import Label, Model

__all__ = ["OnwardTransferTexts", "naming_problems"]

# What an onward-transfer entry must say: who, where, why and what (Art. 28-8(2) items 1-4).
_ENTRY_PLACEHOLDERS = ("name", "country", "purpose", "items")


class OnwardTransferTexts(Model):
    """How a notice states a recipient's onward transfers.

    ``entry`` is one onward recipient and must use ``{name}``, ``{country}``, ``{purpose}`` and
    ``{items}``; ``none`` is what the notice says when the recipient declared none.
    """

    none: Label
    entry: Label


def naming_problems(
    group_names: Sequence[str], texts: OnwardTransferTexts
) -> Iterator[tuple[str, str]]:
    """Yield (dotted key, problem) for group names that match nothing and for bad wording."""
    for index, name in enumerate(group_names):
        if match_group_name(name, [name]) is None:
            yield f"group_names[{index}]", f"'{name}' has no letters to compare"
    for field in ("none", "entry"):
        label: Label = getattr(texts, field)
        for language, text in label.root.items():
            path = f"onward_transfer_texts.{field}.{language}"
            term = find_group_term(text, group_names)
            if term is not None:
                yield path, f"'{term}' stands in for naming each country or recipient"
            if field != "entry":
                continue
            try:
                text.format(**dict.fromkeys(_ENTRY_PLACEHOLDERS, "1"))
            except (KeyError, IndexError, ValueError) as exc:
                yield path, f"not a valid template ({type(exc).__name__}: {exc})"
                continue
            for placeholder in _ENTRY_PLACEHOLDERS:
                if "{" + placeholder + "}" not in text:
                    yield path, f"must contain {{{placeholder}}}"
