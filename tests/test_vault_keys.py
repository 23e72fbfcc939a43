"""Master keys, the keyring and the key file."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from gatehouse.domain.errors import GatehouseError
from gatehouse.vault import (
    KeyFileExists,
    Keyring,
    MasterKey,
    MasterKeyInvalid,
    MasterKeyMissing,
    MasterKeyUnknown,
    create_key_file,
    load_keyring,
    write_key_file,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX-only")


def test_key_id_is_stable_short_hex_and_not_the_material() -> None:
    key = MasterKey(bytes(range(32)))
    assert key.key_id == MasterKey(bytes(range(32))).key_id
    assert len(key.key_id) == 16
    int(key.key_id, 16)
    assert key.key_id not in key.material.hex()
    assert MasterKey.generate().key_id != key.key_id


def test_wrong_length_is_refused() -> None:
    with pytest.raises(MasterKeyInvalid):
        MasterKey(b"short")


def test_b64_round_trip_urlsafe_and_standard() -> None:
    # 0xfb/0xff bytes force '-'/'_' in urlsafe and '+'/'/' in standard alphabets.
    material = bytes([0xFB, 0xFF] * 16)
    key = MasterKey(material)
    assert MasterKey.from_b64(key.to_b64()) == key
    assert MasterKey.from_b64(base64.b64encode(material).decode()) == key
    assert MasterKey.from_b64(key.to_b64().rstrip("=") + "\n") == key
    assert "+" not in key.to_b64() and "/" not in key.to_b64()


def test_from_b64_errors_name_the_problem_without_echoing_the_text() -> None:
    secretish = "not*base64*at*all*SECRET"
    with pytest.raises(MasterKeyInvalid) as bad:
        MasterKey.from_b64(secretish)
    assert "base64" in bad.value.message
    assert "SECRET" not in str(bad.value)
    assert bad.value.code == "master_key_invalid"

    short = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(MasterKeyInvalid) as wrong_length:
        MasterKey.from_b64(short)
    assert "32 bytes" in wrong_length.value.message
    assert short not in str(wrong_length.value)

    with pytest.raises(MasterKeyInvalid, match="empty"):
        MasterKey.from_b64("   ")


def test_repr_hides_material() -> None:
    key = MasterKey.generate()
    text = repr(key)
    assert key.key_id in text
    assert key.material.hex() not in text
    assert repr(key.material) not in text
    assert key.to_b64() not in text


def test_keyring_current_get_and_ids() -> None:
    new, old = MasterKey.generate(), MasterKey.generate()
    ring = Keyring([new, old])
    assert ring.current == new
    assert ring.key_ids == [new.key_id, old.key_id]
    assert ring.get(old.key_id) == old
    with pytest.raises(MasterKeyUnknown) as unknown:
        ring.get("0" * 16)
    assert unknown.value.code == "master_key_unknown"
    assert isinstance(unknown.value, GatehouseError)


def test_keyring_needs_a_key() -> None:
    with pytest.raises(MasterKeyMissing):
        Keyring([])


def test_keyring_reloads_once_on_unknown_id() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    calls: list[int] = []

    def reload() -> list[MasterKey]:
        calls.append(1)
        return [new, old]

    ring = Keyring([old], reload=reload)
    assert ring.get(old.key_id) == old
    assert calls == []
    assert ring.get(new.key_id) == new
    assert calls == [1]
    assert ring.current == new
    with pytest.raises(MasterKeyUnknown):
        ring.get("f" * 16)
    assert calls == [1, 1]


def test_load_keyring_from_env_with_previous_keys(tmp_path: Path) -> None:
    current, prev1, prev2 = (MasterKey.generate() for _ in range(3))
    env = {
        "GATEHOUSE_MASTER_KEY": current.to_b64(),
        "GATEHOUSE_MASTER_KEY_PREVIOUS": f"{prev1.to_b64()}, {prev2.to_b64()},",
    }
    # The environment wins even when no key file exists.
    ring = load_keyring(env, tmp_path / "absent.key")
    assert ring.key_ids == [current.key_id, prev1.key_id, prev2.key_id]
    assert ring.get(prev2.key_id) == prev2


def test_load_keyring_env_error_names_the_variable(tmp_path: Path) -> None:
    env = {
        "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
        "GATEHOUSE_MASTER_KEY_PREVIOUS": "garbage!",
    }
    with pytest.raises(MasterKeyInvalid, match="GATEHOUSE_MASTER_KEY_PREVIOUS entry 1"):
        load_keyring(env, tmp_path / "absent.key")


def test_missing_key_is_a_helpful_error(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyMissing) as missing:
        load_keyring({}, tmp_path / "gatehouse.key")
    assert missing.value.code == "master_key_missing"
    assert "gatehouse init" in missing.value.message
    assert "GATEHOUSE_MASTER_KEY" in missing.value.message


@posix_only
def test_create_key_file_is_private_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.key"
    key = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ring = load_keyring({}, path)
    assert ring.current == key
    assert ring.key_ids == [key.key_id]


def test_create_key_file_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.key"
    first = create_key_file(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileExists) as exists:
        create_key_file(path)
    assert exists.value.code == "key_file_exists"
    assert path.read_bytes() == before
    assert first.to_b64() in before.decode()


@posix_only
def test_group_readable_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.key"
    create_key_file(path)
    path.chmod(0o640)
    with pytest.raises(MasterKeyInvalid) as loose:
        load_keyring({}, path)
    assert "chmod 600" in loose.value.message


@posix_only
def test_key_file_comments_blank_lines_and_order(tmp_path: Path) -> None:
    current, old = MasterKey.generate(), MasterKey.generate()
    path = tmp_path / "gatehouse.key"
    path.write_text(f"# rotated keys\n\n{current.to_b64()}  # current\n{old.to_b64()}\n")
    path.chmod(0o600)
    ring = load_keyring({}, path)
    assert ring.key_ids == [current.key_id, old.key_id]


@posix_only
def test_key_file_with_a_bad_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.key"
    path.write_text(f"{MasterKey.generate().to_b64()}\nnope\n")
    path.chmod(0o600)
    with pytest.raises(MasterKeyInvalid, match="line 2"):
        load_keyring({}, path)


@posix_only
def test_empty_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.key"
    path.write_text("# nothing here\n")
    path.chmod(0o600)
    with pytest.raises(MasterKeyInvalid, match="no keys"):
        load_keyring({}, path)


@posix_only
def test_write_key_file_replaces_atomically_with_private_mode(tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.key"
    old = create_key_file(path)
    new = MasterKey.generate()
    write_key_file(path, [new, old])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring({}, path).key_ids == [new.key_id, old.key_id]
    # No temporary file is left next to the key file.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gatehouse.key"]


def test_write_key_file_refuses_no_keys(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyInvalid):
        write_key_file(tmp_path / "gatehouse.key", [])


@posix_only
def test_running_keyring_picks_up_rotated_key_file(tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.key"
    old = create_key_file(path)
    ring = load_keyring({}, path)
    assert ring.current == old

    # Another process rotates the key file while this keyring is in use.
    new = MasterKey.generate()
    write_key_file(path, [new, old])

    assert ring.get(new.key_id) == new
    assert ring.current == new
    assert ring.get(old.key_id) == old
