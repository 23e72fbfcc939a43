"""The policy model: one jurisdiction's transfer rules as validated, immutable data.

A rule pack file (TOML, under ``gatehouse/rules/packs``) is read by ``gatehouse.rules`` and
validated into a ``RulePack``; the domain decides with the model and never with the file.
"""

from gatehouse.domain.policy.pack import (
    Basis,
    CertificationScheme,
    ConsentWording,
    Deadlines,
    DisclosureTexts,
    Label,
    LawProvision,
    NoticeItem,
    NoticeTexts,
    Purpose,
    Remedy,
    Requirement,
    RetentionHold,
    RulePack,
    Views,
)

__all__ = [
    "Basis",
    "CertificationScheme",
    "ConsentWording",
    "Deadlines",
    "DisclosureTexts",
    "Label",
    "LawProvision",
    "NoticeItem",
    "NoticeTexts",
    "Purpose",
    "Remedy",
    "Requirement",
    "RetentionHold",
    "RulePack",
    "Views",
]
