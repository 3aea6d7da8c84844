"""Practice on a dense layer, as a script would drive it: a real process with a pipe.

A wrong answer (the factors of the weights' gradient swapped, so its shape is W's transposed) is
graded with its diagnosis, then the right one is accepted, and the progress file records both.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

GUARD_SECONDS = 120  # a guard against a hung child, never an assertion about speed


def _run(home: Path, lines: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRADTUTOR_HOME": str(home), "COLUMNS": "80", "NO_COLOR": "1"}
    env.pop("GRADTUTOR_EXERCISES", None)
    return subprocess.run(
        [sys.executable, "-m", "gradtutor", *args],
        input=lines,
        capture_output=True,
        text=True,
        env=env,
        timeout=GUARD_SECONDS,
    )


def test_a_dense_layer_in_practice_through_a_pipe(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _run(home, "Gᵀ X\nX G\nX^T G\nquit\n", "practice", "--exercise", "dense-weights")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert "dense-layer · dense-weights" in out
    # Wrong: the shape is named and the slip diagnosed.
    assert "read as    Gᵀ @ X" in out
    assert "∂L/∂W is d×k (the shape of W), but your answer is k×d." in out
    assert "transpose" in out.split("read as    Gᵀ @ X", 1)[1].split("∂L/∂W (d×k) =", 1)[0]
    # Shapes that do not conform: refused with both shapes, not counted as an attempt.
    assert "X is n×d, G is n×k; the inner sizes d and n differ" in out
    # Right.
    assert "read as  Xᵀ @ G\n  correct" in out
    assert "Solved: The weights of a dense layer." in out
    with sqlite3.connect(home / "progress.sqlite3") as db:
        rows = db.execute(
            "SELECT exercise, wrt, answer, verdict FROM activity WHERE kind = 'answer' ORDER BY id"
        ).fetchall()
    assert rows == [
        ("dense-weights", "W", "Gᵀ X", "incorrect"),
        ("dense-weights", "W", "X G", "invalid"),
        ("dense-weights", "W", "X^T G", "correct"),
    ]
    progress = _run(home, "", "progress", "--format", "json")
    assert progress.returncode == 0, progress.stderr
    assert '"dense-weights"' in progress.stdout or '"dense-layer"' in progress.stdout
    assert '"matrix-product"' in progress.stdout


def test_steps_on_demand_show_the_layers_derivation(tmp_path: Path) -> None:
    done = _run(tmp_path / "home", "hint\nsteps\ny\nquit\n", "practice", "--exercise", "dense-bias")
    assert done.returncode == 0, done.stderr
    assert "hint 1 of 3" in done.stdout
    assert "Z = X @ W + b  (n×k)" in done.stdout
    assert "broadcast-sum  ∂L/∂b = sum(G, axis=0)  (k)" in done.stdout
