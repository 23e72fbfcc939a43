"""The layout check of `make layout`, on small packages written for each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.check_layout import MAX_LINES, check, is_private, main


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


CLEAN = {
    "gatehouse/__init__.py": '__version__ = "1"\n',
    "gatehouse/a.py": "_secret = 1\npublic = _secret\n\n\ndef _helper() -> int:\n    return 1\n",
    "gatehouse/b.py": (
        "from gatehouse import __version__\n"
        "from gatehouse.a import public\n"
        "from . import a\n"
        "import gatehouse.a as alias\n"
        "VALUE = (public, a.public, alias.public, __version__)\n"
    ),
    "gatehouse/sub/__init__.py": "from .inner import shown\n",
    "gatehouse/sub/inner.py": "shown = 1\n_hidden = 2\n",
}


def test_a_clean_package_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write(tmp_path, CLEAN)
    assert check(root) == []
    assert main([str(root)]) == 0
    assert capsys.readouterr().err == ""


def test_a_module_over_the_limit_is_named_with_its_line_count(tmp_path: Path) -> None:
    root = write(tmp_path, {**CLEAN, "gatehouse/sub/big.py": "x = 1\n" * (MAX_LINES + 1)})
    write(tmp_path, {"gatehouse/sub/edge.py": "x = 1\n" * MAX_LINES})
    assert check(root) == [
        f"gatehouse/sub/big.py:{MAX_LINES + 1}: {MAX_LINES + 1} lines, over the limit of 400"
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from gatehouse.a import public, _secret\n", "imports the private name _secret"),
        ("from .inner import _hidden as hidden\n", "imports the private name _hidden"),
        ("from ..a import _secret\n", "imports the private name _secret"),
        ("import gatehouse.a as m\n\nX = m._secret\n", "uses the private name _secret"),
        ("from gatehouse import a\n\nX = a._helper()\n", "uses the private name _helper"),
        ("import gatehouse.sub.inner\n\nX = gatehouse.sub.inner._hidden\n", "uses the private"),
        ("from gatehouse.sub import _hidden\n", "imports the private name _hidden"),
    ],
)
def test_a_private_name_from_another_module_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    last = len(source.splitlines())
    root = write(tmp_path, {**CLEAN, "gatehouse/sub/user.py": source})
    problems = check(root)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"gatehouse/sub/user.py:{last}: {message}")
    assert main([str(root)]) == 1
    assert "gatehouse/sub/user.py" in capsys.readouterr().err


def test_a_module_may_use_its_own_private_names(tmp_path: Path) -> None:
    own = "import gatehouse.sub.inner as me\n\n_x = 1\nY = (_x, me._hidden)\n"
    root = write(tmp_path, {**CLEAN, "gatehouse/sub/inner.py": "shown = 1\n_hidden = 2\n" + own})
    assert check(root) == []


def test_dunder_names_are_public() -> None:
    assert is_private("_secret") and is_private("__mangled")
    assert not is_private("__version__") and not is_private("public")


def test_the_repository_itself_is_checked_by_default() -> None:
    # The real package parses and resolves; what it reports is `make layout`'s business.
    assert all(":" in problem for problem in check(Path(__file__).resolve().parent.parent))
