"""The rule pack model: one jurisdiction's transfer rules as validated, immutable data.

Everything jurisdiction-specific lives in the pack file; this module only knows the shape and
the consistency rules, so a new jurisdiction is a new TOML file rather than new code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pycountry
from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from gatehouse.domain.group_names import find_group_term
from gatehouse.domain.policy.agent import DomesticAgentRule
from gatehouse.domain.policy.bases import (
    Basis,
    CertificationScheme,
    LawProvision,
    Requirement,
    SchemeName,
    basis_problems,
)
from gatehouse.domain.policy.breach import BreachRules
from gatehouse.domain.policy.model import (
    BasisCode,
    CountryCode,
    Key,
    Label,
    LanguageCode,
    Model,
    Text,
)
from gatehouse.domain.policy.naming import OnwardTransferTexts, naming_problems
from gatehouse.domain.policy.penalty import PenaltyRules
from gatehouse.domain.policy.policy_texts import PolicyTexts
from gatehouse.domain.policy.sections import Deadlines, Purpose, Remedy, RetentionHold, Views
from gatehouse.domain.policy.wording import (
    ConsentWording,
    DisclosureTexts,
    NoticeItem,
    NoticeTexts,
)
from gatehouse.domain.recipients import RecipientKind
from gatehouse.domain.transforms import UnknownTransform, get_transform

__all__ = [
    "Basis",
    "CertificationScheme",
    "ConsentWording",
    "Deadlines",
    "DomesticAgentRule",
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

# A field released as is needs no form in the notice, and a dropped field is not listed at all;
# every other transform must say in each language how the field is released.
_AS_IS_TRANSFORM = "plain"
_NOT_RELEASED_TRANSFORM = "drop"

# The values notice texts may use, so the wording follows the pack's view clock.
_TEXT_PLACEHOLDERS = ("close_days", "max_days")


def _problem(key: str, problem: str) -> PydanticCustomError:
    # The key travels in the error context so the loader can report the exact dotted path.
    return PydanticCustomError("pack_inconsistent", "{problem}", {"key": key, "problem": problem})


def _labels(value: Any, path: str) -> Iterator[tuple[str, Label]]:
    if isinstance(value, Label):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _labels(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _labels(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _labels(item, f"{path}[{index}]")


class RulePack(Model):
    """One jurisdiction's rules for overseas transfer of its residents' personal data."""

    id: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")]
    version: Text
    title: Label
    jurisdictions: list[CountryCode] = Field(min_length=1)
    required_language: LanguageCode
    languages: list[LanguageCode] = Field(min_length=1)
    flows: list[Key] = Field(min_length=1)
    bases: dict[BasisCode, Basis] = Field(min_length=1)
    # Which flows each kind of recipient may receive at all.
    kind_flows: dict[Key, list[Key]]
    # Kinds that only the data subject's consent (or adequacy) may open: no statute,
    # certification or disclosure may list them.
    consent_only_kinds: list[Key] = Field(default_factory=list)
    law_provisions: dict[Key, LawProvision] = Field(default_factory=dict)
    certification_schemes: dict[SchemeName, CertificationScheme] = Field(default_factory=dict)
    adequate_countries: list[CountryCode] = Field(default_factory=list)
    notice_items: list[NoticeItem] = Field(min_length=1)
    required_notice_items: list[Key] = Field(default_factory=list)
    pii_fields: list[Key] = Field(min_length=1)
    purposes: dict[Key, Purpose] = Field(min_length=1)
    views: Views
    deadlines: Deadlines
    retention_holds: dict[Key, RetentionHold] = Field(default_factory=dict)
    remedies: list[Remedy] = Field(default_factory=list)
    # The article that lists the notice items, named when a notice cannot be rendered.
    notice_article: Text
    notice_texts: NoticeTexts
    disclosure_texts: DisclosureTexts
    field_labels: dict[Key, Label]
    # The form a field is released in, per transform; plain and drop need none (see above).
    transform_labels: dict[Key, Label] = Field(default_factory=dict)
    flow_labels: dict[Key, Label]
    recipient_kind_labels: dict[Key, Label]
    # Korean country names; pycountry supplies English ones (see ``country_name``).
    country_names_ko: dict[CountryCode, Text] = Field(default_factory=dict)
    # Group labels that are no recipient's name (see domain/group_names.py for how they match).
    group_names: list[Text] = Field(default_factory=list)
    onward_transfer_texts: OnwardTransferTexts
    # When a controller abroad must name a domestic agent; None where the law has no such rule.
    domestic_agent: DomesticAgentRule | None = None
    # The words of the generated privacy policy; None where the pack publishes none.
    privacy_policy: PolicyTexts | None = None
    penalty: PenaltyRules | None = None
    breach: BreachRules | None = None

    @model_validator(mode="after")
    def _check_consistency(self) -> RulePack:
        for key, problem in self.problems():
            raise _problem(key, problem)
        return self

    def problems(self) -> Iterator[tuple[str, str]]:
        """Yield (dotted key, problem) for every cross-field inconsistency in the pack."""
        yield from self._language_problems()
        yield from self._country_problems()
        yield from self._flow_problems()
        yield from basis_problems(
            flows=self.flows,
            kinds=[k.value for k in RecipientKind],
            purposes={name: self.released_fields(name) for name in self.purposes},
            bases=self.bases,
            kind_flows=self.kind_flows,
            consent_only_kinds=self.consent_only_kinds,
            law_provisions=self.law_provisions,
            certification_schemes=self.certification_schemes,
        )
        yield from self._notice_problems()
        yield from self._purpose_problems()
        yield from self._timing_problems()
        yield from self._notice_label_problems()
        yield from self._notice_text_problems()
        yield from naming_problems(self.group_names, self.onward_transfer_texts)
        if self.privacy_policy is not None:
            holds = {key: hold.fields for key, hold in self.retention_holds.items()}
            yield from self.privacy_policy.problems(set(self.field_labels), holds)

    def released_fields(self, purpose: str) -> dict[str, str]:
        """Field → transform for the fields ``purpose`` releases at transfer, in pack order."""
        fields = self.purposes[purpose].fields
        return {f: t for f, t in fields.items() if t != _NOT_RELEASED_TRANSFORM}

    def field_form(self, transform: str, language: str) -> str:
        """How a field released with ``transform`` is described; empty when shown as is."""
        label = self.transform_labels.get(transform)
        return "" if label is None else label.text(language, self.required_language)

    def country_name(self, alpha2: str, language: str) -> str | None:
        """The country's name in ``language``, or None when ``alpha2`` is no ISO 3166-1 code.

        Korean names come from ``country_names_ko``; a country missing there gets its English
        name, because an English name still tells the reader where the data goes, while failing
        would block checkout for a complete registration over a missing translation.
        """
        country = pycountry.countries.get(alpha_2=alpha2.upper())
        if country is None:
            return None
        if language == "ko" and country.alpha_2 in self.country_names_ko:
            return self.country_names_ko[country.alpha_2]
        # pycountry's common names avoid the formal ones ("Korea, Republic of", "Viet Nam").
        name = getattr(country, "common_name", None) or country.name
        return str(name)

    def _language_problems(self) -> Iterator[tuple[str, str]]:
        yield from _duplicates("languages", self.languages)
        if self.required_language not in self.languages:
            yield "required_language", f"'{self.required_language}' is not in languages"
        for path, label in _labels(self, ""):
            for language in self.languages:
                if language not in label.root:
                    yield path, f"missing the '{language}' text"
            for language in label.root:
                if language not in self.languages:
                    yield f"{path}.{language}", f"'{language}' is not one of the pack's languages"

    def _country_problems(self) -> Iterator[tuple[str, str]]:
        for name in ("jurisdictions", "adequate_countries"):
            countries: list[str] = getattr(self, name)
            yield from _duplicates(name, countries)
            for index, code in enumerate(countries):
                if pycountry.countries.get(alpha_2=code) is None:
                    yield f"{name}[{index}]", f"'{code}' is not an ISO 3166-1 alpha-2 code"
        for index, code in enumerate(self.adequate_countries):
            if code in self.jurisdictions:
                yield f"adequate_countries[{index}]", f"'{code}' is one of the pack's jurisdictions"

    def _flow_problems(self) -> Iterator[tuple[str, str]]:
        yield from _duplicates("flows", self.flows)
        for code, basis in self.bases.items():
            yield from _duplicates(f"bases.{code}.flows", basis.flows)
            yield from _duplicates(f"bases.{code}.kinds", basis.kinds)

    def _notice_problems(self) -> Iterator[tuple[str, str]]:
        keys = [item.key for item in self.notice_items]
        yield from _duplicates("notice_items", keys)
        for index, key in enumerate(self.required_notice_items):
            if key not in keys:
                yield f"required_notice_items[{index}]", f"'{key}' is not in notice_items"

    def _purpose_problems(self) -> Iterator[tuple[str, str]]:
        yield from _duplicates("pii_fields", self.pii_fields)
        for purpose_name, purpose in self.purposes.items():
            for table in ("fields", "after_confirmation"):
                mapping: dict[str, str] = getattr(purpose, table)
                for field, transform_name in mapping.items():
                    key = f"purposes.{purpose_name}.{table}.{field}"
                    if field not in self.pii_fields:
                        yield key, f"field '{field}' is not in pii_fields"
                    elif table == "after_confirmation" and field not in purpose.fields:
                        yield key, f"field '{field}' is not released for this purpose"
                    try:
                        transform = get_transform(transform_name)
                    except UnknownTransform as exc:
                        yield key, str(exc)
                        continue
                    if not transform.supports(field):
                        yield key, f"transform '{transform_name}' cannot be used for '{field}'"

    def _timing_problems(self) -> Iterator[tuple[str, str]]:
        if self.views.close_days_after_delivery > self.views.max_days:
            yield "views.close_days_after_delivery", "must not exceed views.max_days"
        deadlines = self.deadlines
        if deadlines.rights_request_alert_day >= deadlines.rights_request_days:
            yield (
                "deadlines.rights_request_alert_day",
                f"must be before the deadline (rights_request_days = "
                f"{deadlines.rights_request_days})",
            )

    def _notice_label_problems(self) -> Iterator[tuple[str, str]]:
        covered: list[tuple[str, dict[str, Label], list[str]]] = [
            ("field_labels", self.field_labels, self.pii_fields),
            ("flow_labels", self.flow_labels, self.flows),
            ("recipient_kind_labels", self.recipient_kind_labels, [k.value for k in RecipientKind]),
        ]
        for name, labels, keys in covered:
            for key in keys:
                if key not in labels:
                    yield name, f"no label for '{key}'"
            for key in labels:
                if key not in keys:
                    yield f"{name}.{key}", f"'{key}' is not one of {', '.join(keys)}"
        for transform_name in self.transform_labels:
            try:
                get_transform(transform_name)
            except UnknownTransform as exc:
                yield f"transform_labels.{transform_name}", str(exc)
        for purpose_name, purpose in self.purposes.items():
            for table in ("fields", "after_confirmation"):
                mapping: dict[str, str] = getattr(purpose, table)
                for field, transform_name in mapping.items():
                    if transform_name in (_AS_IS_TRANSFORM, _NOT_RELEASED_TRANSFORM):
                        continue
                    if transform_name not in self.transform_labels:
                        yield (
                            f"purposes.{purpose_name}.{table}.{field}",
                            f"transform '{transform_name}' has no entry in transform_labels",
                        )
        for code in self.country_names_ko:
            if pycountry.countries.get(alpha_2=code) is None:
                yield f"country_names_ko.{code}", f"'{code}' is not an ISO 3166-1 alpha-2 code"

    def _notice_text_problems(self) -> Iterator[tuple[str, str]]:
        labelled = (
            "notice_texts",
            "disclosure_texts",
            "field_labels",
            "transform_labels",
            "flow_labels",
            "recipient_kind_labels",
        )
        texts = [
            (f"{path}.{language}", text)
            for name in labelled
            for path, label in _labels(getattr(self, name), name)
            for language, text in label.root.items()
        ]
        texts += [
            (f"country_names_ko.{code}", name) for code, name in self.country_names_ko.items()
        ]
        for path, text in texts:
            term = find_group_term(text, self.group_names)
            if term is not None:
                yield path, f"'{term}' stands in for naming each country or recipient"
        required = {"retention": ("days",), "field_form": ("field", "form")}
        templates = [
            *_labels(self.notice_texts, "notice_texts"),
            *_labels(self.disclosure_texts, "disclosure_texts"),
        ]
        for path, label in templates:
            needed = required.get(path.rsplit(".", 1)[-1], ())
            for language, text in label.root.items():
                values = dict.fromkeys((*_TEXT_PLACEHOLDERS, *needed), "1")
                try:
                    text.format(**values)
                except (KeyError, IndexError, ValueError) as exc:
                    problem = f"not a valid template ({type(exc).__name__}: {exc})"
                    yield f"{path}.{language}", problem
                    continue
                for placeholder in needed:
                    if "{" + placeholder + "}" not in text:
                        yield f"{path}.{language}", f"must contain {{{placeholder}}}"


def _duplicates(path: str, values: list[str]) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield f"{path}[{index}]", f"'{value}' appears more than once"
        seen.add(value)
