"""Building the privacy policy in one language from the pack, the register and the profile.

Every word comes from the rule pack's ``privacy_policy`` section and its notice wording; every
fact comes from the operator profile or the recipient register. The builder never checks: it
states what it was given, and :func:`gatehouse.domain.privacy_policy.check_policy` decides
whether that is complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gatehouse.domain.contact import format_international
from gatehouse.domain.operator_profile import AgentRequirement, DomesticAgent, OperatorProfile
from gatehouse.domain.policy import Label, RulePack
from gatehouse.domain.policy.policy_texts import REQUIRED_SECTIONS, PolicyTexts
from gatehouse.domain.policy_facts import (
    NamedRecipient,
    PolicyFacts,
    RegisterSummary,
    VersionFacts,
)
from gatehouse.domain.privacy_policy import (
    CHANGES_SECTION,
    Fact,
    PolicyDocument,
    PolicyIncomplete,
    Section,
    Table,
)
from gatehouse.domain.register_wording import RegisterWording

__all__ = [
    "NamedRecipient",
    "PolicyFacts",
    "RegisterSummary",
    "VersionFacts",
    "build_policy",
    "with_changes",
]

# The basis an entrustee rests on once a disclosure names it, and the one every listed
# recipient can rest on.
_DISCLOSURE_BASIS = "CONTRACT_ENTRUST_STORE"
_CONSENT_BASIS = "SEPARATE_CONSENT"


def _phone(e164: str | None) -> str:
    return format_international(e164) if e164 else ""


def _joined(*parts: str | None) -> str:
    return ", ".join(p for p in parts if p)


class _Builder:
    """The policy's words in one language."""

    def __init__(self, pack: RulePack, texts: PolicyTexts, language: str) -> None:
        self.pack = pack
        self.texts = texts
        self.language = language
        self.wording = RegisterWording(pack, language)

    def text(self, label: Label | None) -> str:
        return "" if label is None else self.wording.text(label)

    def label(self, key: str, **values: object) -> str:
        return self.text(self.texts.labels[key]).format(**values)

    def fact(self, key: str, value: str | None, label: str | None = None) -> Fact:
        return Fact(key, self.label(label or key), value or "")

    def table(self, key: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> Table:
        # The first column is the row's key and is not shown, so it has no label.
        labels = ("",) + tuple(self.label(c) for c in columns[1:])
        return Table(key, columns, labels, tuple(rows))

    def section(
        self,
        key: str,
        *,
        facts: tuple[Fact, ...] = (),
        tables: tuple[Table, ...] = (),
        extra: tuple[str, ...] = (),
        **values: object,
    ) -> Section:
        spec = self.texts.sections[key]
        paragraphs = tuple(self.text(t).format(**values) for t in spec.texts) + extra
        return Section(
            key, self.text(spec.heading), self.text(spec.article) or None, paragraphs, facts, tables
        )

    def country(self, code: str) -> str:
        return self.pack.country_name(code, self.language) or code

    def date(self, moment: datetime) -> str:
        return moment.date().isoformat()


def _controller(b: _Builder, profile: OperatorProfile) -> Section:
    return b.section(
        "controller",
        facts=(
            b.fact("legal_name", profile.legal_name),
            b.fact("address", profile.address),
            b.fact("representative", profile.representative),
        ),
    )


def _purposes(b: _Builder) -> tuple[Section, Section, Section]:
    processing = b.texts.processing
    purpose_rows, item_rows, retention_rows = [], [], []
    for key, p in processing.items():
        items = [b.text(b.pack.field_labels[f]) for f in p.fields]
        items += [b.text(other) for other in p.other_items]
        purpose_rows.append((key, b.text(p.label)))
        item_rows.append((key, b.text(p.label), ", ".join(items)))
        retention_rows.append((key, b.text(p.label), b.wording.template(p.retention)))
    return (
        b.section("purposes", tables=(b.table("purposes", ("key", "purpose"), purpose_rows),)),
        b.section("items", tables=(b.table("items", ("key", "purpose", "items"), item_rows),)),
        b.section(
            "retention",
            tables=(b.table("retention", ("key", "purpose", "retention"), retention_rows),),
        ),
    )


def _holds(b: _Builder) -> Table:
    rows = []
    for key, hold in b.pack.retention_holds.items():
        fields = [
            b.text(b.pack.field_labels.get(f) or b.texts.record_labels[f]) for f in hold.fields
        ]
        rows.append(
            (
                key,
                b.text(hold.label),
                hold.statute,
                ", ".join(fields),
                b.label("months", months=hold.months),
            )
        )
    return b.table("holds", ("key", "hold", "statute", "hold_items", "period"), rows)


def _entrustment(b: _Builder, named: tuple[NamedRecipient, ...]) -> Section:
    rows = [
        (
            r.id,
            r.legal_name,
            b.country(r.country),
            _joined(*b.wording.flows(r.kind), *b.wording.purposes(r.purposes)),
        )
        for r in named
    ]
    extra = () if rows else (b.text(b.texts.none),)
    return b.section(
        "entrustment",
        extra=extra,
        tables=(b.table("entrustees", ("key", "entrustee", "country", "task"), rows),),
    )


def _bases(b: _Builder, facts: PolicyFacts, abroad: list[NamedRecipient]) -> str:
    codes = [_CONSENT_BASIS] if facts.register.recipients else []
    if any(r.disclosed for r in abroad):
        codes.append(_DISCLOSURE_BASIS)
    parts = []
    for code in codes:
        basis = b.pack.bases.get(code)
        if basis is not None:
            parts.append(f"{b.text(basis.citation)}: {b.text(basis.label)}")
    # Nothing goes abroad: the section says so rather than citing a basis for nothing.
    return " / ".join(parts) or b.text(b.texts.none)


def _overseas(b: _Builder, facts: PolicyFacts) -> Section:
    home = set(b.pack.jurisdictions)
    abroad = [r for r in facts.named if r.country not in home]
    w = b.wording
    register = facts.register
    consent = b.pack.notice_texts.required
    disclosure = b.pack.disclosure_texts
    rows = [
        (
            r.id,
            r.legal_name,
            b.country(r.country),
            _joined(r.contact_email, _phone(r.contact_phone)),
            _joined(r.officer_name, r.officer_email, _phone(r.officer_phone)),
            ", ".join(w.items(r.purposes)),
            _joined(*w.purposes(r.purposes)),
            w.retention(r.retention_days) or "",
            b.text(b.pack.bases[_DISCLOSURE_BASIS].citation)
            if r.disclosed
            else b.text(b.pack.bases[_CONSENT_BASIS].citation),
        )
        for r in abroad
    ]
    countries = [
        (code, b.country(code), str(listed), str(got)) for code, listed, got in register.countries
    ]
    return b.section(
        "overseas_transfer",
        facts=(
            b.fact("legal_basis", _bases(b, facts, abroad)),
            b.fact("timing", w.timing),
            b.fact("method", w.method),
            b.fact("refusal_consent", w.consent_refusal),
            b.fact(
                "refusal_disclosure",
                _joined_text(w.text(disclosure.refusal_method), w.disclosure_refusal),
            ),
            b.fact(
                "refusal_effect",
                _joined_text(w.text(consent.refusal_effect), w.text(disclosure.refusal_effect)),
            ),
            b.fact(
                "register",
                b.label(
                    "register_value",
                    count=register.recipients,
                    countries=len(register.countries),
                    since=b.date(register.since),
                    until=b.date(register.until),
                ),
            ),
        ),
        tables=(
            b.table(
                "entrustees",
                (
                    "key",
                    "entrustee",
                    "country",
                    "contact",
                    "officer_contact",
                    "items",
                    "purpose",
                    "retention",
                    "legal_basis",
                ),
                rows,
            ),
            b.table("countries", ("key", "country", "recipients", "received"), countries),
        ),
    )


def _joined_text(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _rights(b: _Builder, profile: OperatorProfile) -> Section:
    rows = [
        (
            f"{c.kind.value}-{i}",
            b.label(c.kind.value),
            _phone(c.value) if c.kind.value == "phone" else c.value,
        )
        for i, c in enumerate(profile.rights_channels, start=1)
    ]
    return b.section(
        "rights",
        tables=(b.table("channels", ("key", "channel", "contact"), rows),),
        days=b.pack.deadlines.rights_request_days,
    )


def _officer(b: _Builder, profile: OperatorProfile) -> Section:
    o = profile.privacy_officer
    return b.section(
        "privacy_officer",
        facts=(
            b.fact("name", o.name),
            b.fact("title", o.title),
            b.fact("department", o.department),
            b.fact("phone", _phone(o.phone)),
            b.fact("email", o.email),
        ),
    )


def _agent(b: _Builder, profile: OperatorProfile, agent: AgentRequirement) -> Section:
    a = profile.domestic_agent
    if a is None and not agent.required:
        spec = b.texts.sections["domestic_agent"]
        return Section(
            "domestic_agent",
            b.text(spec.heading),
            b.text(spec.article) or None,
            (b.text(spec.not_required),),
        )
    a = a or DomesticAgent()
    return b.section(
        "domestic_agent",
        facts=(
            b.fact("name", a.name),
            b.fact("address", a.address),
            b.fact("phone", _phone(a.phone)),
            b.fact("email", a.email),
        ),
    )


def _remedies(b: _Builder) -> Section:
    rows = [
        (str(i), b.text(r.name), r.phone, r.url) for i, r in enumerate(b.pack.remedies, start=1)
    ]
    return b.section(
        "remedies", tables=(b.table("remedies", ("key", "body", "phone", "website"), rows),)
    )


def build_policy(pack: RulePack, facts: PolicyFacts, language: str) -> PolicyDocument:
    """The policy's content in ``language``, without the version's changes section."""
    texts = pack.privacy_policy
    if texts is None:
        raise PolicyIncomplete("privacy_policy")
    b = _Builder(pack, texts, language)
    profile = facts.profile
    purposes, items, retention = _purposes(b)
    abroad_sellers = b.fact(
        "provision_abroad", b.label("provision_abroad_value", count=facts.register.consent_only)
    )
    sections = {
        "controller": _controller(b, profile),
        "purposes": purposes,
        "items": items,
        "retention": retention,
        "third_party_provision": b.section("third_party_provision", facts=(abroad_sellers,)),
        "entrustment": _entrustment(b, facts.named),
        "overseas_transfer": _overseas(b, facts),
        "destruction": b.section("destruction", tables=(_holds(b),)),
        "sensitive_data": b.section("sensitive_data"),
        "pseudonymised_data": b.section("pseudonymised_data"),
        "rights": _rights(b, profile),
        "safety_measures": b.section("safety_measures"),
        "automatic_collection": b.section("automatic_collection"),
        "privacy_officer": _officer(b, profile),
        "domestic_agent": _agent(b, profile, facts.agent),
        "remedies": _remedies(b),
    }
    return PolicyDocument(
        language=language,
        title=b.text(texts.title),
        preamble=b.text(texts.preamble).format(operator=profile.legal_name),
        sections=tuple(sections[k] for k in REQUIRED_SECTIONS if k in sections),
        agent_required=facts.agent.required,
    )


def with_changes(pack: RulePack, document: PolicyDocument, version: VersionFacts) -> PolicyDocument:
    """``document`` with the changes section of ``version`` added at the end."""
    texts = pack.privacy_policy
    if texts is None:
        raise PolicyIncomplete("privacy_policy")
    b = _Builder(pack, texts, document.language)
    changes = b.section(
        CHANGES_SECTION,
        days=texts.notice_days,
        facts=(
            b.fact("version", str(version.version)),
            b.fact("effective", b.date(version.effective_at)),
            b.fact("published", b.date(version.published_at)),
            b.fact("content_hash", version.content_hash),
        ),
    )
    return PolicyDocument(
        document.language,
        document.title,
        document.preamble,
        document.sections + (changes,),
        document.agent_required,
    )
