"""Exercise answers cut out of ``solutions/*.py``, the one source the notebooks are generated from, so tests
follow the exercise as it is handed out and solved instead of keeping a copy of their own."""

from __future__ import annotations

import ast
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def class_source(notebook: str, name: str) -> str:
    """The source of the top-level class ``name`` of ``solutions/<notebook>.py``."""
    text = (SOLUTIONS / f"{notebook}.py").read_text(encoding="utf-8")
    (node,) = [node for node in ast.parse(text).body if isinstance(node, ast.ClassDef) and node.name == name]
    return ast.get_source_segment(text, node)
