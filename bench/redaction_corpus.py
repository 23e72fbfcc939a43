"""Generates the labelled corpus of Korean buyer notes that ``bench/redaction.py`` scores.

Notes are built from templates written the way Korean buyers write delivery notes, complaints,
refund requests and questions to sellers, filled with generated identifiers that are valid
where their type has rules (dates and checksums of registration numbers, Luhn and issuer
prefixes of cards, each bank's digit layout), and with the numbers that must stay: order and
tracking numbers, product codes, prices, dates, door codes, flats and building names.

A gold span covers the identifier alone: never the particle glued to it, never the bank's
name. Business numbers (대표번호 such as 1588-1234) are not personal data and stay unlabelled.

Everything comes from one fixed seed, so running the generator again reproduces the files byte
for byte. The hand-written hard cases (``redaction_data/hard_cases.jsonl``) are split between
dev and test by a fixed rule on their id (``hard_split``).

    .venv/bin/python bench/redaction_corpus.py [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SEED = 20261130
DATA = Path(__file__).resolve().parent / "redaction_data"
HARD_CASES = DATA / "hard_cases.jsonl"
# Generated notes per split, before the hard cases are added, and the share of them that
# carry no identifier at all (the numbers_only group).
GENERATED = {"dev": 940, "test": 1310}
NUMBERS_ONLY_SHARE = 0.27

Ident = tuple[str, str]
Part = str | Ident


@dataclass(frozen=True)
class Note:
    """One labelled note: its text, its gold spans (start, end, type) and its group."""

    id: str
    text: str
    spans: tuple[tuple[int, int, str], ...]
    group: str

    def to_json(self) -> str:
        """One JSONL line; key order and escaping are fixed so output is byte-stable."""
        spans = [{"start": s, "end": e, "type": t} for s, e, t in self.spans]
        record = {"id": self.id, "text": self.text, "spans": spans, "group": self.group}
        return json.dumps(record, ensure_ascii=False)


# --- validity rules -------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """The Luhn check that every real card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_digit(body: str) -> str:
    """The check digit that makes ``body`` + digit pass Luhn."""
    return next(str(d) for d in range(10) if luhn_ok(body + str(d)))


def registration_sum(digits: str) -> int:
    """The weighted digit sum behind both registration numbers' check digits."""
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    return sum(int(d) * w for d, w in zip(digits[:12], weights, strict=True))


def registration_date(digits: str) -> dt.date | None:
    """The birth date a resident or foreigner registration number encodes, if it is real."""
    century = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000}
    century |= {"8": 2000, "9": 1800, "0": 1800}
    year = century[digits[6]] + int(digits[:2])
    try:
        return dt.date(year, int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None


def only_digits(text: str) -> str:
    """The ASCII digits of ``text``, fullwidth ones folded to ASCII."""
    folded = text.translate(FULLWIDTH_BACK)
    return "".join(ch for ch in folded if ch.isascii() and ch.isdigit())


FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
FULLWIDTH_BACK = str.maketrans("０１２３４５６７８９－", "0123456789-")


# --- identifiers ----------------------------------------------------------------------------


class Maker:
    """Random identifiers and fillers, all drawn from one ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options: Sequence[str]) -> str:
        """One of ``options``, uniformly."""
        return self.rng.choice(options)

    def weighted(self, options: Sequence[tuple[str, float]]) -> str:
        """One of ``options`` by its weight."""
        return self.rng.choices([o for o, _ in options], [w for _, w in options])[0]

    def digits(self, n: int) -> str:
        """``n`` random ASCII digits."""
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def sep(self, dash: float = 0.62, bare: float = 0.14, space: float = 0.1) -> str:
        """A separator between digit groups, as buyers type them."""
        return self.weighted(
            [("-", dash), ("", bare), (" ", space), (".", 0.05), ("ㅡ", 0.05), ("－", 0.04)]
        )

    def fullwidth(self, text: str, p: float = 0.04) -> str:
        """``text`` in fullwidth digits and dashes, with probability ``p``."""
        return text.translate(FULLWIDTH) if self.rng.random() < p else text

    def mobile(self) -> str:
        """A mobile number (010, some 011/016/019)."""
        prefix = self.weighted([("010", 0.93), ("011", 0.03), ("016", 0.02), ("019", 0.02)])
        middle = self.digits(4) if prefix == "010" or self.rng.random() < 0.5 else self.digits(3)
        middle = str(self.rng.randint(2, 9)) + middle[1:]
        sep = self.sep()
        return self.fullwidth(sep.join((prefix, middle, self.digits(4))))

    def landline(self) -> str:
        """A landline or 070 number, with its area code."""
        area = self.weighted(
            [("02", 0.35), ("031", 0.2), ("032", 0.08), ("051", 0.08), ("053", 0.06)]
            + [("042", 0.05), ("062", 0.05), ("064", 0.04), ("070", 0.09)]
        )
        middle = self.digits(self.rng.choice((3, 4))) if area != "070" else self.digits(4)
        middle = str(self.rng.randint(2, 9)) + middle[1:]
        sep = self.sep(dash=0.8, bare=0.06, space=0.06)
        text = sep.join((area, middle, self.digits(4)))
        if self.rng.random() < 0.07:
            text = f"({area}){middle}-{text[-4:]}"
        return text

    def safe(self) -> str:
        """A 050x safe number."""
        prefix = self.pick(("0502", "0503", "0504", "0505", "0506", "0507", "0508"))
        middle = self.digits(4) if self.rng.random() < 0.7 else self.digits(3)
        return self.sep(dash=0.8, bare=0.12, space=0.04).join((prefix, middle, self.digits(4)))

    def intl(self) -> str:
        """A Korean number in one of its +82 forms."""
        mid, last = str(self.rng.randint(2, 9)) + self.digits(3), self.digits(4)
        return self.pick(
            (
                f"+82 10-{mid}-{last}",
                f"+82-10-{mid}-{last}",
                f"+8210{mid}{last}",
                f"+82 10 {mid} {last}",
                f"82-10-{mid}-{last}",
                f"+82 (0)10 {mid} {last}",
                f"+82 2-{self.digits(3)}-{last}",
            )
        )

    def phone(self) -> str:
        """Any kind of phone number, mobiles most often."""
        kind = self.weighted([("mobile", 0.7), ("landline", 0.12), ("safe", 0.08), ("intl", 0.1)])
        return {"mobile": self.mobile, "landline": self.landline, "safe": self.safe}.get(
            kind, self.intl
        )()

    LOCALS = (
        "minji",
        "jiwoo",
        "seoyeon",
        "hyunwoo",
        "jihoon",
        "sujin",
        "yuna",
        "dongmin",
        "kimsy",
        "parkjh",
        "leehs",
        "choi.ej",
        "jung_mk",
        "kang2",
        "yoon.sh",
        "hanbyeol",
        "soyoung",
        "bluesky",
        "happyday",
        "sunny",
        "mint.choco",
        "gamja",
        "dalgom",
        "ttokki",
        "jjang",
    )
    DOMAINS = (
        ("naver.com", 0.38),
        ("gmail.com", 0.2),
        ("kakao.com", 0.1),
        ("daum.net", 0.09),
        ("hanmail.net", 0.08),
        ("nate.com", 0.05),
        ("hotmail.com", 0.03),
        ("icloud.com", 0.03),
        ("korea.ac.kr", 0.01),
        ("snu.ac.kr", 0.01),
        ("company.co.kr", 0.02),
    )

    def email(self) -> str:
        """An e-mail address at a Korean or global provider."""
        local = self.pick(self.LOCALS)
        roll = self.rng.random()
        if roll < 0.45:
            local += self.digits(self.rng.choice((2, 4)))
        elif roll < 0.55:
            local = "010" + self.digits(8)
        elif roll < 0.62:
            local += "_" + self.digits(2)
        if self.rng.random() < 0.06:
            local = local.capitalize()
        return f"{local}@{self.weighted(self.DOMAINS)}"

    def birth(self, foreign: bool) -> str:
        """YYMMDD and the 7th digit for someone born 1946 to 2010."""
        day = dt.date(1946, 1, 1) + dt.timedelta(days=self.rng.randint(0, 65 * 365))
        female = self.rng.random() < 0.5
        if day.year < 2000:
            seventh = ("6" if female else "5") if foreign else ("2" if female else "1")
        else:
            seventh = ("8" if female else "7") if foreign else ("4" if female else "3")
        return day.strftime("%y%m%d") + seventh

    def registration(self, foreign: bool) -> str:
        """A resident (or, when ``foreign``, foreigner) registration number."""
        body = self.birth(foreign) + self.digits(5)
        total = registration_sum(body)
        check = (13 if foreign else 11) - total % 11
        digit = str(check % 10)
        # Numbers issued since October 2020 end in a random digit, not a checksum.
        if self.rng.random() < 0.15:
            digit = self.digits(1)
        full = body + digit
        front, back = full[:6], full[6:]
        form = self.weighted(
            [("-", 0.7), ("", 0.14), (" ", 0.04), ("ㅡ", 0.04), (" - ", 0.03), ("FW", 0.03)]
            + [("－", 0.02)]
        )
        if form == "FW":
            return f"{front}-{back}".translate(FULLWIDTH)
        return form.join((front, back))

    def customs(self) -> str:
        """A personal customs clearance code: P and 12 digits, as buyers write it."""
        body = self.pick("12") + self.digits(11)
        form = self.weighted(
            [("plain", 0.55), ("lower", 0.05), ("space", 0.1), ("dash", 0.1), ("dash4", 0.07)]
            + [("space4", 0.06), ("fw", 0.04), ("glued4", 0.03)]
        )
        groups = (body[:4], body[4:8], body[8:])
        return {
            "plain": f"P{body}",
            "lower": f"p{body}",
            "space": f"P {body}",
            "dash": f"P-{body}",
            "dash4": "P-" + "-".join(groups),
            "space4": "P " + " ".join(groups),
            "fw": "P" + body.translate(FULLWIDTH),
            "glued4": "P" + "-".join(groups),
        }[form]

    # Bank: its names and nicknames, the digit groups of its account numbers, and the
    # leading digits its accounts start with (empty: any).
    BANKS: tuple[tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]], ...] = (
        (("국민", "국민은행", "KB", "kb국민", "KB국민은행"), (6, 2, 6), ()),
        (("국민", "국민은행"), (3, 2, 4, 3), ()),
        (("신한", "신한은행"), (3, 3, 6), ("110", "100", "140")),
        (("우리", "우리은행"), (4, 3, 6), ("1002",)),
        (("하나", "하나은행", "KEB하나"), (3, 6, 5), ()),
        (("농협", "NH", "농협은행", "nh농협"), (3, 4, 4, 2), ("302", "301", "351", "352", "356")),
        (("기업", "기업은행", "IBK", "ibk기업"), (3, 6, 2, 3), ()),
        (
            ("카카오뱅크", "카뱅", "카카오", "kakaobank"),
            (4, 2, 7),
            ("3333", "3355", "3388", "7979"),
        ),
        (("토스뱅크", "토뱅", "토스"), (4, 4, 4), ("1000", "1001", "1002")),
        (("케이뱅크", "케뱅", "K뱅크"), (3, 3, 6), ("100", "101")),
        (("새마을금고", "새마을", "MG새마을금고"), (4, 2, 6, 1), ("9002", "9003", "9100")),
        (("우체국",), (6, 2, 6), ()),
        (("SC제일", "제일은행", "SC은행"), (3, 2, 6), ()),
        (("부산은행", "BNK부산"), (3, 4, 4, 2), ("101", "112")),
        (("수협", "수협은행"), (3, 2, 6), ()),
    )

    def bank(self) -> tuple[str, str]:
        """A bank's name as buyers write it, and an account number in its layout."""
        names, groups, starts = self.rng.choice(self.BANKS)
        digits = self.digits(sum(groups))
        if starts:
            start = self.rng.choice(starts)
            digits = start + digits[len(start) :]
        else:
            digits = str(self.rng.randint(1, 9)) + digits[1:]
        cut, at = [], 0
        for size in groups:
            cut.append(digits[at : at + size])
            at += size
        sep = self.weighted([("-", 0.72), ("", 0.22), (" ", 0.06)])
        return self.rng.choice(names), sep.join(cut)

    CARD_PREFIXES = (
        ("4", 16, 0.38),
        ("5", 16, 0.25),
        ("2", 16, 0.04),
        ("34", 15, 0.03),
        ("37", 15, 0.04),
        ("35", 16, 0.1),
        ("62", 16, 0.04),
        ("94", 16, 0.12),
    )

    def card(self) -> str:
        """A Luhn-valid card number with a real issuer prefix."""
        prefix, length, _ = self.rng.choices(
            self.CARD_PREFIXES, [w for _, _, w in self.CARD_PREFIXES]
        )[0]
        if prefix == "5":
            prefix = str(self.rng.randint(51, 55))
        elif prefix == "2":
            prefix = str(self.rng.randint(2221, 2720))
        elif prefix == "35":
            prefix = str(self.rng.randint(3528, 3589))
        elif prefix == "94":
            # Korean domestic-only cards (BC and others) start 94 and pass Luhn as well.
            prefix = self.pick(("9410", "9420", "9430", "9440", "9460", "9490"))
        body = prefix + self.digits(length - len(prefix) - 1)
        full = body + luhn_digit(body)
        sep = self.weighted([("-", 0.55), (" ", 0.2), ("", 0.25)])
        if length == 15:
            return sep.join((full[:4], full[4:10], full[10:]))
        return sep.join(full[i : i + 4] for i in range(0, 16, 4))

    def passport(self) -> str:
        """A Korean passport number, old (M12345678) or 2021 (M123A4567) format."""
        letter = self.weighted([("M", 0.86), ("S", 0.05), ("R", 0.03), ("O", 0.02)] + [("D", 0.04)])
        if self.rng.random() < 0.04:
            letter = letter.lower()
        if self.rng.random() < 0.55:
            middle = self.weighted([("A", 0.6), ("B", 0.2), ("C", 0.1), ("D", 0.1)])
            return f"{letter}{self.digits(3)}{middle}{self.digits(4)}"
        return f"{letter}{self.digits(8)}"

    def license(self) -> str:
        """A driver's licence number: region, year, serial and check digits."""
        region = str(self.rng.choice([*range(11, 27), 28]))
        year = f"{self.rng.randint(0, 25):02d}" if self.rng.random() < 0.8 else self.digits(2)
        year = str(self.rng.randint(88, 99)) if self.rng.random() < 0.15 else year
        groups = (region, year, self.digits(6), self.digits(2))
        sep = self.weighted([("-", 0.78), (" ", 0.08), ("", 0.08), ("ㅡ", 0.06)])
        return sep.join(groups)

    # --- the numbers that must stay ---------------------------------------------------------

    def order(self) -> str:
        """An order number in one of the marketplaces' formats."""
        roll = self.rng.random()
        day = dt.date(2026, 1, 1) + dt.timedelta(days=self.rng.randint(0, 333))
        if roll < 0.3:
            return day.strftime("%Y%m%d") + self.digits(8)
        if roll < 0.45:
            return "1000" + self.digits(9)
        if roll < 0.58:
            return day.strftime("%Y%m%d") + "-" + self.digits(self.rng.choice((5, 6, 7)))
        if roll < 0.68:
            return "ORD-" + day.strftime("%Y%m%d") + "-" + self.digits(4)
        if roll < 0.8:
            return self.not_card()
        if roll < 0.9:
            return day.strftime("%Y%m%d") + self.digits(6)
        return self.digits(2) + self.pick("ABCDEFGHJK") + self.digits(9)

    def not_card(self) -> str:
        """A 16-digit order number that fails Luhn: it must not be taken for a card."""
        while True:
            text = self.pick("4579") + self.digits(15)
            if not luhn_ok(text):
                return text

    COURIERS = (
        ("CJ대한통운", "cj"),
        ("대한통운", "cj"),
        ("CJ택배", "cj"),
        ("한진택배", "hanjin"),
        ("한진", "hanjin"),
        ("롯데택배", "lotte"),
        ("롯데글로벌로지스", "lotte"),
        ("우체국택배", "epost"),
        ("우체국 등기", "epost"),
        ("로젠택배", "logen"),
        ("로젠", "logen"),
    )

    def tracking(self) -> tuple[str, str]:
        """A courier's name and a waybill number in its format."""
        name, kind = self.rng.choice(self.COURIERS)
        if kind == "cj":
            digits = self.pick("56") + self.digits(11)
        elif kind == "hanjin":
            digits = self.pick("45") + self.digits(11)
        elif kind == "lotte":
            digits = self.pick("23") + self.digits(11)
        elif kind == "epost":
            return name, self.pick(("60", "68", "69")) + self.digits(11)
        else:
            digits = self.pick("1234") + self.digits(10)
            if self.rng.random() < 0.2:
                return name, f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
            return name, digits
        if self.rng.random() < 0.3:
            return name, "-".join(digits[i : i + 4] for i in range(0, 12, 4))
        return name, digits

    def sku(self) -> str:
        """A product id, SKU or model number."""
        return self.pick(
            (
                f"SKU-{self.digits(5)}",
                "-".join(
                    (self.pick(("SM", "NB", "AB", "KR", "GX")), self.digits(4))
                    + (self.pick(("XL", "M", "BK", "WH")),)
                ),
                f"B0{self.pick('CDB')}{self.digits(4)}{self.pick('XYZKQ')}{self.pick('0123456789')}",
                str(self.rng.randint(1, 9)) + self.digits(9),
                f"{self.pick(('A', 'B', 'C'))}-{self.digits(2)}",
                f"SM-S{self.digits(3)}N",
                f"{self.digits(6)}-{self.digits(3)}",
            )
        )

    def price(self) -> str:
        """A price in won."""
        amount = self.rng.randint(10, 3000) * 100
        forms = [f"{amount:,}원", f"{amount}원", f"₩{amount:,}", f"{amount:,} 원"]
        if amount >= 10000 and amount % 10000 == 0:
            forms.append(f"{amount // 10000}만원")
        return self.pick(forms)

    def date(self) -> str:
        """A date as buyers write it."""
        day = dt.date(2026, 11, 1) + dt.timedelta(days=self.rng.randint(0, 60))
        return self.pick(
            (
                f"{day.month}/{day.day}",
                f"{day.month}월 {day.day}일",
                day.isoformat(),
                day.strftime("%Y.%m.%d"),
                f"{day.month}.{day.day}",
                f"{day.strftime('%y')}년 {day.month}월 {day.day}일",
            )
        )

    def door(self) -> str:
        """A door or entrance code."""
        code = self.digits(self.rng.choice((4, 4, 4, 6)))
        return self.pick(
            (f"#{code}*", f"{code}#", f"*{code}#", f"#{code}", code, f"{code}*", f"종{code}")
        )

    def unit(self) -> str:
        """A flat: 동 and 호."""
        dong = self.rng.randint(101, 125) if self.rng.random() < 0.8 else self.rng.randint(1, 9)
        ho = self.rng.randint(1, 35) * 100 + self.rng.randint(1, 6)
        return self.pick(
            (f"{dong}동 {ho}호", f"{dong}동{ho}호", f"{ho}호", f"{dong}-{ho}", f"{dong}동 {ho}")
        )

    BUILDINGS = (
        "래미안",
        "힐스테이트",
        "롯데캐슬",
        "자이",
        "푸르지오",
        "e편한세상",
        "아이파크",
        "SK뷰",
        "더샵",
        "한신빌라",
        "현대아파트",
        "주공아파트",
        "센트럴오피스텔",
        "스타타워",
        "그린빌",
    )

    def building(self) -> str:
        """A building or apartment complex's name."""
        name = self.pick(self.BUILDINGS)
        if name.endswith(("아파트", "오피스텔", "빌라", "빌")):
            return name
        return name + self.pick(("", " 아파트", f" {self.rng.randint(1, 5)}단지", " 오피스텔"))

    def rep(self) -> str:
        """A business's 대표번호: not personal data, so never labelled."""
        head = self.pick(("1588", "1577", "1544", "1566", "1599", "1600", "1644", "1661", "1670"))
        return head + self.pick(("-", "", " ")) + self.digits(4)

    def time(self) -> str:
        """A time of day or a window."""
        hour = self.rng.randint(7, 21)
        return self.pick(
            (
                f"오후 {hour - 12 if hour > 12 else hour}시",
                f"{hour}:{self.pick(('00', '30'))}",
                f"{hour}시 이후",
                f"저녁 {self.rng.randint(6, 9)}시",
                f"{hour}시~{hour + 2}시",
            )
        )

    def postal(self) -> str:
        """A five-digit postal code."""
        return f"{self.rng.randint(1, 63):02d}{self.digits(3)}"

    NAMES = (
        "김민지",
        "이서준",
        "박지훈",
        "최유나",
        "정하은",
        "강도현",
        "윤서연",
        "장민수",
        "임지우",
    )

    def name(self) -> str:
        """A Korean name, sometimes masked or with 님."""
        name = self.pick(self.NAMES)
        return self.pick((name, name[0] + "OO", name + "님", name))

    def emo(self) -> str:
        """An emoticon or nothing."""
        return self.weighted(
            [("", 0.45), ("ㅠㅠ", 0.09), ("ㅋㅋ", 0.07), ("^^", 0.07), ("ㅎㅎ", 0.06), ("😊", 0.04)]
            + [("🙏", 0.04), ("!!", 0.06), ("~", 0.06), ("ㅜㅜ", 0.03), ("^^;", 0.02), ("😭", 0.01)]
        )


# --- templates ------------------------------------------------------------------------------

# A template is text with {placeholders}: the PII ones become labelled identifiers, the
# others the numbers and names that must stay.
CONTACT = (
    "부재시 {phone}로 연락주세요",
    "부재시 {phone} 으로 연락 부탁드려요",
    "연락처 {phone}",
    "연락처: {phone}",
    "{phone} 으로 문자 주세요",
    "{phone}로 전화주세요",
    "도착 전에 {phone}로 전화 한통만 부탁드립니다",
    "받는분 번호 {phone} 입니다",
    "기사님 도착하시면 {phone}로 연락주세요 {emo}",
    "번호 바뀌었어요 {phone}로 연락주세요",
    "전화 안받으면 {phone}로 문자주세요",
    "{phone}",
    "폰번호{phone}",
    "핸드폰 {phone} 입니다",
    "HP {phone}",
    "tel {phone}",
    "연락은 {phone}이나 {phone}로 주세요",
    "회사번호 {landline} 말고 핸드폰 {mobile}로 주세요",
    "집전화 {landline}",
    "사무실 {landline} (내선 {ext})",
    "안심번호 {safe}로 연락주세요",
    "{safe} 이 번호로 연락주시면 돼요",
    "해외 로밍중이라 {intl}로 연락 부탁드려요",
    "카톡 안되면 {mobile}로 전화주세요",
    "엄마 번호 {mobile}, 제 번호 {mobile}",
    "{mobile}로 도착 문자 부탁드려요",
    "{mobile}입니다",
    "{mobile}이에요",
)
EMAIL = (
    "영수증은 {email}으로 보내주세요",
    "세금계산서 {email}로 부탁드립니다",
    "이메일 {email}",
    "메일주소 {email} 입니다",
    "답변은 {email}으로 주세요",
    "{email}로 교환 절차 안내 부탁드려요",
    "{email}",
    "메일로 주세요 {email}",
    "email: {email}",
    "이메일주소가 {email}인데 메일이 안와요",
    "{email}으로 사진 보냈어요 확인 부탁드려요",
    "주문 확인 메일 {email}에 안 왔어요",
    "{email}로요",
)
CUSTOMS = (
    "개인통관고유부호 {customs}",
    "통관부호 {customs}입니다",
    "통관번호 {customs} 입력했어요",
    "개인통관부호 : {customs}",
    "통관번호가 {customs}인데 잘못 입력했어요 수정 부탁드립니다",
    "customs code {customs}",
    "Customs ID: {customs}",
    "통관고유부호 {customs} 로 변경해주세요",
    "{customs}",
    "개통부호 {customs}",
    "통관부호{customs}",
    "세관에서 통관부호 틀렸다고 연락왔어요 {customs}가 맞아요",
)
BANK = (
    "환불계좌 {bank}",
    "환불은 {bank}로 부탁드려요",
    "환불계좌 {bank} 예금주 {name}",
    "{bank} {name} 으로 환불해주세요",
    "계좌 {bank} 입니다",
    "refund account: {bank}",
    "환불받을 계좌는 {bank}이에요",
    "{bank}로 입금해주세요",
    "차액은 {bank} ({name})로 보내주세요",
    "반품비 입금할게요 제 계좌는 {bank}",
    "{bank}",
    "계좌번호 {account} ({bankname}) 입니다",
    "{account} {bankname} {name}",
)
CARD = (
    "결제카드 {card} 취소 부탁드려요",
    "카드번호 {card}로 결제했는데 두번 빠져나갔어요",
    "card no. {card}",
    "{card} 이 카드로 결제했어요",
    "카드 {card} 결제 취소해주세요",
    "결제한 카드가 {card}인데 승인취소 확인 부탁드립니다",
    "법인카드 {card} 로 다시 결제할게요",
)
RRN = (
    "주민번호 {rrn} 입니다",
    "통관 때문에 주민등록번호 {rrn} 필요하다고 해서 남겨요",
    "주민 {rrn}",
    "주민등록번호: {rrn}",
    "본인확인용 {rrn}",
    "세관에서 주민번호 달래서요 {rrn}",
    "{rrn} 주민번호예요",
    "주민번호{rrn}로 조회해보세요",
)
FRN = (
    "외국인등록번호 {frn}",
    "외국인번호 {frn} 입니다",
    "ARC no. {frn}",
    "외국인이라 통관부호 대신 외국인등록번호 {frn} 드려요",
    "등록번호 {frn}로 조회 부탁드려요",
)
PASSPORT = (
    "여권번호 {passport}",
    "passport {passport}",
    "여권 {passport}로 통관해주세요",
    "여권번호는 {passport}입니다",
    "Passport No: {passport}",
    "구매자 여권번호 {passport} 이름 {name}",
)
LICENSE = (
    "운전면허 {license}",
    "면허번호 {license}",
    "신분증(운전면허) {license} 로 인증했어요",
    "운전면허번호 {license} 입니다",
    "운전면허증 번호 {license}",
)
PII_FRAGMENTS: tuple[tuple[tuple[str, ...], float], ...] = (
    (CONTACT, 0.36),
    (EMAIL, 0.12),
    (CUSTOMS, 0.12),
    (BANK, 0.12),
    (RRN, 0.07),
    (CARD, 0.07),
    (FRN, 0.05),
    (PASSPORT, 0.05),
    (LICENSE, 0.04),
)
DELIVERY = (
    "부재시 문앞에 놔주세요",
    "경비실에 맡겨주세요",
    "공동현관 비번 {door}",
    "공동현관 비밀번호 {door} 입니다",
    "공현 {door}",
    "{unit} 문앞에 두고 가주세요",
    "{building} {unit}입니다",
    "{building} 정문 말고 후문으로 와주세요",
    "배송 전 연락 부탁드려요",
    "택배함에 넣어주세요",
    "문 앞에 놓고 벨 누르지 말아주세요 아기가 자요",
    "{time} 이후에 와주세요",
    "파손주의!! 깨지기 쉬운 물건이에요",
    "현관 비밀번호 {door} 누르고 들어오세요",
    "{unit} 현관 앞",
    "1층 무인택배함 {box}번",
    "관리실에 맡겨주시면 찾아갈게요",
    "엘리베이터 없어요 {floor}층이에요 죄송합니다",
    "강아지 있어요 벨 누르지 마세요",
    "우편번호 {postal} 맞는지 확인 부탁드려요",
    "회사로 보내주세요 {building} {floor}층",
    "leave at door pls",
    "Please leave it at the door",
    "부재시 소화전 안에 넣어주세요",
    "문앞에 두시고 사진 찍어주세요",
)
ORDERISH = (
    "주문번호 {order} 배송 언제 되나요",
    "주문번호 {order}",
    "{courier} 송장번호 {tracking} 조회가 안돼요",
    "송장 {tracking} ({courier}) 3일째 그대로에요",
    "{courier} {tracking} 배송완료로 뜨는데 못 받았어요",
    "상품번호 {sku} {qty}개 추가 주문했어요",
    "{sku} 사이즈 {size}로 교환 원해요",
    "{price} 결제했는데 {date}까지 오나요",
    "{date} 도착 예정이라고 떴는데 아직이에요",
    "고객센터 {rep}로 전화했는데 연결이 안돼요",
    "order no {order} where is my package",
    "주문 {order} 취소하고 {order}로 다시 주문했어요",
    "쿠폰 적용하면 {price} 아닌가요? {price} 결제됐어요",
    "{date} {time}에 받을 수 있을까요",
    "반품 송장 {tracking} 보냈습니다",
    "{order} 주문건 부분취소 부탁드려요",
    "옵션 {sku} 품절이면 환불해주세요",
    "카드 끝자리 {last4}로 결제했어요",
    "환불은 원래 결제수단으로 해주세요",
    "{date}에 주문했는데 {price} 빠져나갔어요",
    "모델명 {sku} 정품 맞나요?",
)
OPENERS = (
    "",
    "",
    "",
    "안녕하세요",
    "안녕하세요~",
    "판매자님",
    "사장님",
    "저기요",
    "Hi",
    "문의드립니다",
    "급해요!!",
    "기사님~",
    "안녕하세요 판매자님",
    "수고많으십니다",
    "Hello",
)
CLOSERS = (
    "",
    "",
    "",
    "",
    "감사합니다",
    "감사합니다^^",
    "수고하세요~",
    "부탁드려요 ㅠㅠ",
    "빨리 보내주세요",
    "ㅋㅋ",
    "Thanks!",
    "😊",
    "🙏",
    "부탁드립니다!!",
    "감사해요 ㅎㅎ",
    "좋은 하루 되세요",
    "확인 부탁드립니다",
    "thx",
)
TYPOS = (
    ("주세요", ("주세여", "주세욤", "쥬세요")),
    ("감사합니다", ("감사함니다", "감사합니당", "ㄳ", "감사합니다아")),
    ("부탁드립니다", ("부탁드림니다", "부탁드려용")),
    ("부탁드려요", ("부탁드려욧", "부탁드려여")),
    ("연락", ("연랃",)),
    ("배송", ("배숑",)),
    ("문앞", ("문압", "문 앞")),
    ("안녕하세요", ("안뇽하세요", "안녕하세여", "ㅎㅇ")),
    ("비밀번호", ("비빌번호", "비번")),
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Builder:
    """Turns templates into parts (text, and identifiers with their types)."""

    def __init__(self, maker: Maker) -> None:
        self.m = maker
        # A bank's name and its number, or a courier and its waybill, may sit in two places
        # of one template: the pair is drawn once, at the first of the two.
        self.pending_bank: tuple[str, str] | None = None
        self.pending_tracking: tuple[str, str] | None = None

    def fill(self, template: str) -> list[Part]:
        """The template with each placeholder replaced by its value."""
        self.pending_bank = self.pending_tracking = None
        parts: list[Part] = []
        at = 0
        for match in PLACEHOLDER.finditer(template):
            parts.append(template[at : match.start()])
            parts.extend(self.value(match.group(1)))
            at = match.end()
        parts.append(template[at:])
        return [p for p in parts if p]

    def value(self, key: str) -> list[Part]:
        """The parts one placeholder becomes."""
        m = self.m
        labelled: dict[str, tuple[str, Callable[[], str]]] = {
            "phone": ("phone", m.phone),
            "mobile": ("phone", m.mobile),
            "landline": ("phone", m.landline),
            "safe": ("phone", m.safe),
            "intl": ("phone", m.intl),
            "email": ("email", m.email),
            "customs": ("customs_code", m.customs),
            "card": ("card", m.card),
            "rrn": ("rrn", lambda: m.registration(foreign=False)),
            "frn": ("frn", lambda: m.registration(foreign=True)),
            "passport": ("passport", m.passport),
            "license": ("driver_license", m.license),
        }
        if key in labelled:
            kind, make = labelled[key]
            return [(kind, make())]
        if key == "bank":
            name, account = m.bank()
            form = m.weighted(
                [("{n} {a}", 0.6), ("{n}{a}", 0.15), ("{a} {n}", 0.15), ("{a}({n})", 0.1)]
            )
            head, _, tail = form.partition("{a}")
            return [head.replace("{n}", name), ("bank_account", account), tail.replace("{n}", name)]
        if key in ("account", "bankname"):
            if self.pending_bank is None:
                self.pending_bank = m.bank()
            name, account = self.pending_bank
            return [("bank_account", account)] if key == "account" else [name]
        if key in ("courier", "tracking"):
            if self.pending_tracking is None:
                self.pending_tracking = m.tracking()
            courier, number = self.pending_tracking
            return [courier] if key == "courier" else [number]
        plain: dict[str, Callable[[], str]] = {
            "order": m.order,
            "sku": m.sku,
            "price": m.price,
            "date": m.date,
            "door": m.door,
            "unit": m.unit,
            "building": m.building,
            "rep": m.rep,
            "time": m.time,
            "postal": m.postal,
            "name": m.name,
            "emo": m.emo,
            "ext": lambda: m.digits(3),
            "box": lambda: str(m.rng.randint(1, 40)),
            "floor": lambda: str(m.rng.randint(2, 25)),
            "qty": lambda: str(m.rng.randint(1, 5)),
            "size": lambda: m.pick(("230", "250", "270", "M", "L", "XL", "95", "100")),
            "last4": lambda: m.digits(4),
        }
        return [plain[key]()]


def noisy(text: str, rng: random.Random, sloppy: bool) -> str:
    """Typos and, for a sloppy writer, spaces dropped between Korean words."""
    for right, wrongs in TYPOS:
        if right in text and rng.random() < 0.12:
            text = text.replace(right, rng.choice(wrongs), 1)
    if sloppy:
        chars = list(text)
        for i in range(1, len(chars) - 1):
            between_words = is_hangul(chars[i - 1]) and is_hangul(chars[i + 1])
            if chars[i] == " " and between_words and rng.random() < 0.5:
                chars[i] = ""
        text = "".join(chars)
    return text


def is_hangul(ch: str) -> bool:
    """Whether ``ch`` is a precomposed Hangul syllable."""
    return "\uac00" <= ch <= "\ud7a3"


def assemble(parts: Iterable[Part]) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """The note's text and its gold spans, each covering one identifier exactly."""
    text, spans = "", []
    for part in parts:
        if isinstance(part, str):
            text += part
        else:
            kind, value = part
            spans.append((len(text), len(text) + len(value), kind))
            text += value
    return text, tuple(spans)


def joiner(rng: random.Random) -> str:
    """What a buyer puts between two parts of a note."""
    return rng.choice((" ", " ", " ", ". ", ", ", "\n", " / ", "~ ", "!! ", " ㅠㅠ "))


class Composer:
    """Draws whole notes: an opener, fragments, a closer, and the writer's habits."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.builder = Builder(Maker(rng))

    def fragments(self, pii: bool) -> list[str]:
        """The templates of one note: identifiers for a pii note, none otherwise."""
        rng = self.rng
        chosen: list[str] = []
        if pii:
            count = rng.choices((1, 2, 3), (0.6, 0.3, 0.1))[0]
            pools = [p for p, _ in PII_FRAGMENTS]
            weights = [w for _, w in PII_FRAGMENTS]
            for _ in range(count):
                chosen.append(rng.choice(rng.choices(pools, weights)[0]))
            # Most real notes with an identifier also carry the delivery and order details.
            for pool, p in ((DELIVERY, 0.55), (ORDERISH, 0.45)):
                if rng.random() < p:
                    chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(pool))
        else:
            count = rng.choices((1, 2, 3), (0.35, 0.45, 0.2))[0]
            for _ in range(count):
                chosen.append(rng.choice(rng.choice((DELIVERY, ORDERISH))))
        return chosen

    def note(self, pii: bool) -> tuple[str, tuple[tuple[int, int, str], ...]]:
        """One note's text and gold spans."""
        rng = self.rng
        sloppy = rng.random() < 0.2
        parts: list[Part] = []
        opener = rng.choice(OPENERS)
        if opener:
            parts += [opener, joiner(rng)]
        for i, template in enumerate(self.fragments(pii)):
            if i:
                parts.append(joiner(rng))
            filled = self.builder.fill(template)
            parts += [noisy(p, rng, sloppy) if isinstance(p, str) else p for p in filled]
        closer = rng.choice(CLOSERS)
        if closer:
            parts += [joiner(rng), noisy(closer, rng, sloppy)]
        emo = self.builder.m.emo()
        if emo:
            parts.append(rng.choice(("", " ")) + emo)
        return assemble(parts)


# --- splits and files -----------------------------------------------------------------------


def hard_split(note_id: str) -> str:
    """The fixed rule that puts a hand-written hard case in dev (two in five) or test."""
    digest = hashlib.sha256(note_id.encode("utf-8")).digest()
    return "dev" if digest[0] % 5 < 2 else "test"


def load_jsonl(path: Path) -> list[Note]:
    """Notes from one JSONL file in the corpus format."""
    notes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        spans = tuple((s["start"], s["end"], s["type"]) for s in record["spans"])
        notes.append(Note(record["id"], record["text"], spans, record["group"]))
    return notes


def generate(hard_cases: Sequence[Note]) -> dict[str, list[Note]]:
    """Both splits: generated notes first, then this split's share of the hard cases."""
    seen = {note.text for note in hard_cases}
    splits: dict[str, list[Note]] = {}
    for offset, (split, total) in enumerate(GENERATED.items()):
        composer = Composer(random.Random(SEED + offset))
        numbers_only = round(total * NUMBERS_ONLY_SHARE)
        notes: list[Note] = []
        while len(notes) < total:
            # Interleave the groups so neither clusters at one end of the file.
            pii = len(notes) % 100 >= round(100 * NUMBERS_ONLY_SHARE) or numbers_only == 0
            text, spans = composer.note(pii)
            if text in seen or (pii and not spans):
                continue
            seen.add(text)
            if not pii:
                numbers_only -= 1
            group = "pii" if pii else "numbers_only"
            notes.append(Note(f"{split}-{len(notes) + 1:04d}", text, spans, group))
        notes += [note for note in hard_cases if hard_split(note.id) == split]
        splits[split] = notes
    return splits


def write(out: Path, hard_cases_path: Path = HARD_CASES) -> dict[str, int]:
    """Generates both splits into ``out``; returns the number of notes in each."""
    splits = generate(load_jsonl(hard_cases_path))
    out.mkdir(parents=True, exist_ok=True)
    for split, notes in splits.items():
        lines = "".join(note.to_json() + "\n" for note in notes)
        (out / f"{split}.jsonl").write_text(lines, encoding="utf-8", newline="\n")
    return {split: len(notes) for split, notes in splits.items()}


def main() -> None:
    """Writes both splits and prints their sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA, help="where dev.jsonl and test.jsonl go")
    args = parser.parse_args()
    for split, count in write(args.out).items():
        print(f"{split}: {count} notes")


if __name__ == "__main__":
    main()
