"""Fictional company names for the demo's recipients abroad, as each country writes them.

Names are put together from invented stems and ordinary trade words, with the legal form the
country uses ("Co., Ltd.", "Pte. Ltd.", "GmbH"), so they read like the sellers and carriers a
cross-border marketplace lists without being any real company. Faker's company names are not
used: some of its locales draw on the names of real firms.
"""

from __future__ import annotations

import random

__all__ = ["CompanyNames"]

_CHINESE = (
    ("Jin", "Lan", "Hai", "Qing", "Rui", "Xin", "Yue", "Hong", "Tian", "Mei", "Bo", "Chen"),
    ("feng", "hua", "kai", "ling", "ming", "shun", "tai", "wen", "yuan", "zhi", "heng", "lu"),
)
_JAPANESE = (
    ("Aka", "Hoshi", "Kawa", "Mori", "Sora", "Taka", "Nami", "Hana", "Kiri", "Tsuki", "Yuki"),
    ("boshi", "kaze", "tani", "mine", "shima", "nagi", "kage", "hane", "sumi", "gumo"),
)
_VIETNAMESE = (
    ("An", "Bao", "Minh", "Phu", "Thanh", "Viet", "Hoa", "Tan", "Duc", "Kim", "Lam", "Quang"),
    ("Phat", "Long", "Thinh", "Hung", "Loc", "Khang", "Tien", "Nguyen", "Vinh", "Dat"),
)
_GERMAN = (
    ("Alten", "Birken", "Eichen", "Falken", "Linden", "Rosen", "Stein", "Wald", "Erlen", "Buchen"),
    ("bach", "feld", "hof", "tal", "au", "brunn", "mark", "grund", "heim", "wiese"),
)
_LATIN = (
    ("Amber", "Birch", "Cedar", "Copper", "Elder", "Fern", "Harbor", "Juniper", "Maple", "Quill"),
    ("brook", "crest", "field", "gate", "haven", "leaf", "mere", "stone", "vale", "wick"),
)

# Legal forms per country; a name ends in one of them.
_FORMS: dict[str, tuple[str, ...]] = {
    "CN": ("Co., Ltd.", "Trading Co., Ltd."),
    "HK": ("Limited", "Company Limited"),
    "TW": ("Co., Ltd.", "Enterprise Co., Ltd."),
    "SG": ("Pte. Ltd.",),
    "JP": ("K.K.", "Co., Ltd."),
    "US": ("LLC", "Inc."),
    "VN": ("Company Limited", "Joint Stock Company"),
    "TH": ("Co., Ltd.",),
    "ID": ("Tbk", "Indonesia"),
    "MY": ("Sdn. Bhd.",),
    "PH": ("Inc.", "Corporation"),
    "IN": ("Private Limited", "LLP"),
    "TR": ("Ltd. Şti.", "A.Ş."),
    "DE": ("GmbH", "GmbH & Co. KG"),
    "FR": ("SARL", "SAS"),
    "GB": ("Ltd", "Limited"),
    "IT": ("S.r.l.",),
    "ES": ("S.L.",),
    "NL": ("B.V.",),
    "AU": ("Pty Ltd",),
    "CA": ("Inc.", "Ltd."),
    "MX": ("S.A. de C.V.",),
    "BR": ("Ltda.",),
}
_STEMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "CN": _CHINESE,
    "HK": _CHINESE,
    "TW": _CHINESE,
    "JP": _JAPANESE,
    "VN": _VIETNAMESE,
    "DE": _GERMAN,
}
_CITIES = {"CN": ("Shenzhen", "Yiwu", "Guangzhou", "Ningbo", "Hangzhou", "Dongguan", "Xiamen")}
_TRADES = {
    "seller": (
        "Household Goods",
        "Apparel",
        "Electronics",
        "Beauty",
        "Home & Garden",
        "Outdoor Gear",
        "Kitchenware",
        "Toys",
        "Crafts",
        "Pet Supplies",
        "Stationery",
        "Sportswear",
        "Lighting",
        "Textiles",
        "Trading",
    ),
    "logistics": ("Logistics", "Freight", "Express", "Forwarding", "Supply Chain"),
    "storage": ("Warehousing", "Storage", "Fulfilment", "Cold Chain"),
}


class CompanyNames:
    """Draws distinct fictional company names, reproducibly from a seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._used: set[str] = set()

    def _draw(self, kind: str, country: str) -> str:
        rnd = self._random
        first, second = _STEMS.get(country, _LATIN)
        # Vietnamese writes each syllable apart ("Minh Phat"); the others join theirs.
        stem = (" " if country == "VN" else "").join((rnd.choice(first), rnd.choice(second)))
        trade = rnd.choice(_TRADES[kind])
        form = rnd.choice(_FORMS[country])
        if form.startswith(trade.split()[-1]):
            form = form.split(" ", 1)[1]  # not "Trading Trading Co., Ltd."
        city = _CITIES.get(country)
        if city and rnd.random() < 0.6:
            return f"{rnd.choice(city)} {stem} {trade} {form}"
        if country == "ID":
            return f"PT {stem} {trade} {form}"
        return f"{stem} {trade} {form}"

    def one(self, kind: str, country: str) -> str:
        """A name not drawn before, for a recipient of ``kind`` in ``country``."""
        for _ in range(50):
            name = self._draw(kind, country)
            if name not in self._used:
                break
        else:
            # The combinations are many, but never let a small table loop forever.
            name = f"{self._draw(kind, country)} ({len(self._used) + 1})"
        self._used.add(name)
        return name
