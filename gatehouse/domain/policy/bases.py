"""Lawful bases as data: the bases, the statute provisions and the certification schemes.

A basis other than consent fits only facts the pack lists: a provision cited by its key, a
scheme the regulator designated, a country found adequate. Nothing a caller types can widen
them, and kinds the pack reserves for consent (a seller, an independent controller) can never
appear in them: the pack does not load if they do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Literal

from pydantic import Field, PositiveInt, StringConstraints

from gatehouse.domain.policy.model import Key, Label, Model, Text

__all__ = [
    "Basis",
    "CertificationScheme",
    "LawProvision",
    "Requirement",
    "SchemeName",
    "basis_problems",
]

# What a basis needs evidence of; each kind has its own check in the lawful-basis evaluation.
Requirement = Literal["consent", "law", "disclosure", "certification", "adequacy"]

# The requirements that stand in for the subject's own choice; kinds reserved for consent
# may never be reached through them.
_NOT_CONSENT: tuple[Requirement, ...] = ("law", "disclosure", "certification")

SchemeName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$")]


class Basis(Model):
    """A lawful basis for transfer, with the flows and recipient kinds it may justify."""

    # The statute as cited in each language: 「개인정보 보호법」 제28조의8제1항제1호 in Korean.
    citation: Label
    label: Label
    flows: list[Key] = Field(min_length=1)
    kinds: list[Key] = Field(min_length=1)
    requires: Requirement


class LawProvision(Model):
    """A reviewed special provision of a statute or treaty that provides for the transfer.

    A transfer may rest on a law basis only by citing one of these by its key; what it covers
    (recipient kinds, flows, purposes, fields) is fixed here, never by the caller.
    """

    citation: Label
    text: Label
    recipient_kinds: list[Key] = Field(min_length=1)
    flows: list[Key] = Field(min_length=1)
    purposes: list[Key] = Field(min_length=1)
    fields: list[Key] = Field(min_length=1)
    # Who reviewed the provision for this pack, and when: the pack is legal data, not code.
    reviewed: Text


class CertificationScheme(Model):
    """A certification the regulator designated for transfers, with the scope it may cover."""

    name: Label
    # The act that designates the scheme (statute, notice), as cited in each language.
    designation: Label
    issuers: list[Text] = Field(min_length=1)
    recipient_kinds: list[Key] = Field(min_length=1)
    flows: list[Key] = Field(min_length=1)
    # The longest validity a designation allows, checked against the record's own dates.
    max_years: PositiveInt


def _unknown(
    path: str, values: Iterable[str], known: Iterable[str], what: str
) -> Iterator[tuple[str, str]]:
    allowed = list(known)
    for index, value in enumerate(values):
        if value not in allowed:
            yield f"{path}[{index}]", f"{what} '{value}' is not one of {', '.join(allowed)}"


def _reserved(
    path: str, kinds: Iterable[str], consent_only: list[str]
) -> Iterator[tuple[str, str]]:
    for index, kind in enumerate(kinds):
        if kind in consent_only:
            yield f"{path}[{index}]", f"'{kind}' receives data only with the subject's consent"


def basis_problems(
    *,
    flows: list[str],
    kinds: list[str],
    purposes: Mapping[str, Mapping[str, str]],
    bases: Mapping[str, Basis],
    kind_flows: Mapping[str, list[str]],
    consent_only_kinds: list[str],
    law_provisions: Mapping[str, LawProvision],
    certification_schemes: Mapping[str, CertificationScheme],
) -> Iterator[tuple[str, str]]:
    """Yield (dotted key, problem) for every inconsistency among the bases and their facts."""
    yield from _unknown("consent_only_kinds", consent_only_kinds, kinds, "kind")
    for kind in kinds:
        if kind not in kind_flows:
            yield "kind_flows", f"no flows declared for the recipient kind '{kind}'"
    for kind, allowed in kind_flows.items():
        if kind not in kinds:
            yield f"kind_flows.{kind}", f"'{kind}' is not one of {', '.join(kinds)}"
        yield from _unknown(f"kind_flows.{kind}", allowed, flows, "flow")
    for code, basis in bases.items():
        yield from _unknown(f"bases.{code}.flows", basis.flows, flows, "flow")
        yield from _unknown(f"bases.{code}.kinds", basis.kinds, kinds, "kind")
        if basis.requires in _NOT_CONSENT:
            yield from _reserved(f"bases.{code}.kinds", basis.kinds, consent_only_kinds)
    for key, provision in law_provisions.items():
        path = f"law_provisions.{key}"
        yield from _unknown(f"{path}.flows", provision.flows, flows, "flow")
        yield from _unknown(f"{path}.recipient_kinds", provision.recipient_kinds, kinds, "kind")
        yield from _unknown(f"{path}.purposes", provision.purposes, purposes, "purpose")
        kinds_path = f"{path}.recipient_kinds"
        yield from _reserved(kinds_path, provision.recipient_kinds, consent_only_kinds)
        for purpose in provision.purposes:
            beyond = sorted(set(purposes.get(purpose, {})) - set(provision.fields))
            if purpose in purposes and beyond:
                yield (
                    f"{path}.fields",
                    f"purpose '{purpose}' releases fields the provision does not allow: "
                    + ", ".join(beyond),
                )
    for name, scheme in certification_schemes.items():
        path = f"certification_schemes.{name}"
        yield from _unknown(f"{path}.flows", scheme.flows, flows, "flow")
        yield from _unknown(f"{path}.recipient_kinds", scheme.recipient_kinds, kinds, "kind")
        kinds_path = f"{path}.recipient_kinds"
        yield from _reserved(kinds_path, scheme.recipient_kinds, consent_only_kinds)
