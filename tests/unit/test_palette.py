"""The course palette keeps series apart under simulated colour-vision deficiencies (colorspacious).

Each deficiency (deuteranopia, protanopia, tritanopia: severity 100 of colorspacious' Machado et al.
model) is simulated on the series colours; the CAM02-UCS distance between any two of the first
``DISTINCT_BY_COLOUR`` must stay at least ``MIN_DISTANCE``, and every series of the cycle has its own
line style, so figures with more series still separate them by more than colour. A planted palette
(red and green, the classic pair) proves the check can fail.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from colorspacious import cspace_convert  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from course_lib.palette import DISTINCT_BY_COLOUR, LINE_STYLES, MIN_DISTANCE, SERIES_COLORS, series_cycle  # noqa: E402
from course_lib.plotting import use_course_style  # noqa: E402

DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")


def closest_pair(colors, deficiency: str) -> float:
    """The smallest CAM02-UCS distance between two of ``colors`` as a reader with ``deficiency`` sees them."""
    rgb = np.array([to_rgb(color) for color in colors])
    seen = np.clip(cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}, "sRGB1"), 0, 1)
    ucs = cspace_convert(seen, "sRGB1", "CAM02-UCS")
    return min(float(np.linalg.norm(ucs[i] - ucs[j])) for i, j in itertools.combinations(range(len(ucs)), 2))


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_the_first_series_colours_stay_apart_under_each_deficiency(deficiency):
    assert closest_pair(SERIES_COLORS[:DISTINCT_BY_COLOUR], deficiency) >= MIN_DISTANCE


def test_a_red_green_palette_fails_the_check():
    assert closest_pair(["#d62728", "#2ca02c"], "deuteranomaly") < MIN_DISTANCE


def test_every_series_of_the_cycle_has_its_own_line_style():
    entries = list(series_cycle())
    assert len(entries) == len(SERIES_COLORS) == len(LINE_STYLES)
    assert len({str(entry["linestyle"]) for entry in entries}) == len(entries)


def test_the_course_style_draws_series_with_the_cycle():
    with matplotlib.rc_context():
        use_course_style()
        fig, ax = plt.subplots()
        lines = [ax.plot([0, 1], [i, i])[0] for i in range(6)]
        assert [line.get_color() for line in lines] == list(SERIES_COLORS[:6])
        assert plt.rcParams["axes.prop_cycle"] == series_cycle()
        plt.close(fig)
