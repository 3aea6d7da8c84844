"""Every input ends in a clear answer, in a real process: no traceback, no hang (issue 18).

Each command runs as a user runs it, in its own interpreter. The timeouts are hang guards (a
process that runs past them fails the test), not measurements: timings live in benchmarks/.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Far more than any of these needs (about a second each); only a hang reaches it.
HANG_GUARD_SECONDS = 60

LONG_SUM = "+".join(["x"] * 499)
LONG_PRODUCT = "*".join(["x"] * 499)
LONG_RUN = "x" * 1000


def gradtutor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradtutor", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=HANG_GUARD_SECONDS,
    )


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout


@pytest.mark.parametrize("formula", [LONG_SUM, LONG_PRODUCT, LONG_RUN])
def test_a_long_flat_formula_is_read_and_checked(formula: str) -> None:
    read = gradtutor("parse", "--var", "x", formula)
    assert_clean(read)
    assert read.returncode == 0
    assert "x·x·x" in read.stdout or "x + x + x" in read.stdout
    checked = gradtutor("check", "--function", "x^2", "--answer", formula, "--format", "json")
    assert_clean(checked)
    assert checked.returncode == 1 and '"verdict": "incorrect"' in checked.stdout


def test_a_long_sum_is_explained() -> None:
    done = gradtutor("explain", "--wrt", "x", LONG_SUM)
    assert_clean(done)
    assert done.returncode == 0 and "499" in done.stdout


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (LONG_PRODUCT, "product rule on these 499 factors"),
        (LONG_RUN, "product rule on these 1000 factors"),
        ("/".join(["x"] * 499), "nest more than 100 levels deep"),
    ],
)
def test_an_explanation_too_large_to_write_is_refused(formula: str, message: str) -> None:
    done = gradtutor("explain", "--var", "x", "--wrt", "x", formula)
    assert_clean(done)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr
