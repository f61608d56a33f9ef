"""Generate every course notebook from its one hand-edited source, `solutions/NN_name.py`.

Pipeline (one function per step):

1. `find_sources`        every `solutions/NN_name.py` (jupytext percent format), sorted by name.
2. `read_source`         parse one source into cells, remembering the file line where each cell starts.
3. `find_regions`        locate `# BEGIN SOLUTION [name]` … `# END SOLUTION` regions in code cells; refuse
                         near-miss markers (`# BEGIN SOLUTON`, `#BEGIN-SOLUTION`, `# to_remove`, …), an END
                         without BEGIN, nested or unterminated regions, markers (or near misses) in
                         markdown and raw cells, and code or raw cells tagged `solution`; name each
                         exercise cell's exercise (rule below), one exercise per cell.
4. `build_solution`      the paired `solutions/NN_name.ipynb` (kernelspec python3), keeping the outputs
                         stored by `make solutions` where they still belong to the code (rule below).
5. `build_student`       the student notebook: each region becomes a stub with the region's indentation,
                         `raise NotImplementedError("Exercise: <name>")`; a markdown cell tagged `solution`
                         becomes a short prompt; no outputs, no execution counts.
6. `check_student_code`  compile every student code cell (lines starting with `%` or `!` skipped), so a
                         region can never leave a syntactically broken stub.
7. `render`              the exact text of the three generated files (deterministic: same input, same bytes).
8. `write_files` or `compare_with_disk` (`--check`): write what changed, or list every file that differs
                         from what would be generated, and every generated file left without a source
                         (student files without a source are removed by `write_files`).

Rule for stored outputs in `solutions/NN_name.ipynb`: the code cells of the regenerated notebook are
compared, in order, with the code cells of the stored one. Outputs and execution counts are kept for
the leading code cells whose source is unchanged; from the first added, removed or edited code cell on,
every code cell has no outputs (its inputs may now produce something else). Markdown edits never drop
outputs. `make solutions` (tools.run_solutions) refreshes all outputs.

Grading metadata (read by `course-grade`, never by students): every generated .ipynb carries
`metadata["course"] = {"notebook": "NN_name", "exercises": [ids in order]}` (the exercise list is how
the grader tells an older handout, made before an exercise was added, from a deleted exercise cell),
and each exercise cell (a code cell holding a region)
`metadata["course"] = {"exercise": "<id>"}`, in the solution and the student notebook alike. The id
is the region's name (`# BEGIN SOLUTION name`) if given, else the outermost def/class around the
region (`Adam` for a region inside `Adam.update`: the object its check receives), else the
region's number. The student `.py` keeps both (a YAML header and `course={...}` on the cell line), so a
submitted .py is graded like the .ipynb; the solution notebook's jupytext filters leave them out of
its paired `solutions/NN_name.py`, which stays the hand-written source.

A region whose stub would run at import time (no enclosing `def`) gets the nbval tag `raises-exception`
in the student notebook, so the student notebook still runs top to bottom under `pytest --nbval-lax`.

A source with an authoring error is reported (exit status 1) and its files are left as they are; the
other sources are still generated, so one notebook in progress does not block the others.

Usage: python -m tools.notebook_generator [--check] [--root DIR] [NN_name ...]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat

SOURCE_PATTERN = "[0-9][0-9]_*.py"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
JUPYTEXT_METADATA = {
    "formats": "ipynb,py:percent",
    "notebook_metadata_filter": "-all",
    "cell_metadata_filter": "tags,-all",
}
# The student notebook's .py keeps the grading metadata (see module doc); the solution's does not.
STUDENT_JUPYTEXT_METADATA = {
    **JUPYTEXT_METADATA,
    "notebook_metadata_filter": "course,-all",
    "cell_metadata_filter": "tags,course,-all",
}
COURSE_KEY = "course"
EXECUTED_METADATA_KEYS = ("language_info", "widgets")
SOLUTION_TAG = "solution"
RAISES_TAG = "raises-exception"
ANSWER_PROMPT = "*Write your answer here, then compare with the solution notebook.*"

BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?: (?P<name>\S.*?))?[ \t]*$")
END_RE = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")
DEF_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<kind>async[ \t]+def|def|class)[ \t]+(?P<name>\w+)")
HEADER_RE = re.compile(r"^[ \t]*#[ \t]*%%")
# An unfilled template placeholder such as `{UVA}` or `{{ name }}`: a brace group holding one upper-case
# name (or a double-braced name), not written as a LaTeX argument (`\mathrm{KL}`, `x^{T}`, `W_{IN}`).
PLACEHOLDER_RE = re.compile(r"(?<![\w\\^_}])\{[A-Z][A-Z0-9_]+\}|\{\{[ \t]*\w+[ \t]*\}\}")


class AuthoringError(Exception):
    """A problem in a solution source, reported as `file:line: reason`."""

    def __init__(self, path: Path, line: int | None, reason: str):
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line if line is not None else '?'}: {reason}")


@dataclass
class Region:
    """One `# BEGIN SOLUTION` … `# END SOLUTION` region: cell line indices [begin, end] inclusive."""

    begin: int
    end: int
    indent: str
    name: str | None


@dataclass
class Source:
    """A parsed `solutions/NN_name.py`: its cells and the file line (1-based) of each cell's first line."""

    path: Path
    notebook: nbformat.NotebookNode
    first_lines: list[int | None]
    regions: dict[int, list[Region]] = field(default_factory=dict)
    exercises: dict[int, str] = field(default_factory=dict)

    def line_of(self, cell_index: int, line_in_cell: int) -> int | None:
        start = self.first_lines[cell_index]
        return None if start is None else start + line_in_cell


# 1. find_sources ------------------------------------------------------------------------------------


def find_sources(root: Path) -> list[Path]:
    """Every `solutions/NN_name.py` under `root`, sorted by name."""
    return sorted((root / "solutions").glob(SOURCE_PATTERN))


# 2. read_source -------------------------------------------------------------------------------------


def read_source(path: Path) -> Source:
    """Parse a percent-format source; map each cell to the file line right after its `# %%` header."""
    text = path.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="py:percent")
    headers = [number for number, line in enumerate(text.splitlines(), start=1) if HEADER_RE.match(line)]
    first_lines: list[int | None] = [None] * len(notebook.cells)
    if len(headers) == len(notebook.cells):
        first_lines = [header + 1 for header in headers]
    return Source(path=path, notebook=notebook, first_lines=first_lines)


# 3. find_regions ------------------------------------------------------------------------------------


def _within_edits(word: str, target: str, max_edits: int) -> bool:
    """True when `word` is at most `max_edits` insertions, deletions or substitutions from `target`."""
    if abs(len(word) - len(target)) > max_edits:
        return False
    previous = list(range(len(target) + 1))
    for i, char in enumerate(word, start=1):
        current = [i]
        for j, other in enumerate(target, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1] <= max_edits


def _is_solution_word(word: str) -> bool:
    return word.startswith("solu") or _within_edits(word, "solution", 2)


def _is_marker_verb(word: str) -> bool:
    if word in {"end", "stop", "hide"}:
        return True
    return any(_within_edits(word, verb, 1) for verb in ("begin", "start", "remove", "delete"))


def looks_like_marker(comment: str, anchored: bool = False) -> bool:
    """Fuzzy test for marker-like text: a begin/end/remove word together with a solution word, or `to_remove`.

    `anchored` (markdown lines) requires the two words to open the line, so prose mentioning "the
    solution at the end" is not flagged. Glued forms (`BEGINSOLUTION`, `endsolution`) count too.
    """
    lower = comment.lower()
    if re.search(r"\bto[_\-]?remove\b|\btoremove", lower) or re.search(r"(begin|end|start|stop)_?solu", lower):
        return True
    words = re.findall(r"[a-z]+", lower)
    if anchored:
        return len(words) >= 2 and _is_marker_verb(words[0]) and _is_solution_word(words[1])
    return any(map(_is_marker_verb, words)) and any(map(_is_solution_word, words))


def _comment_of(line: str) -> str | None:
    """The comment text of a code line (everything after the first `#`), or None."""
    position = line.find("#")
    return None if position < 0 else line[position:]


def _regions_of_code_cell(source: Source, index: int) -> list[Region]:
    lines = source.notebook.cells[index].source.splitlines()
    regions: list[Region] = []
    open_region: Region | None = None
    for number, line in enumerate(lines):
        where = source.line_of(index, number)
        begin, end = BEGIN_RE.match(line), END_RE.match(line)
        if begin:
            if open_region is not None:
                opened_at = source.line_of(index, open_region.begin)
                raise AuthoringError(
                    source.path, where, f"nested BEGIN SOLUTION: the region opened at line {opened_at} is still open"
                )
            open_region = Region(begin=number, end=-1, indent=begin["indent"], name=begin["name"])
        elif end:
            if open_region is None:
                raise AuthoringError(source.path, where, "END SOLUTION without a BEGIN SOLUTION before it in this cell")
            open_region.end = number
            regions.append(open_region)
            open_region = None
        else:
            comment = _comment_of(line)
            if comment is not None and looks_like_marker(comment):
                raise AuthoringError(
                    source.path,
                    where,
                    f"near-miss solution marker {comment.strip()!r}: write exactly '# BEGIN SOLUTION [name]' "
                    "or '# END SOLUTION' on a line of its own (or reword the comment)",
                )
    if open_region is not None:
        raise AuthoringError(
            source.path,
            source.line_of(index, open_region.begin),
            "unterminated region: BEGIN SOLUTION has no END SOLUTION in the same cell",
        )
    return regions


def _check_markdown_cell(source: Source, index: int) -> None:
    for number, line in enumerate(source.notebook.cells[index].source.splitlines()):
        placeholder = PLACEHOLDER_RE.search(line)
        if placeholder:
            raise AuthoringError(
                source.path,
                source.line_of(index, number),
                f"unfilled template placeholder {placeholder.group()!r} in a markdown cell: "
                "write the text it stands for",
            )
        if looks_like_marker(line.lstrip("#>*-` \t"), anchored=True):
            raise AuthoringError(
                source.path,
                source.line_of(index, number),
                "solution marker in a markdown cell: regions belong in code cells; "
                'tag a written answer as a cell instead: # %% [markdown] tags=["solution"]',
            )


def _check_raw_cell(source: Source, index: int) -> None:
    """Raw cells reach the student notebook verbatim, so any marker-like line in one would leak."""
    for number, line in enumerate(source.notebook.cells[index].source.splitlines()):
        comment = _comment_of(line)
        if looks_like_marker(line.lstrip("#>*-` \t"), anchored=True) or (
            comment is not None and looks_like_marker(comment)
        ):
            raise AuthoringError(
                source.path,
                source.line_of(index, number),
                f"solution marker in a raw cell ({line.strip()!r}): raw cells are copied to the student "
                "notebook unchanged; put exercise code in a code cell between # BEGIN SOLUTION / # END SOLUTION",
            )


def exercise_id(lines: list[str], region: Region, number: int) -> str:
    """The region's exercise id: its name, else the outermost def/class around it, else its number."""
    names, _ = _enclosing_names(lines, region.begin, region.indent)
    return region.name or (names[0] if names else str(number))


def _name_exercises(source: Source) -> None:
    """Fill `source.exercises` (cell index → exercise id); a cell's regions must all belong to one exercise."""
    number = 0
    for index, regions in source.regions.items():
        lines = source.notebook.cells[index].source.splitlines()
        ids = []
        for region in regions:
            number += 1
            ids.append(exercise_id(lines, region, number))
        if len(set(ids)) > 1:
            raise AuthoringError(
                source.path,
                source.line_of(index, regions[0].begin),
                f"one exercise per code cell: this cell's regions belong to {', '.join(map(repr, dict.fromkeys(ids)))}; "
                "split it into one cell per exercise (course-grade grades a cell as one exercise)",
            )
        if ids:
            source.exercises[index] = ids[0]


def find_regions(source: Source) -> Source:
    """Fill `source.regions` (cell index → regions) and `source.exercises` (cell index → exercise id);
    raise AuthoringError on any malformed marker."""
    for index, cell in enumerate(source.notebook.cells):
        if SOLUTION_TAG in cell.metadata.get("tags", []) and cell.cell_type != "markdown":
            raise AuthoringError(
                source.path,
                source.line_of(index, -1),
                f"a {cell.cell_type} cell is tagged 'solution': only markdown answers may be; "
                "mark exercise code with # BEGIN SOLUTION / # END SOLUTION instead",
            )
        if cell.cell_type == "code":
            source.regions[index] = _regions_of_code_cell(source, index)
        elif cell.cell_type == "markdown":
            _check_markdown_cell(source, index)
        elif cell.cell_type == "raw":
            _check_raw_cell(source, index)
    _name_exercises(source)
    return source


# 4. build_solution ----------------------------------------------------------------------------------


def _cell_id(cell: nbformat.NotebookNode, taken: set[str]) -> str:
    digest = hashlib.sha1(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:8]
    candidate, suffix = digest, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{digest}-{suffix}"
    taken.add(candidate)
    return candidate


def _clean_notebook(
    source: Source, cells: list[nbformat.NotebookNode], jupytext_metadata: dict
) -> nbformat.NotebookNode:
    """A notebook with the course and grading metadata, stable cell ids, and no outputs.

    `cells` correspond one to one to `source.notebook.cells` (the student's are transformed copies).
    """
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = nbformat.from_dict({
        COURSE_KEY: {"notebook": source.path.stem, "exercises": list(dict.fromkeys(source.exercises.values()))},
        "jupytext": dict(jupytext_metadata),
        "kernelspec": dict(KERNELSPEC),
    })
    taken: set[str] = set()
    for index, cell in enumerate(cells):
        metadata = {key: value for key, value in cell.metadata.items() if key != COURSE_KEY}
        if index in source.exercises:
            metadata[COURSE_KEY] = {"exercise": source.exercises[index]}
        fresh = nbformat.from_dict({"cell_type": cell.cell_type, "metadata": metadata, "source": cell.source})
        if cell.cell_type == "code":
            fresh.outputs, fresh.execution_count = [], None
        fresh.id = _cell_id(fresh, taken)
        notebook.cells.append(fresh)
    return notebook


def keep_stored_outputs(notebook: nbformat.NotebookNode, stored: nbformat.NotebookNode | None) -> None:
    """Copy outputs from `stored` for the leading code cells whose source is unchanged (see module doc)."""
    if stored is None:
        return
    fresh_code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    stored_code = [cell for cell in stored.cells if cell.cell_type == "code"]
    kept = 0
    for fresh, old in zip(fresh_code, stored_code, strict=False):
        if fresh.source != old.source:
            break
        fresh.outputs = old.get("outputs", [])
        fresh.execution_count = old.get("execution_count")
        kept += 1
    if kept:
        for key in EXECUTED_METADATA_KEYS:
            if key in stored.metadata:
                notebook.metadata[key] = stored.metadata[key]


def read_stored(path: Path) -> nbformat.NotebookNode | None:
    """The stored executed notebook at `path`, or None when it is missing or unreadable."""
    if not path.exists():
        return None
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:
        print(f"{path}: unreadable ({error}); its outputs are dropped", file=sys.stderr)
        return None


def build_solution(source: Source, stored: nbformat.NotebookNode | None) -> nbformat.NotebookNode:
    """The solution notebook: every source cell, plus the still-valid stored outputs."""
    notebook = _clean_notebook(source, list(source.notebook.cells), JUPYTEXT_METADATA)
    keep_stored_outputs(notebook, stored)
    return notebook


# 5. build_student -----------------------------------------------------------------------------------


def _enclosing_names(lines: list[str], begin: int, indent: str) -> tuple[list[str], bool]:
    """Names of the def/class blocks around line `begin` (outermost first), and whether one is a def."""
    names: list[str] = []
    inside_def = False
    level = len(indent.expandtabs())
    for line in reversed(lines[:begin]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        line_level = len(line) - len(line.lstrip())
        if line_level >= level:
            continue
        level = line_level
        header = DEF_RE.match(line)
        if header:
            names.insert(0, header["name"])
            inside_def = inside_def or header["kind"] != "class"
        if level == 0:
            break
    return names, inside_def


def _stub_cell(cell: nbformat.NotebookNode, regions: list[Region], counter: int) -> tuple[nbformat.NotebookNode, int]:
    lines = cell.source.splitlines()
    kept: list[str] = []
    raises_at_run_time = False
    position = 0
    for region in regions:
        kept.extend(lines[position : region.begin])
        names, inside_def = _enclosing_names(lines, region.begin, region.indent)
        counter += 1
        name = region.name or ".".join(names) or str(counter)
        message = json.dumps(f"Exercise: {name}", ensure_ascii=False)
        kept.append(f"{region.indent}raise NotImplementedError({message})")
        raises_at_run_time = raises_at_run_time or not inside_def
        position = region.end + 1
    kept.extend(lines[position:])
    stub = nbformat.from_dict({"cell_type": "code", "metadata": dict(cell.metadata), "source": "\n".join(kept)})
    if raises_at_run_time:
        tags = list(stub.metadata.get("tags", []))
        stub.metadata["tags"] = tags if RAISES_TAG in tags else [*tags, RAISES_TAG]
    return stub, counter


def build_student(source: Source) -> nbformat.NotebookNode:
    """The student notebook: regions stubbed, solution answers replaced by a prompt, no outputs."""
    cells: list[nbformat.NotebookNode] = []
    counter = 0
    for index, cell in enumerate(source.notebook.cells):
        if cell.cell_type == "markdown" and SOLUTION_TAG in cell.metadata.get("tags", []):
            cells.append(nbformat.v4.new_markdown_cell(ANSWER_PROMPT))
        elif source.regions.get(index):
            stub, counter = _stub_cell(cell, source.regions[index], counter)
            cells.append(stub)
        else:
            cells.append(cell)
    return _clean_notebook(source, cells, STUDENT_JUPYTEXT_METADATA)


# 6. check_student_code ------------------------------------------------------------------------------


def _compilable(code: str) -> str:
    """`code` with IPython magics and shell lines (`%…`, `!…`) replaced by `pass` at the same indentation."""
    lines = []
    for line in code.splitlines():
        stripped = line.lstrip()
        lines.append(line[: len(line) - len(stripped)] + "pass" if stripped[:1] in {"%", "!"} else line)
    return "\n".join(lines) + "\n"


def _syntax_error(code: str) -> SyntaxError | None:
    try:
        compile(_compilable(code), "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as error:
        return error
    return None


def check_student_code(source: Source, student: nbformat.NotebookNode) -> None:
    """Raise AuthoringError when a solution cell, or the stub made from it, is not valid Python."""
    student_cells = iter(student.cells)
    for index, cell in enumerate(source.notebook.cells):
        generated = next(student_cells)
        if cell.cell_type != "code":
            continue
        error = _syntax_error(cell.source)
        if error is not None:
            where = source.line_of(index, (error.lineno or 1) - 1)
            raise AuthoringError(source.path, where, f"invalid Python in the solution: {error.msg}")
        error = _syntax_error(generated.source)
        if error is not None:
            first_region = source.regions[index][0]
            raise AuthoringError(
                source.path,
                source.line_of(index, first_region.begin),
                f"the student stub would be invalid Python ({error.msg}): a region must cover whole "
                "statements, e.g. a function body",
            )


# 7. render ------------------------------------------------------------------------------------------


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The .ipynb text, as Jupyter writes it (sorted keys, one-space indent, final newline)."""
    return nbformat.writes(notebook, version=4) + "\n"


def percent_text(notebook: nbformat.NotebookNode) -> str:
    """The jupytext percent-format text, without a YAML header."""
    return jupytext.writes(notebook, fmt="py:percent")


def generated_paths(root: Path, source_path: Path) -> tuple[Path, Path, Path]:
    """(solutions/NN_name.ipynb, notebooks/NN_name.py, notebooks/NN_name.ipynb) for one source."""
    student_path = root / "notebooks" / source_path.name
    return source_path.with_suffix(".ipynb"), student_path, student_path.with_suffix(".ipynb")


def render(root: Path, source_path: Path) -> dict[Path, str]:
    """Generated path → exact text, for one solution source."""
    source = find_regions(read_source(source_path))
    student = build_student(source)
    check_student_code(source, student)
    solution_path, student_py, student_ipynb = generated_paths(root, source_path)
    return {
        solution_path: notebook_text(build_solution(source, read_stored(solution_path))),
        student_py: percent_text(student),
        student_ipynb: notebook_text(student),
    }


def render_all(root: Path, sources: list[Path]) -> tuple[dict[Path, str], list[str]]:
    """Every generated file's text, and every authoring error (`solutions/NN_name.py:line: reason`)."""
    files: dict[Path, str] = {}
    errors: list[str] = []
    for source_path in sources:
        try:
            files.update(render(root, source_path))
        except AuthoringError as error:
            line = error.line if error.line is not None else "?"
            errors.append(f"{_relative(root, error.path)}:{line}: {error.reason}")
    return files, errors


def stale_files(root: Path) -> list[Path]:
    """Generated-looking files with no solution source (a renamed or deleted solutions/*.py)."""
    expected = {path for source in find_sources(root) for path in generated_paths(root, source)}
    candidates = [*(root / "notebooks").glob("*.py"), *(root / "notebooks").glob("*.ipynb")]
    candidates += list((root / "solutions").glob("*.ipynb"))
    return sorted(path for path in candidates if path not in expected)


def _relative(root: Path, path: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


# 8. write_files / compare_with_disk -----------------------------------------------------------------


def write_files(root: Path, files: dict[Path, str], remove_stale: bool) -> None:
    """Write every file whose text changed; remove student files whose source is gone.

    A solutions/*.ipynb without a .py is only reported: it may be someone's work in progress.
    """
    for path, text in files.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {_relative(root, path)}")
    for path in stale_files(root) if remove_stale else []:
        if path.parent.name == "notebooks":
            path.unlink()
            print(f"removed {_relative(root, path)} (no solutions/{path.stem}.py)")
        else:
            print(f"warning: {_relative(root, path)} has no solutions/{path.stem}.py; left in place", file=sys.stderr)


def compare_with_disk(root: Path, files: dict[Path, str], check_stale: bool) -> list[str]:
    """One line per generated file that is missing or differs on disk, or has no source."""
    problems = []
    for path, text in files.items():
        if not path.exists():
            problems.append(f"{_relative(root, path)}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{_relative(root, path)}: differs from what solutions/{path.stem}.py generates")
    for path in stale_files(root) if check_stale else []:
        problems.append(f"{_relative(root, path)}: no source solutions/{path.stem}.py")
    return problems


def select_sources(root: Path, names: list[str]) -> list[Path]:
    """All solution sources, or those whose stem (`02_initialization`) or file name is in `names`."""
    sources = find_sources(root)
    if not names:
        return sources
    wanted = {Path(name).stem for name in names}
    unknown = wanted - {path.stem for path in sources}
    if unknown:
        raise SystemExit(f"no solutions/<name>.py for: {', '.join(sorted(unknown))}")
    return [path for path in sources if path.stem in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="only these notebooks, e.g. 02_initialization (default: all)")
    parser.add_argument("--check", action="store_true", help="fail if any generated file is out of date")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help="repository root")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    files, errors = render_all(root, select_sources(root, args.names))
    if args.check:
        problems = compare_with_disk(root, files, check_stale=not args.names)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print("notebooks are out of date: run make notebooks", file=sys.stderr)
    else:
        problems = []
        write_files(root, files, remove_stale=not args.names)
    if errors:
        print("\n".join(errors), file=sys.stderr)
    if errors or problems:
        return 1
    if args.check:
        print(f"{len(files)} generated notebook files up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
