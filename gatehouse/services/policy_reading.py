"""Reading the published privacy policy: a version, the one in force, its change log, its register.

Each version keeps its number for good: ``/privacy-policy/v/{n}`` and
``GET /v1/privacy-policy?version=n`` show exactly what it published, register included, after
any number of later versions. Without a number, the version in force now is shown, with the
announced one (if a material change is waiting out its notice period) beside it.

Every read here serves a page, so each may come from the read replica when one is configured
(``GATEHOUSE_READ_DATABASE_URL``): a newly published version shows there once the replica has
replayed it, which publishing's own answer does not wait for.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatehouse.domain.contact import normalise_country
from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.policy_document import VersionFacts, with_changes
from gatehouse.domain.policy_pages import with_page
from gatehouse.domain.privacy_policy import Change, PolicyDocument, check_policy
from gatehouse.domain.register_wording import RegisterWording
from gatehouse.services.overseas_register import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    RegisterEntry,
    clean_search,
    register_language,
)
from gatehouse.services.policy_entrustees import (
    EntrusteePage,
    EntrusteeQuery,
    check_query,
    entrustee_page,
    first_pages,
)
from gatehouse.services.policy_storage import load_document
from gatehouse.services.ports_policy import PolicyRegisterRow, RegisterSlice, StoredPolicy
from gatehouse.services.privacy_policy import name_key, policy_pack
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "PolicyRegisterPage",
    "PolicyRegisterQuery",
    "ShownPolicy",
    "VersionSummary",
    "policy_history",
    "policy_in_force",
    "policy_register_entries",
    "policy_register_page",
    "policy_url",
    "show_policy",
    "version_summary",
]

_DOWNLOAD_CHUNK = 1000


def policy_url(version: int) -> str:
    """The permanent address of a version's page."""
    return f"/privacy-policy/v/{version}"


@dataclass(frozen=True)
class VersionSummary:
    """A version's number, dates, hash and what changed from the one before."""

    version: int
    published_at: datetime
    effective_at: datetime
    content_hash: str
    material: bool
    register_count: int
    changes: tuple[Change, ...]

    @property
    def url(self) -> str:
        """The version's permanent page."""
        return policy_url(self.version)


@dataclass(frozen=True)
class ShownPolicy:
    """One version in one language, and where it stands among the others.

    The document's entrustee tables hold one page each; ``tables`` says, per section, how
    many rows the table has and where its next page starts.
    """

    document: PolicyDocument
    version: VersionSummary
    in_force: bool
    # The version in force now (None while the first is still announced).
    in_force_version: int | None
    # A version announced but not yet in force, when there is one after this.
    upcoming: VersionSummary | None
    tables: Mapping[str, EntrusteePage] = field(default_factory=dict)


def version_summary(stored: StoredPolicy) -> VersionSummary:
    """What the change log says of a stored version."""
    return VersionSummary(
        version=stored.version,
        published_at=stored.published_at,
        effective_at=stored.effective_at,
        content_hash=stored.content_hash,
        material=stored.material,
        register_count=stored.register_count,
        changes=tuple(Change(**c) for c in stored.changes),
    )


def _not_found(version: int | None) -> NotFound:
    if version is None:
        return NotFound("no privacy policy has been published yet", code="policy_not_published")
    return NotFound(f"privacy policy version {version} does not exist", code="policy_not_found")


def show_policy(
    gh: Gatehouse,
    *,
    version: int | None = None,
    locale: str | None = None,
    browse: EntrusteeQuery | None = None,
) -> ShownPolicy:
    """Version ``version`` (or the one in force now) in the language ``locale`` asks for.

    Each entrustee table shows its first page, or the page ``browse`` asks for in its table.
    """
    pack = policy_pack(gh)
    language = register_language(pack, locale)
    browse = None if browse is None else check_query(browse)
    now = gh.clock()
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        in_force = uow.policies.in_force(now, with_documents=False)
        latest = uow.policies.latest(with_documents=False)
        if version is None:
            shown = in_force or latest
            version = None if shown is None else shown.version
        # Without the documents column: load_document reads it only for a version stored whole.
        stored = None if version is None else uow.policies.get(version, with_documents=False)
        loaded = None if stored is None else load_document(uow, stored, language)
        if stored is None or loaded is None:
            raise _not_found(version)
        document, tables = first_pages(uow, loaded)
        facts = VersionFacts(
            stored.version, stored.published_at, stored.effective_at, stored.content_hash
        )
        # Checked with the first pages: a search that matches nothing leaves a table empty.
        check_policy(with_changes(pack, document, facts))
        if browse is not None:
            tables[browse.section] = entrustee_page(uow, loaded, browse)
            document = with_page(document, {k: t.table.rows for k, t in tables.items()})
    upcoming = None
    if latest is not None and latest.version > stored.version and latest.effective_at > now:
        upcoming = version_summary(latest)
    return ShownPolicy(
        document=with_changes(pack, document, facts),
        version=version_summary(stored),
        in_force=in_force is not None and in_force.version == stored.version,
        in_force_version=None if in_force is None else in_force.version,
        upcoming=upcoming,
        tables=tables,
    )


def policy_in_force(gh: Gatehouse) -> VersionSummary | None:
    """The version in force now, for links and consent records; None before the first."""
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        stored = uow.policies.in_force(gh.clock(), with_documents=False)
    return None if stored is None else version_summary(stored)


def policy_history(gh: Gatehouse) -> tuple[VersionSummary, ...]:
    """Every version, newest first: the change log."""
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        return tuple(version_summary(s) for s in uow.policies.history())


@dataclass(frozen=True)
class PolicyRegisterQuery:
    """Which part of a version's register to show; every field is checked."""

    version: int | None = None
    locale: str | None = None
    country: str | None = None
    search: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class PolicyRegisterPage:
    """One page of a version's register, how many match, and the next page's cursor."""

    version: int
    language: str
    entries: tuple[RegisterEntry, ...]
    matched: int
    next_cursor: str | None


def _encode_cursor(row: PolicyRegisterRow) -> str:
    raw = json.dumps([row.country, row.name_key, row.recipient_id], ensure_ascii=False)
    return "p." + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[str, str, str] | None:
    if cursor is None:
        return None
    bad = InvalidInput("cursor is not one this endpoint returned", code="invalid_cursor")
    if not cursor.startswith("p.") or len(cursor) > 600:
        raise bad
    body = cursor[2:]
    try:
        value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):
        raise bad from None
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        raise bad
    return value[0], value[1], value[2]


def _entry(wording: RegisterWording, row: dict[str, Any]) -> RegisterEntry:
    pack = wording.pack
    purposes = tuple(p for p in row.get("purposes") or () if p in pack.purposes)
    country = row.get("country")
    return RegisterEntry(
        recipient_id=str(row["id"]),
        legal_name=row.get("legal_name"),
        kind=str(row["kind"]),
        kind_label=wording.kind(str(row["kind"])),
        country=country,
        country_name=country and pack.country_name(country, wording.language),
        contact_phone=row.get("contact_phone"),
        contact_email=row.get("contact_email"),
        officer_name=row.get("officer_name"),
        officer_email=row.get("officer_email"),
        officer_phone=row.get("officer_phone"),
        items=wording.items(purposes),
        purposes=wording.purposes(purposes),
        flows=wording.flows(str(row["kind"])),
        timing=wording.timing,
        method=wording.method,
        retention=wording.retention(row.get("retention_days")),
        refusal=wording.refusal(str(row["kind"])),
        status=None,
        received=bool(row.get("received")),
        transfers=None,
    )


@dataclass(frozen=True)
class _Checked:
    version: int
    wording: RegisterWording
    where: RegisterSlice


def _check(gh: Gatehouse, query: PolicyRegisterQuery) -> _Checked:
    pack = policy_pack(gh)
    language = register_language(pack, query.locale)
    search = clean_search(query.search)
    country = normalise_country(query.country) if query.country else None
    after = _decode_cursor(query.cursor)
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        if query.version is None:
            stored = uow.policies.in_force(gh.clock(), with_documents=False) or uow.policies.latest(
                with_documents=False
            )
        else:
            # The register's rows are its own; the documents (every recipient's row in each
            # language, megabytes at 180,000 recipients) are not read for a page of it.
            stored = uow.policies.get(query.version, with_documents=False)
    if stored is None:
        raise _not_found(query.version)
    where = RegisterSlice(
        version=stored.version,
        country=country,
        search=name_key(search) if search else None,
        after=after,
    )
    return _Checked(stored.version, RegisterWording(pack, language), where)


def policy_register_page(gh: Gatehouse, query: PolicyRegisterQuery) -> PolicyRegisterPage:
    """One page of a version's register, by country then name, with a stable cursor."""
    if not 1 <= query.limit <= MAX_PAGE_SIZE:
        raise InvalidInput(
            f"a page holds 1 to {MAX_PAGE_SIZE} recipients",
            code="invalid_limit",
            details={"max": MAX_PAGE_SIZE},
        )
    checked = _check(gh, query)
    with gh.unit_of_work(read_only=True, snapshot=True, may_lag=True) as uow:
        rows = uow.policies.register_page(checked.where, query.limit + 1)
        matched = uow.policies.register_count(checked.where)
    page = rows[: query.limit]
    return PolicyRegisterPage(
        version=checked.version,
        language=checked.wording.language,
        entries=tuple(_entry(checked.wording, r.row) for r in page),
        matched=matched,
        next_cursor=_encode_cursor(page[-1]) if len(rows) > query.limit and page else None,
    )


def policy_register_entries(gh: Gatehouse, query: PolicyRegisterQuery) -> Iterator[RegisterEntry]:
    """Every entry of the version's register from the cursor on, for downloads.

    The parameters are checked before the first entry is asked for.
    """
    checked = _check(gh, query)

    def chunks() -> Iterator[RegisterEntry]:
        where = checked.where
        while True:
            with gh.unit_of_work(read_only=True, may_lag=True) as uow:
                rows = uow.policies.register_page(where, _DOWNLOAD_CHUNK)
            for row in rows:
                yield _entry(checked.wording, row.row)
            if len(rows) < _DOWNLOAD_CHUNK:
                return
            last = rows[-1]
            where = RegisterSlice(
                where.version,
                where.country,
                where.search,
                (last.country, last.name_key, last.recipient_id),
            )

    return chunks()
