"""Bank account and payment card numbers.

An account number has no checksum and no fixed shape across banks, so on its own a 10-to-14
digit number is just a number: a bank's name or nickname (카뱅, 농협) or a word such as 계좌,
입금 or 예금주 beside it is what makes it an account. A card number has to pass Luhn's check
and start like a card that is actually issued.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gatehouse.domain.redaction import context
from gatehouse.domain.redaction.spans import THRESHOLD, Recognizer, Span, register

__all__ = ["BankAccountRecognizer", "CardRecognizer", "card_prefix_ok", "luhn_ok"]

# One separator throughout: dashes, or spaces; a space-separated run may have swallowed a
# following number, so it is trimmed group by group until it fits.
_ACCOUNT = re.compile(
    r"[0-9](?<![0-9].)(?:[0-9]{1,6}(?:-[0-9]{1,8}){1,4}|[0-9]{1,6}(?: [0-9]{1,8}){1,4}|[0-9]{9,13})"
    r"(?![0-9])"
)
# Layouts only one bank uses: 카카오뱅크 3333-NN-NNNNNNN, 토스뱅크 100N-NNNN-NNNN, and
# 농협's 3NN-NNNN-NNNN-NN. Written with their dashes they are accounts even with no bank named.
_BANK_LAYOUT = re.compile(
    r"3333-[0-9]{2}-[0-9]{7}|100[0-2]-[0-9]{4}-[0-9]{4}|3(?:0[12]|5[1-6])-[0-9]{4}-[0-9]{4}-[0-9]{2}"
)
_REGISTRATION_LIKE = re.compile(r"[0-9]{2}(?:0[1-9]|1[0-2])[0-3][0-9][- ][0-9]{7}")
_PHONE_LIKE = re.compile(r"(?:0|820?)(?:1[016789]|2|[3-6][1-5]|70|50[2-8]|80)")


def _trim(run: str) -> str:
    """The leading part of a space-separated run that holds at most 14 digits."""
    groups = run.split(" ")
    while len(groups) > 1 and sum(map(len, groups)) > 14:
        groups.pop()
    return " ".join(groups)


@register
class BankAccountRecognizer(Recognizer):
    """Korean bank account numbers, told apart from other numbers by the words around them."""

    name = "bank_account"
    kinds = ("bank_account",)

    def find(self, text: str, cues: context.Cues) -> Iterator[Span]:
        """Yield 10-to-14-digit numbers, scored by the cue next to them."""
        named = not cues.categories().isdisjoint((context.ACCOUNT, context.POST))
        if not named and _BANK_LAYOUT.search(text) is None:
            return  # without a bank, an account word or a bank's layout none can reach 0.5
        for m in _ACCOUNT.finditer(text):
            run = _trim(m.group()) if " " in m.group() else m.group()
            digits = run.replace("-", "").replace(" ", "")
            if not 10 <= len(digits) <= 14 or text[m.start() - 1 : m.start()] == "+":
                continue  # +82…: a phone number abroad
            start, end = m.start(), m.start() + len(run)
            # A run cut short to fit is more likely a longer number (a card) than an account.
            score = 0.3 if end == m.end() else 0.1
            if _PHONE_LIKE.match(digits) and len(digits) <= 13:
                score -= 0.2  # as likely a phone number
            elif _REGISTRATION_LIKE.fullmatch(run):
                score -= 0.2  # few banks split 6-7; a registration number does
            elif _BANK_LAYOUT.fullmatch(run):
                score += 0.3
            cue = cues.cue_for(start, end)
            if cue is not None:
                # 우체국 and 13 bare digits is a parcel's tracking number, not an account.
                parcel = cue.category == context.POST and run == digits and len(digits) == 13
                if cue.category in (context.ACCOUNT, context.POST) and not parcel:
                    # A nickname that is also an everyday word (우리, 하나) says less.
                    score += 0.55 if cue.near and cue.strong else 0.45
                elif cue.category in (context.ORDER, context.DOOR):
                    score -= 0.3
            if score >= THRESHOLD:  # most numbers are not accounts: skip building their spans
                yield Span(start, end, "bank_account", score)


_CARD = re.compile(
    r"[0-9](?<![0-9].)(?:[0-9]{3}(?P<s>[- ]?)[0-9]{4}(?P=s)[0-9]{4}(?P=s)[0-9]{1,7}"
    r"|[0-9]{3}[- ]?[0-9]{6}[- ]?[0-9]{4,5}|[0-9]{12,18})(?![0-9])"
)


def luhn_ok(digits: str) -> bool:
    """Luhn's mod-10 check over a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_prefix_ok(digits: str) -> bool:
    """Whether the number starts like an issued card of its length."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (16, 19)  # Visa (its 13-digit numbers are long retired)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16  # Mastercard
    if two in (34, 37):
        return n == 15  # American Express
    if 3528 <= four <= 3589 or two == 62 or four == 6011 or two == 65 or 644 <= four // 10 <= 649:
        return 16 <= n <= 19  # JCB, UnionPay, Discover
    if two in (36, 38, 39) or 300 <= four // 10 <= 305:
        return 14 <= n <= 16  # Diners
    return digits[0] == "9" and n == 16  # Korean domestic (BC and others)


@register
class CardRecognizer(Recognizer):
    """Payment card numbers that pass Luhn's check."""

    name = "card"
    kinds = ("card",)
    min_run = 13

    def find(self, text: str, cues: context.Cues) -> Iterator[Span]:
        """Yield Luhn-valid card numbers with a plausible issuer prefix."""
        for m in _CARD.finditer(text):
            digits = m.group().replace("-", "").replace(" ", "")
            if not 13 <= len(digits) <= 19 or not luhn_ok(digits) or not card_prefix_ok(digits):
                continue
            grouped = len(digits) != len(m.group())
            score = 0.85 if grouped else 0.65
            if len(digits) != 16:
                score -= 0.1
            cue = cues.cue_for(m.start(), m.end())
            if cue is not None:
                if cue.category == context.CARD:
                    score += 0.15
                elif cue.category in (context.ORDER, context.DOOR):
                    score -= 0.6 if cue.near else 0.2
            yield Span(m.start(), m.end(), "card", score)
