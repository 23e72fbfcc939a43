"""Loading rule packs from TOML files, with errors that name the file and the offending key."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gatehouse.domain.contact import normalise_country
from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.policy import RulePack

__all__ = ["PACKS_DIR", "RulePackError", "RulePackSet", "load_pack", "load_packs"]

PACKS_DIR = Path(__file__).resolve().parent / "packs"

# Pydantic's wording is written for API payloads; these read better for a file an operator edits.
_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}


class RulePackError(Exception):
    """A rule pack file cannot be used; ``str()`` reads ``<file>: <key>: <problem>``."""

    def __init__(self, file: Path, key: str | None, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.key:
            return f"{self.file.name}: {self.key}: {self.problem}"
        return f"{self.file.name}: {self.problem}"


def _dotted(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _describe(error: ErrorDetails) -> tuple[str, str]:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    if error["type"] == "pack_inconsistent":
        prefix = _dotted(loc)
        key = str(ctx["key"])
        return (f"{prefix}.{key}" if prefix else key), str(ctx["problem"])
    return _dotted(loc), _FRIENDLY.get(error["type"], error["msg"])


def load_pack(path: Path) -> RulePack:
    """Read and validate one rule pack file; raise RulePackError on any problem."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise RulePackError(path, None, f"cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise RulePackError(path, None, "the file is not valid UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulePackError(path, None, f"invalid TOML: {exc}") from exc
    try:
        return RulePack.model_validate(data)
    except ValidationError as exc:
        # The first error is reported; fixing it and reloading shows the next.
        key, problem = _describe(exc.errors()[0])
        raise RulePackError(path, key or None, problem) from exc


class RulePackSet:
    """The loaded rule packs, looked up by id or by the country whose residents they protect."""

    def __init__(self, packs: list[RulePack]) -> None:
        self._by_id = {pack.id: pack for pack in packs}
        self._by_country = {country: pack for pack in packs for country in pack.jurisdictions}

    def __iter__(self) -> Iterator[RulePack]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[str]:
        """The ids of all loaded packs, sorted."""
        return sorted(self._by_id)

    def by_id(self, pack_id: str) -> RulePack:
        """The pack with this id; NotFound (code ``unknown_rule_pack``) otherwise."""
        try:
            return self._by_id[pack_id]
        except KeyError:
            raise NotFound(
                f"no rule pack has the id '{pack_id}'",
                code="unknown_rule_pack",
                details={"known": self.ids()},
            ) from None

    def for_country(self, alpha2: str) -> RulePack:
        """The pack for residents of ``alpha2``; InvalidInput (unsupported_jurisdiction) if none."""
        country = normalise_country(alpha2)
        pack = self._by_country.get(country)
        if pack is None:
            raise InvalidInput(
                f"no rule pack covers residents of '{country}'",
                code="unsupported_jurisdiction",
                details={"country": country, "supported": sorted(self._by_country)},
            )
        return pack


def load_packs(directory: Path | None = None) -> RulePackSet:
    """Load every ``*.toml`` pack in ``directory`` (default: the packs shipped with Gatehouse)."""
    folder = PACKS_DIR if directory is None else directory
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise RulePackError(folder, None, "no rule pack files (*.toml) found")
    packs: list[RulePack] = []
    id_files: dict[str, Path] = {}
    country_packs: dict[str, tuple[str, Path]] = {}
    for file in files:
        pack = load_pack(file)
        if pack.id in id_files:
            raise RulePackError(
                file, "id", f"duplicate pack id '{pack.id}' (also in {id_files[pack.id].name})"
            )
        id_files[pack.id] = file
        for index, country in enumerate(pack.jurisdictions):
            if country in country_packs:
                other_id, other_file = country_packs[country]
                raise RulePackError(
                    file,
                    f"jurisdictions[{index}]",
                    f"'{country}' is already covered by {other_id} ({other_file.name})",
                )
            country_packs[country] = (pack.id, file)
        packs.append(pack)
    return RulePackSet(packs)
