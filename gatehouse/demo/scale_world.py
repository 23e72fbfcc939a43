"""The scale run's registry: the operator, the terms, and recipients in 40 countries.

Recipients are registered through the recipients use case, a batch per transaction, so each
has its hashed API key and wrapped webhook secret as an operator's registration leaves them.
Most accept the current terms; some never do and a few are suspended, as on a real platform.
Each seller that can receive data gets the checkout notice naming it, rendered and stored as
the notices use case stores one, so the customers' consents can point at it.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import phonenumbers
from sqlalchemy import Row, select, update

from gatehouse.demo.marketplace import DEMO_TERMS
from gatehouse.demo.operator import demo_operator_profile
from gatehouse.demo.scale_bulk import BulkRows, write_rows
from gatehouse.domain.notices import render_notice
from gatehouse.domain.recipients import PrivacyOfficer, Recipient
from gatehouse.services import operator_profile as profile_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services import terms as terms_service
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.generations import REGISTRY, bump
from gatehouse.store.tables import notices, recipients, terms_acceptances, terms_versions

if TYPE_CHECKING:
    from gatehouse.demo.scale import Scale

__all__ = [
    "COUNTRIES",
    "PURPOSE",
    "FLOW",
    "TERMS_VERSION",
    "Standing",
    "WorldRecipient",
    "build_world",
    "load_world",
]

# Forty countries, weighted: most sellers are in China, with a long tail elsewhere.
COUNTRIES: tuple[tuple[str, int], ...] = (
    ("CN", 400), ("HK", 50), ("TW", 25), ("SG", 30), ("JP", 30), ("US", 40), ("VN", 25),
    ("TH", 15), ("ID", 15), ("MY", 15), ("PH", 8), ("IN", 15), ("TR", 8), ("DE", 15),
    ("FR", 8), ("GB", 15), ("IT", 8), ("ES", 8), ("NL", 8), ("AU", 8), ("CA", 8), ("MX", 5),
    ("BR", 5), ("AE", 5), ("SA", 3), ("PL", 4), ("SE", 3), ("CH", 3), ("BE", 3), ("AT", 3),
    ("IE", 3), ("NZ", 3), ("IL", 3), ("CZ", 3), ("PT", 3), ("DK", 2), ("FI", 2), ("NO", 2),
    ("CL", 2), ("KZ", 2),
)  # fmt: skip
PURPOSE = "fulfilment"
FLOW = "provision"
TERMS_VERSION = "2026-01"
_BATCH = 1000
_WORDS = ("Golden", "Harbor", "Lotus", "Summit", "Bright", "Pacific", "Jade", "Swift", "Orion")
_TRADES = ("Trading", "Commerce", "Supply", "Goods", "Retail", "Export")
_NAME_DIGITS = 6
_NOTICE_COLUMNS = (
    "hash", "kind", "locale", "purpose", "flow", "pack_id", "pack_version", "recipients",
    "countries", "body", "text", "created_at", "content_digest", "required",
)  # fmt: skip


class Standing:
    """How a recipient stands: able to receive, never accepted the terms, or suspended."""

    ACTIVE = "active"
    NO_TERMS = "no_terms"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class WorldRecipient:
    """What the generator needs of a registered recipient."""

    index: int
    id: str
    kind: str
    country: str
    standing: str
    notice_hash: str | None


def _plan(index: int, seed: int, countries: int) -> tuple[str, str, str]:
    """The ``index``-th recipient's kind, country and standing, from its own random stream."""
    rnd = random.Random(seed * 1_000_003 + index)
    roll, country_roll, standing_roll = rnd.random(), rnd.random(), rnd.random()
    kind = "seller" if roll < 0.94 else "logistics" if roll < 0.98 else "storage"
    # Every country has recipients, then the weights decide.
    codes, weights = _countries(countries)
    if index < len(codes):
        country = codes[index]
    else:
        country = codes[bisect.bisect(weights, country_roll * weights[-1])]
    standing = (
        Standing.NO_TERMS
        if standing_roll < 0.05
        else Standing.SUSPENDED
        if standing_roll < 0.055
        else Standing.ACTIVE
    )
    return kind, country, standing


@cache
def _countries(count: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The first ``count`` countries and their cumulative weights."""
    chosen = COUNTRIES[:count]
    return tuple(c for c, _ in chosen), tuple(itertools.accumulate(float(w) for _, w in chosen))


@cache
def _example_mobile(region: str) -> tuple[int, str]:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        example = phonenumbers.example_number(region)
    assert example is not None
    return int(example.country_code or 0), str(example.national_number)


def _mobile(region: str, rnd: random.Random) -> str:
    code, national = _example_mobile(region)
    for _ in range(20):
        tail = f"{rnd.randrange(10_000):04d}"
        candidate = phonenumbers.parse(f"+{code}{national[:-4]}{tail}")
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return f"+{code}{national}"


def _input(index: int, seed: int, countries: int) -> recipient_service.RecipientInput:
    kind, country, _ = _plan(index, seed, countries)
    rnd = random.Random(seed * 7_919 + index)
    slug = f"{kind[:3]}{index:0{_NAME_DIGITS}d}"
    domain = f"{slug}.example.{country.lower()}"
    trade = "Logistics" if kind == "logistics" else "Warehousing" if kind == "storage" else None
    name = f"{rnd.choice(_WORDS)} {rnd.choice(_WORDS)} {trade or rnd.choice(_TRADES)}"
    return recipient_service.RecipientInput(
        kind=kind,
        # The number ends the name, so a rerun finds which recipient is which.
        legal_name=f"{name} {index:0{_NAME_DIGITS}d}",
        country=country,
        contact_phone=_mobile(country, rnd),
        contact_email=f"ops@{domain}",
        privacy_officer=PrivacyOfficer(
            name=f"Officer {index}", email=f"privacy@{domain}", phone=_mobile(country, rnd)
        ),
        purposes=["fulfilment"] if kind == "seller" else ["fulfilment", "customer_service"],
        retention_days=rnd.choice([30, 60, 90]),
    )


def _notice_rows(
    gh: Gatehouse, rows: BulkRows, sellers: Sequence[Recipient], known: set[str], at: datetime
) -> None:
    """Queue each seller's checkout notice as the notices use case stores it, unless stored."""
    pack = gh.packs.by_id(gh.packs.ids()[0])
    for seller in sellers:
        notice = render_notice(
            pack, purpose=PURPOSE, flow=FLOW, recipients=[seller], locale=pack.required_language
        )
        if notice.hash in known:
            continue
        known.add(notice.hash)
        rows.add(
            notices,
            _NOTICE_COLUMNS,
            (
                notice.hash,
                notice.kind,
                notice.locale,
                notice.purpose,
                notice.flow,
                notice.pack_id,
                notice.pack_version,
                {e.recipient_id: e.fingerprint for e in notice.recipients},
                list(notice.countries),
                notice.body(),
                notice.text,
                at,
                notice.content_digest,
                notice.required,
            ),
        )


def _standing(index: int, seed: int) -> str:
    return _plan(index, seed, len(COUNTRIES))[2]


def _settle(
    gh: Gatehouse, batch: Sequence[tuple[int, Recipient]], seed: int, *, again: bool
) -> None:
    """Terms acceptance, suspension and notices of one registered batch; ``again`` for a
    batch a previous run may have settled already.

    What ``accept_terms`` records per recipient (the acceptance row and the pointer) is
    written for the batch at once, with one registry generation bump.
    """
    now = gh.clock()
    ids = [recipient.id for _, recipient in batch]
    with gh.engine.begin() as c:
        accepted: set[str] = set()
        known: set[str] = set()
        if again:
            accepted = set(
                c.execute(
                    select(recipients.c.id).where(
                        recipients.c.id.in_(ids), recipients.c.accepted_terms_version.is_not(None)
                    )
                ).scalars()
            )
            known = set(c.execute(select(notices.c.hash)).scalars())
        accepting = [
            r.id
            for i, r in batch
            if _standing(i, seed) != Standing.NO_TERMS and r.id not in accepted
        ]
        rows = BulkRows()
        for recipient_id in accepting:
            rows.add(
                terms_acceptances,
                ("recipient_id", "version", "accepted_at"),
                (recipient_id, TERMS_VERSION, now),
            )
        sellers = [
            r for i, r in batch if r.kind.value == "seller" and _standing(i, seed) == "active"
        ]
        _notice_rows(gh, rows, sellers, known, now)
        write_rows(c, rows)
        if accepting:
            c.execute(
                update(recipients)
                .where(recipients.c.id.in_(accepting))
                .values(accepted_terms_version=TERMS_VERSION, updated_at=now)
            )
            bump(c, REGISTRY)
    for index, recipient in batch:
        if _standing(index, seed) == Standing.SUSPENDED and recipient.status.value != "suspended":
            recipient_service.suspend_recipient(gh, recipient.id, "complaints under review")


def build_world(gh: Gatehouse, scale: Scale, at: datetime, progress: Callable[[int], None]) -> None:
    """Register the scale's recipients (continuing after those already registered) at ``at``."""
    count, seed = scale.recipients, scale.seed
    gh = replace(gh, clock=lambda: at)
    with gh.engine.connect() as c:
        has_terms = c.execute(select(terms_versions.c.version)).first() is not None
        done = sorted(_registered(c.execute(select(recipients.c.id, recipients.c.legal_name))))
    if not has_terms:
        profile_service.set_profile(gh, demo_operator_profile())
        terms_service.publish_terms(gh, TERMS_VERSION, DEMO_TERMS)
    if done:
        # The last batch a previous run registered, which it may not have settled.
        last = done[len(done) - (len(done) % _BATCH or _BATCH) :]
        with gh.unit_of_work(read_only=True) as uow:
            found = [(i, uow.recipients.get(rid)) for i, rid in last]
        _settle(gh, [(i, r) for i, r in found if r is not None], seed, again=True)
    progress(len(done))
    for low in range(len(done), count, _BATCH):
        indexes = range(low, min(low + _BATCH, count))
        made = recipient_service.register_recipients(
            gh, [_input(i, seed, scale.countries) for i in indexes]
        )
        settled = [(i, m.standing.recipient) for i, m in zip(indexes, made, strict=True)]
        _settle(gh, settled, seed, again=False)
        progress(len(indexes))


def _registered(rows: Iterable[Row[Any]]) -> list[tuple[int, str]]:
    """(index, id) of each registered recipient: the index ends its legal name."""
    return [(int(row.legal_name[-_NAME_DIGITS:]), row.id) for row in rows]


def load_world(gh: Gatehouse, scale: Scale) -> list[WorldRecipient]:
    """Every registered recipient in index order, with the notice naming it, if any."""
    with gh.engine.connect() as c:
        rows = c.execute(
            select(
                recipients.c.id, recipients.c.legal_name, recipients.c.kind, recipients.c.country
            )
        ).all()
        named: dict[str, str] = {}
        for row in c.execute(
            select(notices.c.hash, notices.c.recipients).where(
                notices.c.kind == "consent", notices.c.purpose == PURPOSE
            )
        ):
            for recipient_id in row.recipients:
                named[recipient_id] = row.hash
    world = [
        WorldRecipient(
            index=int(row.legal_name[-_NAME_DIGITS:]),
            id=row.id,
            kind=row.kind,
            country=row.country,
            standing=_standing(int(row.legal_name[-_NAME_DIGITS:]), scale.seed),
            notice_hash=named.get(row.id),
        )
        for row in rows
    ]
    return sorted(world, key=lambda r: r.index)
