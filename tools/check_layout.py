"""Layout checks for the gatehouse package, run by `make layout` (and so by `make test`).

Two rules, each reported as ``path:line: message`` and failing the run:

* No Python module under the package is longer than ``MAX_LINES`` lines: a module that grows
  past it is split by what its parts do. Every module counts, generated migrations included.
* No module imports another module's private name (one with a leading underscore; dunder
  names such as ``__version__`` are public): ``from gatehouse.x import _name``, the same with
  a relative import, or ``import gatehouse.x as m`` (or ``from gatehouse import x``) and
  then ``m._name``. A name that two modules share is made public where it is defined.

Usage: ``python tools/check_layout.py [ROOT]``, where ROOT holds the package (default: the
repository this file is in).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "gatehouse"
MAX_LINES = 400


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def render(self, root: Path) -> str:
        return f"{self.path.relative_to(root).as_posix()}:{self.line}: {self.message}"


def is_private(name: str) -> bool:
    """A leading underscore marks a private name; a dunder name is not private."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(root: Path, path: Path) -> str:
    """The dotted name of the module at ``path`` (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path, package: str) -> Iterator[Path]:
    yield from sorted((root / package).rglob("*.py"))


def oversized(root: Path, package: str = PACKAGE, max_lines: int = MAX_LINES) -> list[Problem]:
    problems = []
    for path in modules(root, package):
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > max_lines:
            problems.append(Problem(path, count, f"{count} lines, over the limit of {max_lines}"))
    return problems


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of the module a ``from ... import`` statement names."""
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    # In a package's __init__, one dot is the package itself; in a module, its package.
    drop = node.level - 1 if is_package else node.level
    base = base[: len(base) - drop] if drop else base
    return ".".join([*base, node.module] if node.module else base)


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything that is not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def private_imports(root: Path, package: str = PACKAGE) -> list[Problem]:
    paths = list(modules(root, package))
    known = {module_name(root, path) for path in paths}
    problems = []
    for path in paths:
        current = module_name(root, path)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        # Local names bound to one of the package's modules, and the module each one is.
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] != package:
                        continue
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases[package] = package
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(current, is_package, node)
                if source.split(".")[0] != package:
                    continue
                for alias in node.names:
                    if f"{source}.{alias.name}" in known:
                        aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
                    if source != current and is_private(alias.name):
                        problems.append(
                            Problem(
                                path,
                                node.lineno,
                                f"imports the private name {alias.name} from {source}",
                            )
                        )
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not is_private(node.attr):
                continue
            chain = _dotted(node.value)
            if not chain or chain[0] not in aliases:
                continue
            owner = ".".join([aliases[chain[0]], *chain[1:]])
            if owner in known and owner != current:
                problems.append(
                    Problem(path, node.lineno, f"uses the private name {node.attr} of {owner}")
                )
    return sorted(problems, key=lambda problem: (problem.path, problem.line))


def check(root: Path, package: str = PACKAGE, max_lines: int = MAX_LINES) -> list[str]:
    """Every problem under ``root / package``, rendered; an empty list when the layout is fine."""
    found = oversized(root, package, max_lines) + private_imports(root, package)
    return [problem.render(root) for problem in found]


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"layout: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
