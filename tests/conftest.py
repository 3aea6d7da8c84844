"""Shared fixtures: a pinned console for golden output, and a CLI runner."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import settings
from rich.console import Console
from typer.testing import CliRunner

# Where tests find their files, wherever in tests/ they stand.
TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
ROOT = TESTS.parent

# The property tests gate CI, so by default they draw the same examples on every run: a red CI
# is then a change's fault, never a new random draw. HYPOTHESIS_PROFILE=explore searches with
# fresh examples each run; fix what it finds and keep the example as a regression test.
# HYPOTHESIS_PROFILE=nightly is a deliberate search: fresh examples, and the fuzz tests
# (tests/test_fuzz.py) draw FUZZ_SCALE times as many (see docs/limits.md for the command).
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "repeatable")
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.register_profile("nightly", derandomize=False, print_blob=True)
settings.load_profile(PROFILE)
FUZZ_SCALE = 40 if PROFILE == "nightly" else 1


def fuzz_examples(count: int) -> int:
    """How many examples a fuzz test draws: `count` for CI, FUZZ_SCALE times that at night."""
    return count * FUZZ_SCALE


# A stable terminal for every CLI test: fixed width, no colour.
os.environ["COLUMNS"] = "80"
os.environ["NO_COLOR"] = "1"
os.environ.pop("FORCE_COLOR", None)


@pytest.fixture(autouse=True)
def gradtutor_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own progress folder: no test reads or writes the user's real one."""
    home = tmp_path / "gradtutor-home"
    monkeypatch.setenv("GRADTUTOR_HOME", str(home))
    return home


@pytest.fixture
def console() -> Console:
    return Console(width=80, file=io.StringIO(), color_system=None, highlight=False, emoji=False)


def rendered(console: Console) -> str:
    """What a pinned console has printed so far."""
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
