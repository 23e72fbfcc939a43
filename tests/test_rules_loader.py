"""Loading rule packs: errors name the file and the dotted key; packs are found by country."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.rules import PACKS_DIR, RulePackError, RulePackSet, load_pack, load_packs

SOURCE = (PACKS_DIR / "kr-pipa.toml").read_text(encoding="utf-8")


def _write(directory: Path, text: str, name: str = "kr-pipa.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _mutated(directory: Path, old: str, new: str) -> Path:
    assert old in SOURCE, old
    return _write(directory, SOURCE.replace(old, new, 1))


def test_shipped_packs_load() -> None:
    packs = load_packs()
    assert packs.ids() == ["KR-PIPA"]
    assert len(packs) == 1
    assert [p.id for p in packs] == ["KR-PIPA"]
    assert packs.by_id("KR-PIPA").jurisdictions == ["KR"]


def test_unchanged_copy_loads(tmp_path: Path) -> None:
    assert load_pack(_write(tmp_path, SOURCE)).id == "KR-PIPA"


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        (
            'phone = "safe_number"',
            'phone = "safe_numbr"',
            "purposes.fulfilment.fields.phone",
            "unknown transform 'safe_numbr' (known: customs_only, drop, masked,",
        ),
        (
            'flows = ["entrustment", "storage"]',
            'flows = ["entrustment", "storage", "warehousing"]',
            "bases.CONTRACT_ENTRUST_STORE.flows[2]",
            "flow 'warehousing' is not one of provision, entrustment, storage, inquiry",
        ),
        (
            'flows = ["entrustment", "storage"]',
            "flows = []",
            "bases.CONTRACT_ENTRUST_STORE.flows",
            "at least 1 item",
        ),
        (
            "rights_request_alert_day = 7",
            "rights_request_alert_day = 12",
            "deadlines.rights_request_alert_day",
            "must be before the deadline",
        ),
        (
            "rights_request_days = 10",
            "rights_request_days = 0",
            "deadlines.rights_request_days",
            "greater than 0",
        ),
        ("max_days = 90", "max_days = 90\nmax_dayz = 30", "views.max_dayz", "unknown key"),
        ('version = "1.0.0"', 'version = "1.0.0"\nowner = "x"', "owner", "unknown key"),
        ("breach_notify_hours = 72\n", "", "deadlines.breach_notify_hours", "missing"),
        (
            'required_language = "ko"',
            'required_language = "ja"',
            "required_language",
            "'ja' is not in languages",
        ),
        (
            'en = "Time of transfer"',
            'fr = "Time of transfer"',
            "notice_items[2].label",
            "missing the 'en' text",
        ),
        (
            'jurisdictions = ["KR"]',
            'jurisdictions = ["XK"]',
            "jurisdictions[0]",
            "not an ISO 3166-1 alpha-2 code",
        ),
        (
            '    "legal_basis",\n]',
            '    "legal_basis", "recipient_dpo",\n]',
            "required_notice_items[13]",
            "'recipient_dpo' is not in notice_items",
        ),
        (
            'customs_code = "customs_only"',
            'rrn = "plain"',
            "purposes.fulfilment.fields.rrn",
            "not in pii_fields",
        ),
        (
            "total_revenue_krw = 1_000_000_000_000",
            "total_revenue_krw = 0",
            "domestic_agent.total_revenue_krw",
            "greater than 0",
        ),
        (
            'agent_items = ["name", "address", "phone", "email"]',
            'agent_items = ["name", "adress"]',
            "domestic_agent.agent_items[1]",
            "'name', 'address', 'phone' or 'email'",
        ),
        (
            "daily_subjects = 1_000_000",
            "daily_subjects = 1_000_000\nkorean_sales = 1",
            "domestic_agent.korean_sales",
            "unknown key",
        ),
    ],
)
def test_broken_pack_names_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, problem: str
) -> None:
    path = _mutated(tmp_path, old, new)
    with pytest.raises(RulePackError) as exc:
        load_pack(path)
    error = exc.value
    assert error.file == path
    assert error.key == key
    assert problem in error.problem
    assert str(error) == f"kr-pipa.toml: {key}: {error.problem}"


def test_toml_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    path = _mutated(tmp_path, "max_days = 90", "max_days = = 90")
    line = SOURCE.splitlines().index("max_days = 90") + 1
    with pytest.raises(RulePackError) as exc:
        load_pack(path)
    assert exc.value.key is None
    assert f"line {line}" in exc.value.problem
    assert "column" in exc.value.problem
    assert str(exc.value).startswith("kr-pipa.toml: invalid TOML: ")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="missing.toml: cannot read"):
        load_pack(tmp_path / "missing.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes('id = "KR-PIPA" # \xe9\n'.encode("latin-1"))
    with pytest.raises(RulePackError, match="latin1.toml: the file is not valid UTF-8"):
        load_pack(path)


def test_load_packs_from_a_directory(tmp_path: Path) -> None:
    _write(tmp_path, SOURCE)
    (tmp_path / "notes.txt").write_text("not a pack", encoding="utf-8")
    assert load_packs(tmp_path).ids() == ["KR-PIPA"]


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="no rule pack files"):
        load_packs(tmp_path)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path, SOURCE, "a.toml")
    _write(tmp_path, SOURCE.replace('jurisdictions = ["KR"]', 'jurisdictions = ["KP"]'), "b.toml")
    with pytest.raises(RulePackError) as exc:
        load_packs(tmp_path)
    assert str(exc.value) == "b.toml: id: duplicate pack id 'KR-PIPA' (also in a.toml)"


def test_overlapping_jurisdictions_are_rejected(tmp_path: Path) -> None:
    _write(tmp_path, SOURCE, "a.toml")
    _write(
        tmp_path,
        SOURCE.replace('id = "KR-PIPA"', 'id = "KR-OTHER"').replace(
            'jurisdictions = ["KR"]', 'jurisdictions = ["JP", "KR"]'
        ),
        "b.toml",
    )
    with pytest.raises(RulePackError) as exc:
        load_packs(tmp_path)
    assert exc.value.key == "jurisdictions[1]"
    assert "'KR' is already covered by KR-PIPA (a.toml)" in exc.value.problem


def test_a_second_jurisdiction_is_data_alone(tmp_path: Path) -> None:
    _write(tmp_path, SOURCE, "kr-pipa.toml")
    _write(
        tmp_path,
        SOURCE.replace('id = "KR-PIPA"', 'id = "JP-APPI"')
        .replace('jurisdictions = ["KR"]', 'jurisdictions = ["JP"]')
        .replace('required_language = "ko"', 'required_language = "en"'),
        "jp-appi.toml",
    )
    packs = load_packs(tmp_path)
    assert packs.ids() == ["JP-APPI", "KR-PIPA"]
    assert packs.for_country("jp").id == "JP-APPI"
    assert packs.for_country("KR").id == "KR-PIPA"


def test_for_country() -> None:
    packs = load_packs()
    assert packs.for_country("KR").id == "KR-PIPA"
    assert packs.for_country(" kr ").id == "KR-PIPA"
    with pytest.raises(InvalidInput) as exc:
        packs.for_country("US")
    assert exc.value.code == "unsupported_jurisdiction"
    assert exc.value.details == {"country": "US", "supported": ["KR"]}
    with pytest.raises(InvalidInput) as exc:
        packs.for_country("KOR")
    assert exc.value.code == "invalid_country"


def test_by_id_unknown() -> None:
    with pytest.raises(NotFound) as exc:
        load_packs().by_id("EU-GDPR")
    assert exc.value.code == "unknown_rule_pack"


def test_empty_set() -> None:
    packs = RulePackSet([])
    assert packs.ids() == []
    with pytest.raises(InvalidInput):
        packs.for_country("KR")
