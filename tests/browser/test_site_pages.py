"""What a reader of the course website sees, offline: every chapter opened in Chromium from a local
HTTP server with every other address blocked.

One browser, one context for all chapters (the ``public_site`` fixture builds the site once per
session). Per chapter: no console error and no uncaught page error, no request to another site, every
widget view of the page rendered from the stored widget state, every demo's plot decoded and painted
with a text alternative, and the page's math typeset by the local MathJax; and the offline full-text
search finds a chapter. Screenshots of each chapter's first demo go to ``test-artifacts/site/``.

Responding demos: on a chapter whose demo has precomputed frames, the demo's slider is focused and
moved with the ArrowRight key, and the plot becomes the frame of the new setting (its src and alt, as
the page's frame manifest gives them), still offline.

Accessibility: axe-core's WCAG 2.0/2.1 A and AA rules run on every page of both editions, in the
theme's light and dark mode (``tests/browser/axe.py``); a violation fails unless ``site_src/A11Y.md``
lists it. Dark-mode screenshots of each chapter's first demo go to the same folder.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.site_support import read_page

from .axe import COLOUR_RULES, Listed, run_axe
from .lab_driver import CHROMIUM, CHROMIUM_ARGS, require_browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "site"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE_STATE_JS = """
() => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  const rendered = document.querySelectorAll('.widget-subarea').length;
  const images = Array.from(document.querySelectorAll('.widget-subarea img')).map(image => ({
    alt: image.alt || '', width: image.naturalWidth, complete: image.complete,
  }));
  const demos = Array.from(document.querySelectorAll('.widget-subarea .widget-interact')).map(demo => ({
    sliders: demo.querySelectorAll('.widget-slider, .noUi-target').length,
    images: demo.querySelectorAll('img').length,
  }));
  return {
    views, rendered, images, demos,
    hasState: document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]') !== null,
    widgetsDone: document.documentElement.dataset.widgetsRendered === 'true',
    mathSource: document.querySelectorAll('span.math, div.math').length,
    mathRendered: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    brokenImages: Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0).map(i => i.src.slice(-60)),
  };
}
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """A local HTTP server for ``folder``; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def offline_context(browser, base: str, outside: list[str]):
    """A browser context that reaches only ``base`` (other requests are recorded in ``outside`` and aborted)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def only_local(route):
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    return context


@pytest.fixture(scope="module")
def chromium():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def site_browser(public_site, chromium):
    """(base URL, browser context with the network blocked, attempted outside requests) for the public site."""
    outside: list[str] = []
    with serve(public_site.html) as base:
        context = offline_context(chromium, base, outside)
        try:
            yield base, context, outside
        finally:
            context.close()


def open_page(context, url: str) -> tuple[object, list[str]]:
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto(url, wait_until="load")
    return page, errors


def wait_until_drawn(page) -> dict:
    """Wait until the page's widgets are drawn from their stored state and its math is typeset; its state."""
    state = page.evaluate(PAGE_STATE_JS)
    if state["hasState"]:
        page.wait_for_function("document.documentElement.dataset.widgetsRendered === 'true'")
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.widget-subarea img')).every(i => i.complete)")
    if state["mathSource"]:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
    return page.evaluate(PAGE_STATE_JS)


def test_every_chapter_shows_its_demos_plots_offline(public_site, site_browser):
    base, context, outside = site_browser
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems, demo_plots = [], 0
    pages = ["index.html", "references.html"] + [
        public_site.chapter(notebook).relative_to(public_site.html).as_posix() for notebook in public_site.notebooks
    ]
    for relative in pages:
        if not (public_site.html / relative).exists():
            continue
        page, errors = open_page(context, f"{base}/{relative}")
        try:
            state = wait_until_drawn(page)
            where = relative
            problems += [f"{where}: {error}" for error in errors]
            if state["rendered"] != state["views"]:
                problems.append(f"{where}: {state['rendered']} of {state['views']} widget views rendered")
            for demo_number, demo in enumerate(state["demos"], start=1):
                if demo["sliders"] and not demo["images"]:
                    problems.append(f"{where}: demo #{demo_number} has sliders but shows no plot")
            for image in state["images"]:
                if not image["width"]:
                    problems.append(f"{where}: a widget plot did not decode")
                if len(image["alt"].strip()) < 8:
                    problems.append(f"{where}: a widget plot has no text alternative ({image['alt']!r})")
            demo_plots += len(state["images"])
            if state["brokenImages"]:
                problems.append(f"{where}: images that did not load: {state['brokenImages']}")
            if state["mathSource"] and (not state["mathRendered"] or state["mathErrors"]):
                problems.append(f"{where}: math not typeset ({state['mathRendered']} rendered, "
                                f"{state['mathErrors']} errors, {state['mathSource']} formulas)")
            if state["images"]:
                first = page.locator(".widget-subarea img").first
                first.scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / f"{Path(relative).stem}-widget.png"))
        finally:
            page.close()
    assert not outside, f"pages asked for outside resources: {sorted(set(outside))[:20]}"
    assert not problems, "\n".join(problems)
    assert demo_plots > 0, "no chapter showed a demo's plot"


def test_a_blocked_request_and_a_script_error_would_be_caught(public_site, site_browser):
    """The checks above can fail: an outside image is blocked and recorded, a thrown error is seen."""
    base, context, outside = site_browser
    page, errors = open_page(context, f"{base}/index.html")
    try:
        before = len(outside)
        page.evaluate("""() => new Promise(resolve => {
            const image = new Image(); image.onerror = resolve; image.onload = resolve;
            image.src = 'https://cdn.jsdelivr.net/npm/nothing.png';
        })""")
        page.evaluate("() => setTimeout(() => { throw new Error('deliberate'); }, 0)")
        page.wait_for_timeout(200)
        assert outside[before:] == ["https://cdn.jsdelivr.net/npm/nothing.png"]
        assert any("deliberate" in error for error in errors), errors
    finally:
        del outside[before:]
        page.close()


def test_full_text_search_finds_a_chapter(public_site, site_browser):
    """Sphinx's offline search: a word of the first chapter's title finds that chapter."""
    base, context, _ = site_browser
    first = public_site.notebooks[0]
    title = read_page(public_site.chapter(first)).headings[0][1]
    word = max(re.findall(r"[A-Za-z]{4,}", title), key=len)
    page, errors = open_page(context, f"{base}/search.html?q={word}")
    try:
        page.wait_for_function("() => document.querySelectorAll('#search-results li').length > 0")
        links = page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.href)")
        assert any(first.stem in link for link in links), links
        assert not errors, errors
    finally:
        page.close()


# The theme's own colour-mode menu item "dark" (pydata-sphinx-theme's setTheme), then two frames.
DARK_THEME_JS = """
() => new Promise(resolve => {
  document.querySelector('.theme-change-button[data-mode="dark"]').click();
  setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(
    () => resolve(document.documentElement.dataset.theme))), 300);
})
"""


@pytest.mark.parametrize("edition", ["public", "instructor"])
def test_axe_finds_no_unlisted_wcag_violation_on_any_page_in_either_theme(edition, request, chromium):
    """axe-core's WCAG 2.0/2.1 A and AA rules on every page of the edition in the light theme, each page
    drawn first (widgets, math); then the page is switched to the dark theme with the theme's own
    colour-mode menu and checked again with the rules that depend on colour (the markup is the same). A violation fails unless site_src/A11Y.md lists it. A screenshot of each
    chapter's first demo in the dark theme goes to the artifacts."""
    site = request.getfixturevalue(f"{edition}_site")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found, outside = [], []
    with serve(site.html) as base:
        context = offline_context(chromium, base, outside)
        try:
            for path in site.pages():
                relative = path.relative_to(site.html).as_posix()
                page, _ = open_page(context, f"{base}/{relative}")
                try:
                    state = wait_until_drawn(page)
                    found += [f"{edition} light {relative}: {violation}" for violation in run_axe(page, "site")]
                    assert page.evaluate(DARK_THEME_JS) == "dark", relative
                    found += [f"{edition} dark {relative}: {violation}"
                              for violation in run_axe(page, "site", rules=COLOUR_RULES)]
                    if state["images"]:
                        page.locator(".widget-subarea img").first.scroll_into_view_if_needed()
                        page.screenshot(path=str(ARTIFACTS / f"{edition}-{path.stem}-dark-widget.png"))
                finally:
                    page.close()
        finally:
            context.close()
    assert not outside, sorted(set(outside))[:20]
    assert not found, "\n".join(found)


def test_axe_would_catch_an_unlisted_violation(site_browser):
    """The check can fail: an image without a text alternative and grey-on-white text are reported, and
    a row of A11Y.md covers only the elements it names."""
    base, context, _ = site_browser
    page, _ = open_page(context, f"{base}/index.html")
    try:
        page.evaluate("""() => {
            const main = document.querySelector('main') || document.body;
            main.insertAdjacentHTML('afterbegin',
              '<img id="planted-image" src="_static/nothing.png">' +
              '<p id="planted-text" style="color:#ddd;background:#fff">faint words</p>');
        }""")
        rules = {(violation.rule, violation.target) for violation in run_axe(page, "site")}
        assert ("image-alt", "#planted-image") in rules, rules
        assert ("color-contrast", "#planted-text") in rules, rules
        listed = [Listed("image-alt", "main", "site", "planted"), Listed("color-contrast", "main", "jupyterlab", "")]
        rules = {(violation.rule, violation.target) for violation in run_axe(page, "site", listed=listed)}
        assert ("image-alt", "#planted-image") not in rules and ("color-contrast", "#planted-text") in rules, rules
        elsewhere = [Listed("image-alt", "footer", "site", "")]
        assert ("image-alt", "#planted-image") in {(v.rule, v.target) for v in run_axe(page, "site", listed=elsewhere)}
    finally:
        page.close()


def stored_widget_states(html_text: str) -> dict[str, dict]:
    """{model id: widget state} from the page's stored widget state."""
    states = {}
    for block in re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html_text,
                            re.DOTALL):
        states.update({model_id: model["state"] for model_id, model in json.loads(block)["state"].items()})
    return states


def framed_demo(public_site) -> tuple[str, dict, dict]:
    """(chapter path, frame manifest, stored widget states) of the first demo with frames whose first control
    is a slider."""
    for notebook in public_site.notebooks:
        path = public_site.chapter(notebook)
        text = path.read_text(encoding="utf-8")
        states = stored_widget_states(text)
        for block in re.findall(r'<script type="application/json" data-course-frames="[0-9a-f]+">(.*?)</script>', text,
                                re.DOTALL):
            manifest = json.loads(block)
            if "Slider" in states[manifest["controls"][0]["model_id"]]["_model_name"]:
                return path.relative_to(public_site.html).as_posix(), manifest, states
    raise AssertionError("no chapter has a demo with frames whose first control is a slider")


def test_a_demo_with_frames_answers_its_slider_from_the_keyboard_offline(public_site, site_browser):
    """Focus the demo's slider, press ArrowRight: the plot's src and alt become the frame of the next
    setting of that slider (the other controls where they were), the live region names it, the image
    loads, and no request leaves the local site."""
    base, context, outside = site_browser
    relative, manifest, states = framed_demo(public_site)
    controls = manifest["controls"]
    start = [control["keys"].index(states[control["model_id"]]["index" if control["kind"] == "index" else "value"])
             for control in controls]
    step = 1 if start[0] + 1 < len(controls[0]["keys"]) else -1
    moved = [start[0] + step, *start[1:]]
    position = 0
    for control, index in zip(controls, moved, strict=True):
        position = position * len(control["keys"]) + index
    file, alt = manifest["frames"][position]
    page, errors = open_page(context, f"{base}/{relative}")
    try:
        wait_until_drawn(page)
        host = page.locator(f'.widget-subarea[data-course-frames="{manifest["demo"]}"]').first
        host.wait_for()
        image = host.locator("img").first
        before = (image.get_attribute("src"), image.get_attribute("alt"))
        label = controls[0]["label"]
        handle = host.get_by_role("slider", name=label)
        handle.focus()
        assert handle.evaluate("element => element === document.activeElement && element.tabIndex >= 0")
        page.keyboard.press("ArrowRight" if step == 1 else "ArrowLeft")
        expected_src = f"{base}/{relative.rsplit('/', 1)[0]}/{manifest['base']}{file}"
        page.wait_for_function("([image, src]) => image.src === src && image.complete && image.naturalWidth > 0",
                               arg=[image.element_handle(), str(page.evaluate("u => new URL(u).href", expected_src))])
        assert (image.get_attribute("src"), image.get_attribute("alt")) != before
        assert image.get_attribute("alt") == alt
        status = host.locator(".course-frame-status")
        assert status.get_attribute("aria-live") == "polite"
        assert f"{label} = {controls[0]['labels'][moved[0]]}" in status.text_content()
        assert not errors, errors
    finally:
        page.close()
    assert not outside, sorted(set(outside))[:20]
