"""The course's series colours and line styles: series stay apart for readers with a colour-vision deficiency.

``SERIES_COLORS`` are the first colours of seaborn's "colorblind" palette (Okabe-Ito-like), in the
order that keeps the first four at least ``MIN_DISTANCE`` apart in CAM02-UCS (ΔE', about the
smallest difference a reader notices at a glance is 5-10) under simulated deuteranopia,
protanopia and tritanopia (tests/unit/test_palette.py, with colorspacious). Beyond four series colours
alone get closer, so every series of the cycle also has its own line style: ``series_cycle()`` pairs
colour i with dash pattern i, and ``use_course_style`` makes it matplotlib's default cycle, so a
figure with more series than colours still separates them by more than colour.
"""

from __future__ import annotations

from cycler import Cycler, cycler

SERIES_COLORS = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#949494", "#56b4e9")
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2, 2, 2)))
DISTINCT_BY_COLOUR = 4  # series told apart by colour alone under every simulated deficiency
MIN_DISTANCE = 10.0  # CAM02-UCS distance between any two of those colours, each deficiency simulated


def series_cycle() -> Cycler:
    """matplotlib's property cycle of the course: colour i with line style i, for eight series."""
    return cycler(color=list(SERIES_COLORS)) + cycler(linestyle=list(LINE_STYLES))
