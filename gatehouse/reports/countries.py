"""Country names in the audit report: the rule pack's Korean names, pycountry's English ones.

The report names countries the way the notices and the privacy policy do, so a regulator reads
the same name in each. The caller may pass the pack Gatehouse runs with; by default the bundled
「개인정보 보호법」 pack is read once.
"""

from __future__ import annotations

from functools import cache

from gatehouse.domain.policy import RulePack
from gatehouse.rules import PACKS_DIR, load_pack

__all__ = ["BUNDLED_PACK", "bundled_pack", "country_label"]

BUNDLED_PACK = PACKS_DIR / "kr-pipa.toml"


@cache
def bundled_pack() -> RulePack:
    """The bundled 「개인정보 보호법」 pack, read and validated once."""
    return load_pack(BUNDLED_PACK)


def country_label(code: str, locale: str, pack: RulePack | None = None) -> str:
    """``US 미국`` / ``US United States``; a code that is no ISO 3166-1 country is shown as is."""
    name = (pack or bundled_pack()).country_name(code, locale)
    return code if name is None else f"{code} {name}"
