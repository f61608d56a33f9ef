"""Sphinx extension of the course site: every image gets the text alternative the build recorded.

tools/build_site.py writes `_alt_text.json` ({sha256 of the image bytes: description}) next to the
staged notebooks; myst-nb names each image output after the same sha256, so an image node's file
name finds its description. An image without one keeps what the page gave it, and the site tests
fail on a missing or generic alt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from docutils import nodes


def _alt_texts(app) -> dict[str, str]:
    if not hasattr(app, "_course_alt_texts"):
        path = Path(os.environ.get("COURSE_SITE_ALT_TEXT", Path(app.srcdir) / "_alt_text.json"))
        app._course_alt_texts = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return app._course_alt_texts


def describe_images(app, doctree) -> None:
    texts = _alt_texts(app)
    for image in doctree.findall(nodes.image):
        key = Path(str(image.get("uri", ""))).stem
        if key in texts and not image.get("alt"):
            image["alt"] = texts[key]


def setup(app):
    app.connect("doctree-read", describe_images)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
