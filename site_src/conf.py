"""Sphinx configuration of the course website; tools/build_site.py runs Sphinx with it (make site).

The build passes its settings through the environment: COURSE_SITE_EDITION (public|instructor),
COURSE_SITE_MODE (full|quick), COURSE_SITE_ASSETS (the bundled widget renderer and MathJax),
COURSE_SITE_ALT_TEXT (image hash → text alternative), COURSE_SITE_REPOSITORY and COURSE_SITE_BRANCH
(the repository setting of pyproject.toml, see tools.links; a build that passes none, e.g. a plain
sphinx-build, reads the same setting here). Nothing here loads from a CDN: MathJax and the widget
renderer are served from _static, and the notebooks are rendered from their stored outputs (myst-nb
executes nothing).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

from tools.links import repository  # noqa: E402  (the repository root is on the path only from here)

EDITION = os.environ.get("COURSE_SITE_EDITION", "public")
REPOSITORY = os.environ.get("COURSE_SITE_REPOSITORY") or repository(HERE.parent)
BRANCH = os.environ.get("COURSE_SITE_BRANCH", "main")
ASSETS = os.environ.get("COURSE_SITE_ASSETS", str(HERE.parent / "build" / "site" / "assets"))

project = "Initialization & Optimization for deep learning"
author = "the course authors"
copyright = "the course authors; text and figures CC BY-SA 4.0, code MIT"
language = "en"

extensions = ["myst_nb", "sphinx.ext.githubpages", "course_site"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "_alt_text.json"]

# Notebooks: rendered from the outputs tools/build_site.py stored, never executed by myst-nb.
nb_execution_mode = "off"
nb_output_stderr = "show"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "html_image"]
myst_heading_anchors = 3
# The widget renderer: @jupyter-widgets/html-manager bundled by site_src/build_js.mjs (no RequireJS, no CDN).
nb_ipywidgets_js = {"course-widgets.js": {"defer": "defer"}}

# Math from the local MathJax copy in _static/mathjax (npm package mathjax, pinned in package-lock.json).
mathjax_path = "mathjax/tex-chtml.js"

html_theme = "sphinx_book_theme"
html_title = "Initialization & Optimization" + (" (instructor edition)" if EDITION == "instructor" else "")
html_static_path = [ASSETS, str(HERE / "_static")]
html_css_files = ["course-widgets.css", "course-site.css"]
html_js_files = ["course-site.js"]
html_sourcelink_suffix = ""
html_show_sourcelink = False
html_copy_source = True
html_last_updated_fmt = None
# The reader's light/dark choice is kept; the first visit starts in the theme's light mode.
html_context = {"default_mode": "light"}
html_theme_options = {
    "repository_url": f"https://github.com/{REPOSITORY}",
    "repository_branch": BRANCH,
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
}
if EDITION == "instructor":
    html_theme_options["announcement"] = "Instructor edition with the exercise solutions: do not publish."
