"""Finding the submitted notebooks, in files, folders and .zip downloads, and naming their students.

Rule for names:

- a notebook file given on the command line is one student's, named by the file (``alice.ipynb`` → alice);
- a folder or a .zip given on the command line is a class: each entry at its top level (a file, a
  folder, a .zip) is one student, named by that entry (``class/bob/`` → bob, ``class/carol.zip`` →
  carol); everything below it is searched, nested folders and zips included;
- a name found under two different command-line arguments (two sections that each have an alice) is
  two students: each is named with its argument, ``alice (section-a)`` and ``alice (section-b)``
  (the last parts of the argument's path that tell them apart);
- with ``--roster CSV`` the student is the roster row one of whose values (any column: name, login,
  id) appears as whole words in the top-level name, or else in a name further down; the row's
  ``student`` column (else its first column) is the name shown. Ties between rows, or no match, keep
  the top-level name, and the summary says so.
  A row whose first cell is ``Points Possible`` (the second row of a Canvas gradebook export) is
  skipped; each row's cells are kept by column for the LMS files (``course_lib.grading.lms``).

Files graded: ``.ipynb`` and ``.py``. Hidden files, ``__MACOSX`` and ``.ipynb_checkpoints`` are skipped;
other files are counted as ignored. A zip that cannot be opened, or a file over 50 MB, still gets a
row (status ``unreadable``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOK_SUFFIXES = (".ipynb", ".py")
MAX_BYTES = 50 * 10**6
MAX_ZIP_DEPTH = 3
SKIPPED_PARTS = ("__MACOSX", ".ipynb_checkpoints", "__pycache__")
POINTS_POSSIBLE = "Points Possible"


class InputError(Exception):
    """Bad command-line input (a missing path, an unreadable roster); ``str(error)`` is the one line to show."""


@dataclass(frozen=True)
class SubmittedFile:
    """One file to grade: whose it is, where it is, and how to read its bytes."""

    student: str
    path: str
    parts: tuple[str, ...]
    source: tuple[str, ...]
    problem: str = ""
    origin: str = ""  # the command-line argument it was found under

    @property
    def name(self) -> str:
        return self.parts[-1]

    @property
    def inner_path(self) -> str:
        """The path below the student's top-level entry (``week3/03_optimizers.ipynb``), or the file's name."""
        return "/".join(self.parts[1:]) or self.parts[0]

    def read(self) -> bytes:
        """The file's bytes (from disk, or from inside one or more nested zips)."""
        location, *members = self.source
        if not members:
            return Path(location).read_bytes()
        archive = zipfile.ZipFile(location)
        for member in members[:-1]:
            archive = zipfile.ZipFile(io.BytesIO(archive.read(member)))
        return archive.read(members[-1])


@dataclass
class Collection:
    """What ``collect`` found: the files to grade, and the names of the files it ignored."""

    files: list[SubmittedFile] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_PARTS


def _student_name(entry: str) -> str:
    lower = entry.lower()
    for suffix in (*NOTEBOOK_SUFFIXES, ".zip"):
        if lower.endswith(suffix) and len(entry) > len(suffix):
            return entry[: -len(suffix)]
    return entry


def _add(collection: Collection, student: str, shown: str, parts: tuple[str, ...], source: tuple[str, ...],
         size: int) -> None:
    problem = f"larger than {MAX_BYTES // 10**6} MB" if size > MAX_BYTES else ""
    collection.files.append(SubmittedFile(student, shown, parts, source, problem))


def _walk_zip(collection: Collection, archive: zipfile.ZipFile, source: tuple[str, ...], shown: str,
              parts: tuple[str, ...], student: str | None, depth: int) -> None:
    """Add every notebook inside ``archive``; ``student`` None means its top-level entries are the students."""
    for info in sorted(archive.infolist(), key=lambda info: info.filename):
        names = tuple(name for name in info.filename.split("/") if name)
        if info.is_dir() or not names or any(_skipped(name) for name in names):
            continue
        owner = student if student is not None else _student_name(names[0])
        inner = (*parts, *names)
        where = f"{shown}/{'/'.join(names)}"
        if names[-1].lower().endswith(".zip") and depth < MAX_ZIP_DEPTH:
            _walk_zip_member(collection, archive, info, (*source, info.filename), where, inner, owner, depth + 1)
        elif names[-1].lower().endswith(NOTEBOOK_SUFFIXES):
            _add(collection, owner, where, inner, (*source, info.filename), info.file_size)
        else:
            collection.ignored.append(where)


def _walk_zip_member(collection, archive, info, source, shown, parts, student, depth) -> None:
    if info.file_size > MAX_BYTES:
        collection.files.append(SubmittedFile(student, shown, parts, source, f"larger than {MAX_BYTES // 10**6} MB"))
        return
    try:
        inner = zipfile.ZipFile(io.BytesIO(archive.read(info.filename)))
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as error:
        collection.files.append(SubmittedFile(student, shown, parts, source, f"not a readable zip file ({error})"))
        return
    _walk_zip(collection, inner, source, shown, parts, student, depth)


def _open_zip(collection: Collection, path: Path, shown: str, parts: tuple[str, ...], student: str | None) -> None:
    try:
        archive = zipfile.ZipFile(path)
        archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as error:
        owner = student if student is not None else _student_name(path.name)
        collection.files.append(SubmittedFile(owner, shown, parts, (str(path),), f"not a readable zip file ({error})"))
        return
    _walk_zip(collection, archive, (str(path),), shown, parts, student, depth=1)


def _walk(collection: Collection, path: Path, shown: str, parts: tuple[str, ...], student: str) -> None:
    """Add every notebook at or below ``path`` (a file, folder or zip) for ``student``."""
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if not _skipped(child.name):
                _walk(collection, child, f"{shown}/{child.name}", (*parts, child.name), student)
    elif path.name.lower().endswith(".zip"):
        _open_zip(collection, path, shown, parts, student)
    elif path.name.lower().endswith(NOTEBOOK_SUFFIXES):
        _add(collection, student, shown, parts, (str(path),), path.stat().st_size)
    else:
        collection.ignored.append(shown)


def _telling_apart(origins: list[str]) -> dict[str, str]:
    """For each path, its shortest ending (last parts) that no other path of ``origins`` shares."""
    parts = {origin: Path(origin).parts or (origin,) for origin in origins}
    labels = {}
    for origin, own in parts.items():
        for length in range(1, len(own) + 1):
            ending = own[-length:]
            if all(other[-length:] != ending for name, other in parts.items() if name != origin):
                labels[origin] = "/".join(ending)
                break
        else:
            labels[origin] = origin
    return labels


def _separate_namesakes(collection: Collection) -> None:
    """Students of the same name under different arguments become ``name (argument)`` (rule above)."""
    origins: dict[str, set[str]] = {}
    for file in collection.files:
        origins.setdefault(file.student, set()).add(file.origin)
    shared = {student for student, found in origins.items() if len(found) > 1}
    if not shared:
        return
    labels = _telling_apart(sorted({file.origin for file in collection.files}))
    collection.files[:] = [dataclasses.replace(file, student=f"{file.student} ({labels[file.origin]})")
                           if file.student in shared else file for file in collection.files]


def collect(arguments: list[Path]) -> Collection:
    """Every notebook file in ``arguments``, with its student named by the rule above (roster aside)."""
    missing = [str(path) for path in arguments if not path.exists()]
    if missing:
        raise InputError(f"no such file or folder: {', '.join(missing)}")
    collection = Collection()
    for path in arguments:
        shown = str(path).rstrip("/") or str(path)
        first = len(collection.files)
        _collect_argument(collection, path, shown)
        collection.files[first:] = [dataclasses.replace(file, origin=shown) for file in collection.files[first:]]
    _separate_namesakes(collection)
    return collection


def _collect_argument(collection: Collection, path: Path, shown: str) -> None:
    """Add the notebooks of one command-line argument (a class folder, a zip, or one notebook file)."""
    if path.is_dir():
        for entry in sorted(path.iterdir()):
            if not _skipped(entry.name):
                _walk(collection, entry, f"{shown}/{entry.name}", (entry.name,), _student_name(entry.name))
    elif path.name.lower().endswith(".zip"):
        _open_zip(collection, path, shown, (), None)
    elif path.name.lower().endswith(NOTEBOOK_SUFFIXES):
        _add(collection, _student_name(path.name), shown, (path.name,), (str(path),), path.stat().st_size)
    else:
        raise InputError(f"not a notebook (.ipynb, .py), a folder or a .zip: {path}")


# Roster -----------------------------------------------------------------------------------------------


def _words(text: str) -> str:
    """Lower-case words separated by single spaces: 'Alice Smith_12345_file_' → 'alice smith 12345 file'."""
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


@dataclass
class Roster:
    """Students from a CSV: the name to show per row, every value of the row to match names with, and
    the row's cells by column (``cells[i]["SIS User ID"]``), for the LMS files (``course_lib.grading.lms``)."""

    names: list[str]
    values: list[list[str]]
    cells: list[dict[str, str]] = field(default_factory=list)

    def match(self, parts: tuple[str, ...]) -> str | None:
        """The roster name for a file whose path below the class is ``parts`` (top-level first), or None."""
        for part in parts:
            words = f" {_words(part)} "
            best: dict[int, set[int]] = {}
            for row, values in enumerate(self.values):
                for value in values:
                    if f" {value} " in words:
                        best.setdefault(len(value), set()).add(row)
            if best:
                rows = best[max(best)]
                return self.names[next(iter(rows))] if len(rows) == 1 else None
        return None


def read_roster(path: Path) -> Roster:
    """A roster CSV with a header row; InputError (one line) when it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the roster {path}: {error}") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise InputError(f"the roster {path} needs a header row and at least one student")
    header = [name.strip().casefold() for name in rows[0]]
    shown = header.index("student") if "student" in header else 0
    names, values, cells = [], [], []
    for row in rows[1:]:
        if row and row[0].strip() == POINTS_POSSIBLE:  # the second row of a Canvas gradebook export
            continue
        if shown < len(row) and row[shown].strip():
            names.append(row[shown].strip())
            values.append([value for value in (_words(cell) for cell in row) if len(value) >= 2])
            cells.append({column.strip(): cell.strip() for column, cell in zip(rows[0], row, strict=False)})
    return Roster(names, values, cells)


def apply_roster(collection: Collection, roster: Roster) -> tuple[list[str], list[str]]:
    """Rename students by the roster; return (names that matched no roster row, roster names with no file)."""
    unmatched, renamed = set(), []
    for file in collection.files:
        name = roster.match(file.parts) if file.parts else None
        if name is None:
            unmatched.add(file.student)
            renamed.append(file)
        else:
            renamed.append(dataclasses.replace(file, student=name))
    collection.files[:] = renamed
    present = {file.student for file in collection.files}
    return sorted(unmatched), [name for name in roster.names if name not in present]
