"""axe-core in the browser tests: run the WCAG 2.0/2.1 A and AA rules on a page, compare with what
``site_src/A11Y.md`` lists as not fixable here.

- ``axe_source()``: axe-core's script, the npm package pinned in ``site_src/package-lock.json``
  (installed by the same ``npm ci`` as the site's other JavaScript, ``tools.build_site``);
- ``run_axe(page, place, include)``: inject it, run the WCAG A/AA rules on the page (or only inside
  the elements matching the CSS selector ``include``) and return the violations, one per rule and
  element, that ``site_src/A11Y.md`` does not list for ``place`` ("site" or "jupyterlab");
- ``listed_exceptions()``: that file's table (rule id, the CSS selector of the third-party component,
  where, why). A row covers only elements inside the component it names, never a whole page.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
A11Y_FILE = REPO / "site_src" / "A11Y.md"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The WCAG A/AA rules whose outcome depends on colours alone: all a page's other theme needs to be
# checked against, its markup being the same.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
PLACES = ("site", "jupyterlab")
TABLE_ROW = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|\s*`([^`]+)`\s*\|\s*(site|jupyterlab)\s*\|(.+)\|\s*$")

RUN_AXE_JS = """
async ([include, tags, rules, listed]) => {
  const context = include ? {include: [include]} : document;
  const runOnly = rules ? {type: 'rule', values: rules} : {type: 'tag', values: tags};
  const result = await axe.run(context, {runOnly, resultTypes: ['violations']});
  const covered = (rule, target) => {
    const element = target.length === 1 ? document.querySelector(target[0]) : null;
    return listed.some(([id, selector]) => id === rule && element !== null && element.closest(selector) !== null);
  };
  return result.violations.flatMap(rule => rule.nodes.map(node => ({
    rule: rule.id,
    target: node.target.flat().join(' '),
    summary: `${rule.help}: ${(node.failureSummary || '').split('\\n').slice(1).join(' ').trim()}`.slice(0, 300),
    listed: covered(rule.id, node.target),
  })));
}
"""


@dataclass(frozen=True)
class Violation:
    rule: str
    target: str
    summary: str
    listed: bool = False

    def __str__(self) -> str:
        return f"{self.rule} at {self.target}: {self.summary}"


@dataclass(frozen=True)
class Listed:
    """A row of A11Y.md: violations of ``rule`` on an element inside ``selector`` (the element itself or
    an ancestor matches it), in ``place`` (the site or JupyterLab), are known and explained."""

    rule: str
    selector: str
    place: str
    why: str


@functools.cache
def axe_source() -> str:
    """axe.min.js from site_src/node_modules (``npm ci`` first, when the lock file changed)."""
    from tools.build_site import install_node_packages

    return (install_node_packages() / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


def run_axe(page, place: str, include: str | None = None, listed: list[Listed] | None = None,
            rules: list[str] | None = None) -> list[Violation]:
    """axe-core's WCAG 2.0/2.1 A and AA violations (or those of ``rules`` only) on ``page`` (or inside
    the elements matching ``include``) that A11Y.md's rows for ``place`` (or ``listed``) do not cover."""
    assert place in PLACES, place
    rows = listed_exceptions() if listed is None else listed
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    pairs = [[row.rule, row.selector] for row in rows if row.place == place]
    found = [Violation(**entry) for entry in page.evaluate(RUN_AXE_JS, [include, WCAG_TAGS, rules, pairs])]
    return [violation for violation in found if not violation.listed]


def listed_exceptions(path: Path = A11Y_FILE) -> list[Listed]:
    """The rows of A11Y.md's table: | `rule` | `CSS selector` | site or jupyterlab | why |."""
    rows = [TABLE_ROW.match(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [Listed(row.group(1), row.group(2), row.group(3), row.group(4).strip()) for row in rows if row]
