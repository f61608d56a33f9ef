"""Exercises that carry over between notebooks: a later notebook builds on the student's earlier answer.

Notebook 03 asks for ``Adam``; notebook 05 subclasses it into ``AdamW``. The student's Adam lives in
notebook 03's kernel, so notebook 03 stores its source right after the check, and notebook 05 reloads it:

1. ``save_passed(name, obj, passed)``: when ``passed``, write the source of ``obj`` (a function or a
   class) to ``checkpoint_dir()/exercises/<name>.py``, preceded by the imports it needs and the notebook's
   own functions and classes it uses (``saved_text``); when not, remove an older file, so a later notebook never uses an answer that no
   longer passes. Silent on success; one line if the source cannot be saved. Never raises.
2. ``load_passed(name, check, reference)``: execute that file in a fresh namespace, run ``check`` on the
   object silently, and return it only if it passes; otherwise return ``reference``. Prints one line
   saying which it returns and why (no file yet, the file does not run, the check fails). Never raises.

Finding the source: ``inspect.getsource`` works for functions defined in a Jupyter cell (IPython puts
every cell's text in ``linecache`` under the code's ``co_filename``), but for a class on Python ≤ 3.12
it asks the class's module for its file, and ``__main__`` in a kernel has none. So for a class we take
the file name and line from one of its methods' ``__code__`` and cut the ``class Name`` block out of the
lines that ``linecache`` holds for it.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import linecache
import re
import sys
import textwrap
import types
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from course_lib import config

T = TypeVar("T")
EXERCISE_DIR = "exercises"
HEADER = "# Saved by course_lib.carry_over.save_passed: the {name} that passed its check in an earlier notebook.\n"
SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONSTANT_TYPES = (bool, int, float, complex, str, bytes, type(None))


def exercise_path(name: str) -> Path:
    """``<checkpoint_dir>/exercises/<name>.py`` (the directory is not created)."""
    if not SAFE_NAME.match(str(name)):
        raise ValueError(f"an exercise name must be a Python identifier, got {name!r}")
    return config.checkpoint_dir(create=False) / EXERCISE_DIR / f"{name}.py"


# 1. Saving ------------------------------------------------------------------------------------------


def _block_at(lines: list[str], start: int) -> str:
    """The statement starting at ``lines[start]`` with every following line that is blank or indented deeper."""
    first = lines[start]
    indent = len(first) - len(first.lstrip())
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return textwrap.dedent("".join(lines[start:end]))


def _decorator_start(lines: list[str], start: int) -> int:
    """Move ``start`` up over decorator lines (``@…``) directly above it."""
    while start > 0 and lines[start - 1].lstrip().startswith("@"):
        start -= 1
    return start


def _method_codes(cls: type) -> list[types.CodeType]:
    """The code objects of the functions defined in the class body (properties and static methods included)."""
    codes = []
    for value in vars(cls).values():
        function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        code = getattr(function, "__code__", None)
        if isinstance(code, types.CodeType):
            codes.append(code)
    return codes


def _class_source(cls: type) -> str:
    """The ``class Name`` block that defines ``cls``, found through its methods' file names in linecache."""
    pattern = re.compile(rf"^\s*class\s+{re.escape(cls.__name__)}\b")
    for code in _method_codes(cls):
        lines = linecache.getlines(code.co_filename)
        method_line = code.co_firstlineno - 1
        candidates = [number for number, line in enumerate(lines[: method_line + 1]) if pattern.match(line)]
        for start in reversed(candidates):
            source = _block_at(lines, start)
            if start + source.count("\n") + 1 > method_line:
                return _block_at(lines, _decorator_start(lines, start))
    raise OSError(f"the source of class {cls.__name__} is not available (define it in a cell or a file)")


def find_source(obj: object) -> str:
    """The source text of a function or class, dedented; works for code defined in Jupyter cells.

    Raises OSError/TypeError when there is none (a built-in, a lambda typed at a prompt that is gone).
    """
    if inspect.isclass(obj):
        try:
            return textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError):
            return _class_source(obj)
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        return textwrap.dedent(inspect.getsource(obj))
    raise TypeError(f"expected a function or a class, got {type(obj).__name__}")


def _names_used(source: str) -> set[str]:
    """Every bare name the source reads (``Name`` nodes: globals, builtins and locals alike)."""
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def _defining_namespace(obj: object) -> dict:
    """The globals ``obj`` was defined in: a function's ``__globals__``; for a class, its methods' globals
    (in a kernel, the notebook's namespace), else its module's dictionary."""
    if inspect.isclass(obj):
        for value in vars(obj).values():
            function = getattr(value, "__func__", value)
            if inspect.isfunction(function):
                return function.__globals__
        module = sys.modules.get(obj.__module__)
        return vars(module) if module is not None else {}
    return getattr(getattr(obj, "__func__", obj), "__globals__", {})


def _import_line(name: str, value: object) -> str | None:
    """A line that gives ``name`` the same ``value`` in a fresh namespace, or None when there is none."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
        if name == module:
            return f"import {module}"
        parent, _, child = module.rpartition(".")
        return f"from {parent} import {child}" if child == name and parent else f"import {module} as {name}"
    module_name, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if module_name and module_name != "__main__" and qualname and "." not in qualname and "<" not in qualname:
        if getattr(sys.modules.get(module_name), qualname, None) is value:
            return f"from {module_name} import {qualname}" + ("" if name == qualname else f" as {name}")
    if isinstance(value, CONSTANT_TYPES):
        return f"{name} = {value!r}"
    return None


def _defined_here(value: object) -> bool:
    """True for a function or class written in the notebook (or script) itself, whose source must travel."""
    return (inspect.isfunction(value) or inspect.isclass(value)) and getattr(value, "__module__", "") == "__main__"


def saved_text(name: str, obj: object) -> str:
    """The file ``save_passed`` writes: the imports the code needs, the sources of the notebook's own
    functions and classes it uses (first), then the source of ``obj``.

    A global name that is neither importable, a constant, nor defined in the notebook is left out;
    running the file (or the check) then fails with a NameError, which ``load_passed`` reports.
    """
    imports: list[str] = []
    sources: list[str] = []
    seen: set[int] = set()

    def collect(item: object) -> None:
        seen.add(id(item))
        source = find_source(item)
        namespace = _defining_namespace(item)
        for used in sorted(_names_used(source)):
            if used not in namespace or used == getattr(item, "__name__", None):
                continue
            value = namespace[used]
            if _defined_here(value):
                if id(value) not in seen:
                    collect(value)
                continue
            line = _import_line(used, value)
            if line is not None and line not in imports:
                imports.append(line)
        sources.append(source.rstrip() + "\n")

    collect(obj)
    imports.sort(key=lambda line: not line.startswith(("import ", "from ")))
    return HEADER.format(name=name) + "".join(f"{line}\n" for line in imports) + "\n\n" + "\n\n".join(sources)


def save_passed(name: str, obj: object, passed: bool) -> None:
    """Store ``obj``'s source as ``<checkpoint_dir>/exercises/<name>.py`` (``exercise_path``) when ``passed``;
    else remove that file. Prints one line only when the source cannot be saved; returns nothing, so a
    notebook cell that ends with it shows nothing either.
    """
    try:
        path = exercise_path(name)
        if not passed:
            path.unlink(missing_ok=True)
            return
        text = saved_text(name, obj)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except Exception as error:  # saving is a convenience: it must never stop the notebook
        print(f"Could not save your {name} for later notebooks ({type(error).__name__}: "
              f"{' '.join(str(error).split())[:160]}); they will use course_lib's.")


# 2. Loading -----------------------------------------------------------------------------------------


def _load(name: str) -> tuple[object | None, str]:
    """(the object defined by the saved file, '') or (None, why not)."""
    path = exercise_path(name)
    if not path.is_file():
        return None, "no saved answer was found (it is saved when its check passes)"
    try:
        text = path.read_text(encoding="utf-8")
        code = compile(text, str(path), "exec")
        namespace: dict = {"__name__": f"course_lib_carry_over_{name}", "__file__": str(path)}
        linecache.cache[str(path)] = (len(text), None, text.splitlines(keepends=True), str(path))
        exec(code, namespace)
    except Exception as error:
        return None, f"the saved file does not run ({type(error).__name__}: {' '.join(str(error).split())[:120]})"
    if name not in namespace:
        return None, f"the saved file defines no {name}"
    return namespace[name], ""


def load_passed(name: str, check: Callable[[object], bool], reference: T, where: str = "an earlier notebook") -> T:
    """The student's ``name`` saved by ``save_passed`` if it still passes ``check`` (run silently), else
    ``reference``; prints one line saying which and why. Never raises."""
    try:
        answer, reason = _load(name)
        if answer is not None:
            with contextlib.redirect_stdout(io.StringIO()) as verdict:
                passed = bool(check(answer))
            if passed:
                print(f"Using your {name} from {where} (it passes its check again).")
                return answer
            said = verdict.getvalue().strip().splitlines()
            reason = "it no longer passes its check" + (f": {said[0]}" if said else "")
    except Exception as error:  # a broken check or file system must not stop the notebook
        reason = f"loading it failed ({type(error).__name__}: {' '.join(str(error).split())[:120]})"
    print(f"Using course_lib's {getattr(reference, '__name__', name)}, because for your {name} from {where} "
          f"{reason}.")
    return reference
