"""Master keys (key-encryption keys): parsing, the keyring, and the key file on disk."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gatehouse.vault.errors import (
    KeyFileExists,
    MasterKeyInvalid,
    MasterKeyMissing,
    MasterKeyUnknown,
)

__all__ = [
    "MASTER_KEY_ENV",
    "PREVIOUS_KEYS_ENV",
    "MasterKey",
    "Keyring",
    "load_keyring",
    "create_key_file",
    "write_key_file",
]

MASTER_KEY_ENV = "GATEHOUSE_MASTER_KEY"
PREVIOUS_KEYS_ENV = "GATEHOUSE_MASTER_KEY_PREVIOUS"

KEY_BYTES = 32
_KEY_ID_LABEL = b"gatehouse/kek-id/v1"
_KEY_FILE_HEADER = (
    "# Gatehouse master keys, one base64 key per line, current key first.\n"
    "# Keep this file secret (mode 600): anyone holding it can read the vault.\n"
)


@dataclass(frozen=True)
class MasterKey:
    """A 256-bit key-encryption key; it only ever wraps data keys."""

    material: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.material, bytes) or len(self.material) != KEY_BYTES:
            raise MasterKeyInvalid(f"a master key must be exactly {KEY_BYTES} bytes")

    def __repr__(self) -> str:
        # Reprs end up in logs and tracebacks; the id identifies the key without revealing it.
        return f"MasterKey(key_id={self.key_id!r})"

    @property
    def key_id(self) -> str:
        """Return a short identifier of this key, safe to store next to what it wrapped."""
        # A keyed hash of a fixed label, so the id reveals nothing about the material.
        mac = hmac.HMAC(self.material, hashes.SHA256())
        mac.update(_KEY_ID_LABEL)
        return mac.finalize().hex()[:16]

    @classmethod
    def from_b64(cls, text: str) -> MasterKey:
        """Parse a key written in urlsafe or standard base64, padded or not."""
        cleaned = "".join(text.split())
        if not cleaned:
            raise MasterKeyInvalid("master key is empty")
        standard = cleaned.rstrip("=").replace("-", "+").replace("_", "/")
        standard += "=" * (-len(standard) % 4)
        try:
            material = base64.b64decode(standard, validate=True)
        except (binascii.Error, ValueError):
            # "from None": the original exception could carry fragments of the secret.
            raise MasterKeyInvalid("master key is not valid base64") from None
        if len(material) != KEY_BYTES:
            raise MasterKeyInvalid(
                f"master key must decode to {KEY_BYTES} bytes, got {len(material)}"
            )
        return cls(material)

    def to_b64(self) -> str:
        """Return the key as urlsafe base64, the form written to key files."""
        return base64.urlsafe_b64encode(self.material).decode("ascii")

    @classmethod
    def generate(cls) -> MasterKey:
        """Create a new random key from the operating system's CSPRNG."""
        return cls(AESGCM.generate_key(bit_length=KEY_BYTES * 8))


class Keyring:
    """The current master key plus older ones still needed to read data during a rotation."""

    def __init__(
        self,
        keys: Sequence[MasterKey],
        reload: Callable[[], Sequence[MasterKey]] | None = None,
    ) -> None:
        self._reload = reload
        self._lock = threading.Lock()
        self._keys, self._by_id = self._index(keys)

    def __repr__(self) -> str:
        return f"Keyring(key_ids={self.key_ids!r})"

    @staticmethod
    def _index(keys: Sequence[MasterKey]) -> tuple[tuple[MasterKey, ...], dict[str, MasterKey]]:
        if not keys:
            raise MasterKeyMissing("a keyring needs at least one master key")
        by_id: dict[str, MasterKey] = {}
        for key in keys:
            # The first occurrence wins so a repeated key cannot demote the current one.
            by_id.setdefault(key.key_id, key)
        ordered = tuple(by_id.values())
        return ordered, by_id

    @property
    def current(self) -> MasterKey:
        """Return the key new data is wrapped under."""
        return self._keys[0]

    @property
    def key_ids(self) -> list[str]:
        """Return the ids of all keys, current first."""
        return [key.key_id for key in self._keys]

    def get(self, key_id: str) -> MasterKey:
        """Return the key with this id, reloading the source once if it is not known yet."""
        key = self._by_id.get(key_id)
        if key is not None:
            return key
        if self._reload is not None:
            with self._lock:
                # Another thread may have reloaded while this one waited for the lock.
                key = self._by_id.get(key_id)
                if key is None:
                    keys, by_id = self._index(self._reload())
                    # Readers take these attributes without the lock; swap the index first
                    # so a reader never sees a current key missing from the lookup table.
                    self._by_id = by_id
                    self._keys = keys
                    key = by_id.get(key_id)
            if key is not None:
                return key
        raise MasterKeyUnknown(
            f"master key {key_id} is not in the keyring; restore it to read this data",
            details={"key_id": key_id},
        )


def _parse_key(text: str, source: str) -> MasterKey:
    try:
        return MasterKey.from_b64(text)
    except MasterKeyInvalid as exc:
        raise MasterKeyInvalid(f"{source}: {exc.message}") from None


def _read_key_file(path: Path) -> list[MasterKey]:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise MasterKeyMissing(
            f"no master key: key file {path} does not exist; run `gatehouse init` to create it, "
            f"or set {MASTER_KEY_ENV}"
        ) from None
    except OSError as exc:
        raise MasterKeyInvalid(f"cannot read key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        # fstat on the open descriptor, so the file checked is the file read.
        mode = os.fstat(handle.fileno()).st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise MasterKeyInvalid(
                f"key file {path} is accessible by group or others "
                f"(mode {stat.S_IMODE(mode):03o}); run `chmod 600 {path}`"
            )
        try:
            lines = handle.read().splitlines()
        except UnicodeDecodeError:
            raise MasterKeyInvalid(f"key file {path} is not a text file") from None
    keys: list[MasterKey] = []
    for number, line in enumerate(lines, start=1):
        # Base64 never contains '#', so everything after one is a comment.
        entry = line.split("#", 1)[0].strip()
        if entry:
            keys.append(_parse_key(entry, f"key file {path} line {number}"))
    if not keys:
        raise MasterKeyInvalid(f"key file {path} holds no keys")
    return keys


def load_keyring(environ: Mapping[str, str], key_file: Path) -> Keyring:
    """Build the keyring from GATEHOUSE_MASTER_KEY, or else from the key file."""
    if MASTER_KEY_ENV in environ:
        keys = [_parse_key(environ[MASTER_KEY_ENV], MASTER_KEY_ENV)]
        previous = environ.get(PREVIOUS_KEYS_ENV, "")
        entries = [entry.strip() for entry in previous.split(",")]
        for position, entry in enumerate(filter(None, entries), start=1):
            keys.append(_parse_key(entry, f"{PREVIOUS_KEYS_ENV} entry {position}"))
        # The environment cannot change under a running process, so there is nothing to reload.
        return Keyring(keys)
    return Keyring(_read_key_file(key_file), reload=lambda: _read_key_file(key_file))


def _render(keys: Sequence[MasterKey]) -> bytes:
    body = "".join(f"{key.to_b64()}\n" for key in keys)
    return (_KEY_FILE_HEADER + body).encode("ascii")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    # Makes the new directory entry durable; not every platform lets a directory be opened.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def create_key_file(path: Path) -> MasterKey:
    """Create a key file holding one new key, readable by its owner only; never overwrite."""
    key = MasterKey.generate()
    try:
        # O_EXCL with the mode given here means the file never exists with wider permissions.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileExists(
            f"key file {path} already exists; refusing to overwrite it "
            "(use `gatehouse keys rotate` to add a new key)",
            details={"path": str(path)},
        ) from None
    try:
        try:
            _write_all(fd, _render([key]))
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        # A half-written key file would later fail to load; better to leave none.
        path.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return key


def write_key_file(path: Path, keys: Sequence[MasterKey]) -> None:
    """Atomically replace the key file with these keys, current first."""
    if not keys:
        raise MasterKeyInvalid("refusing to write a key file with no keys")
    directory = path.parent
    # mkstemp creates the file with mode 0600; same directory so os.replace stays atomic.
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            _write_all(fd, _render(keys))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
