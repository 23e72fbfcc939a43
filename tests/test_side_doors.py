"""No side doors, over HTTP on each database: a seller abroad gets a buyer's data only with the
buyer's separate consent, whatever basis is claimed; the lawful non-consent paths still work
for the recipients they are meant for.

The Gatehouse here loads the KR-PIPA pack plus a provision and a purpose that this test
declares itself. The provision is fictitious: it stands for a reviewed statute in a real pack.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatehouse.config import Settings
from gatehouse.rules import PACKS_DIR
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.vault import MasterKey
from tests.conftest import Clock, LiveServer, fresh_backend
from tests.support.factories import TERMS_CLAUSES, recipient_body, subject_body, unique
from tests.support.server import api_client

TEST_PROVISION = """
[law_provisions.test_import_declaration]
citation = { ko = "「시험용 관세법」 제1조", en = "Test Customs Act Art. 1" }
text.ko = "이 시험이 선언한 가상의 규정으로, 실제 법령이 아니다."
text.en = "A fictitious provision this test declares; not real law."
recipient_kinds = ["logistics"]
flows = ["provision"]
purposes = ["customs_clearance"]
fields = ["name", "address", "customs_code"]
reviewed = "test fixture"

[purposes.customs_clearance]
label = { ko = "수입신고 대행", en = "Filing the import declaration" }
consent_required = true

[purposes.customs_clearance.fields]
name = "plain"
address = "plain"
customs_code = "customs_only"
"""

ISMS_P = {
    "scheme": "ISMS-P",
    "id": "ISMS-P-KISA-2025-017",
    "issuer": "KISA",
    "issued_on": "2025-06-01",
    "expires_on": "2028-05-31",
    "covers": ["entrustment", "storage"],
    "safety_and_rights_measures": "Access control, encryption at rest, rights answered in 10 days.",
    "implementation_measures": "Singapore site audited yearly against the certified scope.",
}


@dataclass
class World:
    gh: Gatehouse
    api: httpx.Client
    url: str
    terms: str
    clock: Clock
    database_url: str
    master_key: MasterKey
    clients: list[httpx.Client] = field(default_factory=list)

    def recipient(self, **overrides: Any) -> tuple[str, httpx.Client]:
        body = recipient_body(**overrides)
        created = self.api.post("/v1/recipients", json=body)
        assert created.status_code == 201, created.text
        data = created.json()
        client = api_client(self.url, data["api_key"])
        self.clients.append(client)
        accepted = client.post(f"/v1/recipient/terms/{self.terms}/accept")
        assert accepted.status_code == 200, accepted.text
        return str(data["id"]), client

    def subject(self) -> str:
        response = self.api.post("/v1/subjects", json=subject_body())
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def order(self, subject_id: str, recipient_id: str, *, customs: bool = True) -> str:
        response = self.api.post(
            "/v1/orders",
            json={
                "subject_id": subject_id,
                "recipient_id": recipient_id,
                "external_ref": f"ORD-{unique()}",
                "items": [{"sku": "BAG-1", "name": "가방", "quantity": 1}],
                "delivery_note": "경비실에 맡겨 주세요",
                "customs_required": customs,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def transfer(self, order_id: str, **body: Any) -> httpx.Response:
        return self.api.post(f"/v1/orders/{order_id}/transfers", json=body)

    def notice(self, subject_id: str, recipient_id: str, **params: str) -> dict[str, Any]:
        query = {"subject_id": subject_id, "recipient_id": recipient_id, "purpose": "fulfilment"}
        response = self.api.get("/v1/notices/render", params={**query, **params})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def consent(self, subject_id: str, notice_hash: str, granted: bool = True) -> None:
        response = self.api.post(
            f"/v1/subjects/{subject_id}/consents",
            json={"notice_hash": notice_hash, "granted": granted, "channel": "web"},
        )
        assert response.status_code == 201, response.text

    def entries(self, subject_id: str) -> list[dict[str, Any]]:
        response = self.api.get("/v1/ledger/entries", params={"subject_id": subject_id})
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


def _rules_dir(tmp: Path, extra: str) -> Path:
    folder = tmp / "rules"
    folder.mkdir()
    text = (PACKS_DIR / "kr-pipa.toml").read_text(encoding="utf-8")
    (folder / "kr-pipa.toml").write_text(text + extra, encoding="utf-8")
    return folder


def _open(url: str, key: MasterKey, rules: Path, clock: Clock) -> Gatehouse:
    env = {
        "GATEHOUSE_DATABASE_URL": url,
        "GATEHOUSE_MASTER_KEY": key.to_b64(),
        "GATEHOUSE_RULES_DIR": str(rules),
    }
    return open_gatehouse(Settings.from_env(env), clock=clock)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    for backend in fresh_backend(request.param, tmp_path_factory):
        key, clock = MasterKey.generate(), Clock()
        rules = _rules_dir(tmp_path_factory.mktemp("pack"), TEST_PROVISION)
        gh = _open(backend.url, key, rules, clock)
        operator = issue_operator_key(gh, clock(), label="side doors")
        with (
            LiveServer(gh) as server,
            api_client(server.url, operator) as api,
        ):
            terms = f"t{unique()}"
            published = api.post("/v1/terms", json={"version": terms, "clauses": TERMS_CLAUSES})
            assert published.status_code == 201, published.text
            made = World(gh, api, server.url, terms, clock, backend.url, key)
            yield made
            for client in made.clients:
                client.close()
        gh.close()


def _refused(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 403, response.text
    error = dict(response.json()["error"])
    assert error["code"] == code
    return error


def _nothing_released(world: World, seller: httpx.Client, subject_id: str) -> None:
    """The seller sees no open view, and the ledger holds refusals only for this subject."""
    views = seller.get("/v1/recipient/transfers", params={"status": "open"})
    assert views.status_code == 200 and views.json()["items"] == []
    kinds = {e["kind"] for e in world.entries(subject_id) if e["kind"].startswith("transfer.")}
    assert kinds == {"transfer.refused"}


def test_a_claimed_statute_opens_nothing_for_a_seller(world: World) -> None:
    seller_id, seller = world.recipient(kind="seller")
    subject_id = world.subject()
    order_id = world.order(subject_id, seller_id)
    for claim in ("Customs Act Art. 241", "관세법 제241조", "test_import_declaration"):
        error = _refused(
            world.transfer(order_id, purpose="fulfilment", flow="provision", legal_provision=claim),
            "no_lawful_basis",
        )
        # The refusal says what would make it lawful: the buyer's own consent.
        assert "separate consent" in error["message"]
        assert "independent controller" in error["message"]
    _nothing_released(world, seller, subject_id)
    # The caller's free text is never written to the ledger.
    assert all(
        "Customs Act" not in str(e["payload"]) and "관세법" not in str(e["payload"])
        for e in world.entries(subject_id)
    )


def test_any_certification_opens_nothing_for_a_seller(world: World) -> None:
    certifications = [
        {**ISMS_P, "covers": ["provision", "entrustment", "storage", "inquiry"]},
        {**ISMS_P, "scheme": "Global Privacy Seal", "issuer": "Anyone"},
    ]
    seller_id, seller = world.recipient(kind="seller", certifications=certifications)
    subject_id = world.subject()
    error = _refused(
        world.transfer(world.order(subject_id, seller_id), purpose="fulfilment", flow="provision"),
        "no_lawful_basis",
    )
    assert "RECIPIENT_CERTIFIED" not in error["details"]["bases_tried"]
    assert "consent" in error["message"]
    _nothing_released(world, seller, subject_id)


def test_a_seller_is_never_an_entrustee_or_storage_provider(world: World) -> None:
    seller_id, seller = world.recipient(kind="seller")
    published = world.api.post(
        "/v1/disclosures",
        json={"recipient_ids": [seller_id], "purpose": "fulfilment", "flow": "entrustment"},
    )
    assert published.status_code == 422
    assert published.json()["error"]["code"] == "flow_not_permitted"
    subject_id = world.subject()
    order_id = world.order(subject_id, seller_id)
    for flow in ("entrustment", "storage"):
        error = _refused(
            world.transfer(order_id, purpose="fulfilment", flow=flow), "flow_not_permitted"
        )
        assert "provision" in error["message"] and "consent" in error["message"]
        assert error["details"]["permitted_flows"] == ["provision"]
    _nothing_released(world, seller, subject_id)


def test_consent_still_opens_a_sellers_provision(world: World) -> None:
    seller_id, seller = world.recipient(kind="seller")
    subject_id = world.subject()
    notice = world.notice(subject_id, seller_id)
    world.consent(subject_id, notice["notice_hash"])
    allowed = world.transfer(
        world.order(subject_id, seller_id), purpose="fulfilment", flow="provision"
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["basis"] == "SEPARATE_CONSENT"
    view = seller.get(f"/v1/recipient/transfers/{allowed.json()['transfer_id']}")
    assert view.status_code == 200


def test_a_listed_provision_opens_a_customs_brokers_declaration(world: World) -> None:
    broker_id, broker = world.recipient(
        kind="logistics",
        legal_name=f"Pacific Customs Brokers Pte. Ltd. {unique()}",
        purposes=["customs_clearance"],
        country="SG",
    )
    subject_id = world.subject()
    order_id = world.order(subject_id, broker_id)
    unlisted = world.transfer(
        order_id, purpose="customs_clearance", flow="provision", legal_provision="Customs Act"
    )
    error = _refused(unlisted, "no_lawful_basis")
    assert "test_import_declaration" in error["message"]  # names what could be cited
    allowed = world.transfer(
        order_id,
        purpose="customs_clearance",
        flow="provision",
        legal_provision="test_import_declaration",
    )
    assert allowed.status_code == 201, allowed.text
    body = allowed.json()
    assert body["basis"] == "LAW_TREATY"
    assert set(body["fields"]) == {"name", "address", "customs_code"}
    entry = next(
        e
        for e in world.entries(subject_id)
        if e["kind"] == "transfer.allowed" and e["payload"]["transfer_id"] == body["transfer_id"]
    )
    cited = entry["payload"]["legal_provision"]
    assert cited["key"] == "test_import_declaration"
    assert cited["citation"] == "「시험용 관세법」 제1조" and "가상의 규정" in cited["text"]
    listed = world.api.get("/v1/transfers", params={"subject_id": subject_id})
    assert listed.status_code == 200
    row = next(t for t in listed.json()["items"] if t["id"] == body["transfer_id"])
    assert row["legal_provision"] == "test_import_declaration"
    assert "가상의 규정" in row["legal_provision_text"]
    assert broker.get(f"/v1/recipient/transfers/{body['transfer_id']}").status_code == 200


def test_a_designated_certification_opens_an_entrustees_processing(world: World) -> None:
    carrier_id, _ = world.recipient(kind="logistics", certifications=[ISMS_P], country="SG")
    subject_id = world.subject()
    allowed = world.transfer(
        world.order(subject_id, carrier_id), purpose="fulfilment", flow="entrustment"
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["basis"] == "RECIPIENT_CERTIFIED"
    for broken in (
        {**ISMS_P, "issuer": "Self-declared"},
        {**ISMS_P, "covers": ["storage"]},
        {k: v for k, v in ISMS_P.items() if k != "implementation_measures"},
        {**ISMS_P, "scheme": "ISO 27701"},
    ):
        other_id, _ = world.recipient(kind="logistics", certifications=[broken], country="SG")
        refused = world.transfer(
            world.order(subject_id, other_id), purpose="fulfilment", flow="entrustment"
        )
        error = _refused(refused, "no_lawful_basis")
        assert "RECIPIENT_CERTIFIED" in error["details"]["why_not"]


def test_a_disclosure_opens_storage_and_reads_as_a_disclosure(world: World) -> None:
    store_id, _ = world.recipient(
        kind="storage", country="SG", legal_name=f"Lion Data Vault Pte. Ltd. {unique()}"
    )
    subject_id = world.subject()
    order_id = world.order(subject_id, store_id)
    _refused(world.transfer(order_id, purpose="fulfilment", flow="storage"), "no_lawful_basis")
    published = world.api.post(
        "/v1/disclosures",
        json={"recipient_ids": [store_id], "purpose": "fulfilment", "flow": "storage"},
    )
    assert published.status_code == 201, published.text
    notice = published.json()["notice"]
    assert notice["kind"] == "disclosure" and notice["required"] is None
    assert notice["carries_consent"] is False
    assert "동의" not in notice["text"]
    assert notice["heading"] == "개인정보의 국외 처리위탁 및 보관에 관한 고지"
    assert "「개인정보 보호법」 제28조의8제1항제3호" in notice["text"]
    consent = world.api.post(
        f"/v1/subjects/{subject_id}/consents",
        json={"notice_hash": notice["notice_hash"], "granted": True, "channel": "web"},
    )
    assert consent.status_code == 422
    allowed = world.transfer(order_id, purpose="fulfilment", flow="storage")
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["basis"] == "CONTRACT_ENTRUST_STORE"


def test_consent_is_bound_to_the_flow_its_notice_showed(world: World) -> None:
    carrier_id, _ = world.recipient(kind="logistics", country="SG")
    subject_id = world.subject()
    provision = world.notice(subject_id, carrier_id, flow="provision")
    world.consent(subject_id, provision["notice_hash"])
    order_id = world.order(subject_id, carrier_id)
    error = _refused(
        world.transfer(order_id, purpose="fulfilment", flow="entrustment"), "no_lawful_basis"
    )
    assert "SEPARATE_CONSENT" in error["details"]["why_not"]
    assert world.transfer(order_id, purpose="fulfilment", flow="provision").status_code == 201


def test_required_and_optional_consents_are_labelled_and_recorded(world: World) -> None:
    seller_id, _ = world.recipient(kind="seller", purposes=["fulfilment", "customer_service"])
    subject_id = world.subject()
    needed = world.notice(subject_id, seller_id)
    optional = world.notice(subject_id, seller_id, purpose="customer_service")
    assert needed["required"] is True and needed["heading"].startswith("[필수]")
    assert "선택" not in needed["heading"]
    assert "주문은 진행되지 않습니다" in needed["text"]
    assert optional["required"] is False and optional["heading"].startswith("[선택]")
    # The items list names every field a view releases, the order details included.
    items = next(i["value"] for i in needed["items"] if i["key"] == "pi_items")
    assert "주문 정보(주문번호, 상품명 및 수량)" in items
    world.consent(subject_id, needed["notice_hash"])
    world.consent(subject_id, optional["notice_hash"], granted=False)
    states = world.api.get(f"/v1/subjects/{subject_id}/consents").json()["items"]
    assert {(s["purpose"], s["required"], s["granted"]) for s in states} == {
        ("fulfilment", True, True),
        ("customer_service", False, False),
    }
    # Refusing the optional one never blocks the order.
    order_id = world.order(subject_id, seller_id)
    assert world.transfer(order_id, purpose="fulfilment", flow="provision").status_code == 201
    _refused(
        world.transfer(order_id, purpose="customer_service", flow="provision"), "no_lawful_basis"
    )


def test_a_pack_change_lapses_consents_given_under_the_old_wording(
    world: World, tmp_path: Path
) -> None:
    seller_id, _ = world.recipient(kind="seller")
    subject_id = world.subject()
    world.consent(subject_id, world.notice(subject_id, seller_id)["notice_hash"])
    assert (
        world.transfer(
            world.order(subject_id, seller_id), purpose="fulfilment", flow="provision"
        ).status_code
        == 201
    )
    # The operator deploys a pack whose items-transferred wording differs.
    reworded = TEST_PROVISION.replace("수입신고 대행", "수입신고 대행 업무")
    rules = _rules_dir(tmp_path, reworded.replace("order number, item", "order number and item"))
    text = (rules / "kr-pipa.toml").read_text(encoding="utf-8")
    text = text.replace("주문 정보(주문번호, 상품명 및 수량)", "주문 정보(주문번호, 상품명, 수량)")
    (rules / "kr-pipa.toml").write_text(text, encoding="utf-8")
    gh = _open(world.database_url, world.master_key, rules, world.clock)
    try:
        with (
            LiveServer(gh) as server,
            api_client(server.url, headers=dict(world.api.headers)) as upgraded,
        ):
            order_id = world.order(subject_id, seller_id)
            refused = upgraded.post(
                f"/v1/orders/{order_id}/transfers",
                json={"purpose": "fulfilment", "flow": "provision"},
            )
            error = _refused(refused, "no_lawful_basis")
            assert error["details"]["stale_notices"]
            assert "ask for consent again" in error["message"]
    finally:
        gh.close()
