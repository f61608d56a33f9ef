"""require_browser: without Chromium the browser tests skip loudly on a laptop and fail under CI.

Fast and not marked browser, so ``make check`` runs it: Chromium's path and ``CI`` are monkeypatched.
"""

from __future__ import annotations

import pytest

from . import lab_driver
from .lab_driver import require_browser


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setattr(lab_driver, "CHROMIUM", str(tmp_path / "no-such-chromium"))
    return tmp_path / "no-such-chromium"


@pytest.mark.parametrize("ci", ["true", "1", "yes", "TRUE"])
def test_missing_browser_fails_under_ci(no_chromium, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="required under CI") as failure:
        require_browser()
    assert f"BROWSER TEST NOT RUN: missing Chromium at {no_chromium}" in str(failure.value)


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing_browser_skips_loudly_elsewhere(no_chromium, monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.warns(UserWarning, match="BROWSER TEST NOT RUN"), pytest.raises(pytest.skip.Exception) as skip:
        require_browser()
    assert f"BROWSER TEST NOT RUN: missing Chromium at {no_chromium}" in str(skip.value)
    assert "apt-get install chromium" in str(skip.value)


def test_present_browser_neither_skips_nor_fails(monkeypatch, tmp_path):
    pytest.importorskip("playwright.sync_api")
    fake = tmp_path / "chromium"
    fake.write_text("")
    monkeypatch.setattr(lab_driver, "CHROMIUM", str(fake))
    monkeypatch.setenv("CI", "true")
    assert require_browser() is None
