"""Helpers shared by the demos of notebook 05: a progress bar while a demo trains, and a cache of drawn figures.

- ``progress_bar(description)``: a context manager yielding ``on_step(done, total)`` for an experiment's
  training loop; in a kernel it shows a tqdm bar (created on the first step, so a cached result shows
  none), elsewhere nothing;
- ``FigureCache``: the last figures drawn, by settings, each with a ``CachedBackground`` holding its
  pixels, so a demo returning to a setting redraws in milliseconds.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator

from matplotlib.figure import Figure
from tqdm.auto import tqdm

from course_lib.widgets.common import CachedBackground, in_ipython_kernel

MAX_CACHED_FIGURES = 64


@contextlib.contextmanager
def progress_bar(description: str, enabled: bool | None = None) -> Iterator[Callable[[int, int], None]]:
    """Yield ``on_step(done, total)``; a tqdm bar (refreshed at most every 0.2 s) while it is being called."""
    enabled = in_ipython_kernel() if enabled is None else enabled
    bars: list[tqdm] = []

    def on_step(done: int, total: int) -> None:
        if not enabled:
            return
        if not bars:
            bars.append(tqdm(total=total, desc=description, unit="step", leave=False, mininterval=0.2))
        bars[0].n = done
        bars[0].refresh() if done == total else bars[0].update(0)

    try:
        yield on_step
    finally:
        for bar in bars:
            bar.close()


class FigureCache:
    """The last ``size`` figures by key; ``get(key, draw)`` returns the cached one or draws and keeps it."""

    def __init__(self, size: int = MAX_CACHED_FIGURES):
        self.size = int(size)
        self._figures: OrderedDict[tuple, Figure] = OrderedDict()

    def get(self, key: tuple, draw: Callable[[], Figure]) -> Figure:
        if key in self._figures:
            self._figures.move_to_end(key)
            return self._figures[key]
        figure = draw()
        CachedBackground(figure, dynamic=())
        self._figures[key] = figure
        if len(self._figures) > self.size:
            self._figures.popitem(last=False)
        return figure

    def __len__(self) -> int:
        return len(self._figures)
