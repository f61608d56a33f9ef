"""Which source files a claim measures, and their fingerprint.

A claim's sources are its claims module and every ``course_lib`` module that module imports,
directly or through other course_lib modules (read from the import statements with ``ast``, so the
files are found without importing anything), plus the ``__init__.py`` of each package on the way.
The report stores a SHA-256 per file; a report whose hashes differ from the files is stale.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

PACKAGE = "course_lib"
FINGERPRINT_LINE = "sources fingerprint (SHA-256 over the files listed at the end):"


def module_file(module: str, root: Path) -> Path | None:
    """The file of a course_lib module or package under ``root``, or None when there is none."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path) -> set[str]:
    """course_lib modules named by the import statements of one file (``from a.b import c``: a.b and a.b.c)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == PACKAGE or name.startswith(PACKAGE + ".")}


def module_sources(module: str, root: Path) -> set[Path]:
    """Files of ``module`` and of every course_lib module it imports, transitively, with their packages."""
    seen: set[Path] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            path = module_file(".".join(parts[:depth]), root)
            if path is not None and path not in seen:
                seen.add(path)
                pending.extend(_imported_modules(path))
    return seen


def source_hashes(claims, root: Path) -> dict[str, str]:
    """{path relative to root: SHA-256 of its bytes} over the sources of every claim's module."""
    files: set[Path] = set()
    for module in sorted({claim.module for claim in claims}):
        files |= module_sources(module, root)
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def combined_fingerprint(hashes: dict[str, str]) -> str:
    """One SHA-256 over the sorted (path, hash) pairs."""
    joined = "\n".join(f"{path} {digest}" for path, digest in sorted(hashes.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def parse_hashes(text: str, begin: str, end: str) -> dict[str, str] | None:
    """The {path: hash} block between the ``begin`` and ``end`` lines of a report, None when it has none."""
    lines = text.splitlines()
    if begin not in lines:
        return None
    start = lines.index(begin) + 1
    block = lines[start:lines.index(end, start)] if end in lines[start:] else lines[start:]
    return dict(line.split(" ", 1)[::1] for line in block if line.strip())
