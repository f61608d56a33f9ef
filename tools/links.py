"""One setting holds the course repository's public address; every badge and install line follows it.

The setting is ``[project.urls] Repository`` in pyproject.toml (``https://github.com/OWNER/NAME``).
Links that name the course repository: Colab badges (``colab.research.google.com/github/OWNER/NAME``),
Binder badges (``mybinder.org/v2/gh/OWNER/NAME``) and the Colab install line
(``git+https://github.com/OWNER/NAME``). Plain ``github.com/...`` links are the course's only when they
name the repository of the setting; links to other repositories (a source course) are left alone.

1. ``repository(root)``: OWNER/NAME from the setting;
2. ``find_links(root)``: every such link in the README, the notebook sources, the student and solution
   notebooks, binder/ and the site's sources, as (file, line, OWNER/NAME);
3. ``rewrite_links(root, repo)``: point the setting and every link at ``repo``, in the sources and in
   the generated notebooks alike, so that regenerating them (``make links`` runs the notebook
   generator, which derives cell ids from the sources) keeps every stored output.

Usage: python -m tools.links [OWNER/NAME]   (no argument: list the links and check that they agree)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
REPO_PATTERN = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
LINK = re.compile(rf"(?P<prefix>(?:colab\.research\.google\.com/github|mybinder\.org/v2/gh|git\+https://github\.com)/)"
                  rf"(?P<repo>{REPO_PATTERN}?)(?=/|\)|\"|\\|'|\s|$|\.git\b|@)")
SETTING = re.compile(rf'^(Repository\s*=\s*"https://github\.com/)({REPO_PATTERN}?)(")', re.MULTILINE)
LINKED_FILES = ("README.md", "solutions/*.py", "solutions/*.ipynb", "notebooks/*.py", "notebooks/*.ipynb",
                "binder/*", "site_src/**/*.py", "site_src/**/*.md", ".github/workflows/*.yml")


def repository(root: Path = ROOT) -> str:
    """OWNER/NAME from ``[project.urls] Repository`` in pyproject.toml."""
    urls = tomllib.loads((root / "pyproject.toml").read_text())["project"]["urls"]
    match = re.fullmatch(rf"https://github\.com/({REPO_PATTERN})/?", urls["Repository"])
    if match is None:
        raise SystemExit(f"pyproject.toml: [project.urls] Repository must be https://github.com/OWNER/NAME, "
                         f"not {urls['Repository']!r}")
    return match.group(1)


# Installed or generated trees under the linked patterns (site_src/node_modules after make site): not the course's.
GENERATED_DIRS = frozenset({"node_modules", ".venv", "__pycache__", ".ipynb_checkpoints", "_build"})


def linked_files(root: Path = ROOT) -> list[Path]:
    files = {path for pattern in LINKED_FILES for path in root.glob(pattern)
             if path.is_file() and GENERATED_DIRS.isdisjoint(path.relative_to(root).parts)}
    return sorted(files)


def find_links(root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(file relative to root, line number, OWNER/NAME) for every repository link."""
    found = []
    for path in linked_files(root):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            for match in LINK.finditer(line):
                found.append((str(path.relative_to(root)), number, match.group("repo")))
    return found


def rewrite_links(root: Path, repo: str) -> list[Path]:
    """Point the setting and every link at ``repo`` (OWNER/NAME); returns the files that changed."""
    if not re.fullmatch(REPO_PATTERN, repo):
        raise SystemExit(f"REPO must look like OWNER/NAME, not {repo!r}")
    changed = []
    plain = re.compile(rf"(?<=github\.com/){re.escape(repository(root))}(?=/|\)|\"|\\|'|\s|$|\.git\b)")
    for path in linked_files(root):
        text = path.read_text()
        updated = plain.sub(repo, LINK.sub(lambda m: m.group("prefix") + repo, text))
        if updated != text:
            path.write_text(updated)
            changed.append(path)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    updated = SETTING.sub(lambda m: m.group(1) + repo + m.group(3), text)
    if updated != text:
        pyproject.write_text(updated)
        changed.append(pyproject)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", nargs="?", help="OWNER/NAME of the course repository (a fork's)")
    args = parser.parse_args(argv)
    if args.repo:
        for path in rewrite_links(ROOT, args.repo):
            print(f"rewrote {path.relative_to(ROOT)}")
        return 0
    expected = repository(ROOT)
    wrong = [(file, line, repo) for file, line, repo in find_links(ROOT) if repo != expected]
    for file, line, repo in wrong:
        print(f"{file}:{line}: links to {repo}, the setting says {expected}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
