"""`gradtutor practice` end to end, with the real checker and step engine.

Driven as a learner or a script would drive it: through standard input (CliRunner, and a real
process with a pipe), under a pseudo-terminal (pexpect), and killed with SIGKILL mid-session to
show that what was answered before the kill is still there afterwards.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradtutor.cli import app
from gradtutor.tutor.progress import open_progress

EXERCISES = """\
set: basics
title: Basics
order: 1
exercises:
  - id: square
    title: A square
    prompt: Bring the exponent down and lower it by one.
    function: x^2
    hints: [The power rule says ∂xⁿ/∂x = n·xⁿ⁻¹.]
    rules: [power]
  - id: product
    title: A product of two variables
    prompt: Hold one variable constant at a time.
    function: x^2*y
    rules: [product, power]
"""

# A guard against a hung child, never an assertion about speed.
GUARD_SECONDS = 60


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRADTUTOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GRADTUTOR_EXERCISES", raising=False)
    return tmp_path / "home"


@pytest.fixture
def exercises(tmp_path: Path) -> Path:
    path = tmp_path / "basics.yaml"
    path.write_text(EXERCISES, encoding="utf-8")
    return path


def _rows(home: Path) -> list[tuple[str, str, str | None, str | None, str | None]]:
    with open_progress(home / "progress.sqlite3") as store:
        return [(r.exercise, r.kind, r.wrt, r.answer, r.verdict) for r in store.activity()]


def _child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, GRADTUTOR_HOME=str(home), NO_COLOR="1", COLUMNS="80")
    env.pop("GRADTUTOR_EXERCISES", None)
    return env


# --- standard input ------------------------------------------------------------------------------


def test_wrong_answer_hint_right_answer_quit(
    runner: CliRunner, home: Path, exercises: Path
) -> None:
    result = runner.invoke(
        app, ["practice", "--exercises", str(exercises)], input="x\nhint\n2x\nquit\n"
    )
    assert result.exit_code == 0, result.output
    out = result.output
    # The exercise: title, prompt, the function pretty-printed, the partial asked.
    assert "== Exercise 1 of 2 · basics · square ==" in out
    assert "A square\nBring the exponent down and lower it by one.\n\n  f(x) = x²\n" in out
    # The wrong answer: its reading, the verdict and a point where it fails.
    assert "∂f/∂x = x\n  read as    x\n  incorrect  At x = " in out
    assert re.search(r"At x = \S+ the derivative is \S+ but your answer gives\s+\S+", out)
    assert "\n  mistake    " in out  # the likely mistake, named
    assert "Try again, or type hint or steps." in out
    # The hint, layered, then the right answer and the offer of the derivation.
    assert "∂f/∂x = hint\n  hint 1 of 1  The power rule says ∂xⁿ/∂x = n·xⁿ⁻¹.\n" in out
    assert "∂f/∂x = 2x\n  read as  2·x\n  correct\nSolved: A square.\n" in out
    assert "Type steps for a tidy derivation, or press Enter for the next exercise." in out
    assert "next> quit\n" in out
    assert "Session over (quit)" in out
    assert "1 solved · 2 attempts (1 correct)\n  1 hint · 0 derivations shown · 0 skipped" in out
    # Plain text: no colour codes, no box drawing.
    assert "\x1b[" not in out and not re.search("[─│╭╮╰╯━]", out)
    assert _rows(home) == [
        ("square", "answer", "x", "x", "incorrect"),
        ("square", "hint", None, None, None),
        ("square", "answer", "x", "2x", "correct"),
    ]


def test_an_unreadable_answer_shows_where_and_is_not_an_attempt(
    runner: CliRunner, home: Path, exercises: Path
) -> None:
    result = runner.invoke(app, ["practice", "--exercises", str(exercises)], input="2x +\n")
    assert result.exit_code == 0, result.output
    assert "∂f/∂x = 2x +\n  could not read that: " in result.output
    assert "\n    2x +\n        ^\n" in result.output
    assert "(not counted as an attempt)" in result.output
    assert "Session over (end of input)" in result.output
    assert "0 solved · 0 attempts (0 correct), 1 not read" in result.output
    assert _rows(home) == [("square", "answer", "x", "2x +", "invalid")]


def test_steps_then_next_exercise_then_end_of_input(
    runner: CliRunner, home: Path, exercises: Path
) -> None:
    lines = "steps\ny\n2x\n\n2xy\nx^2\n\n"  # steps asks first; y shows them
    result = runner.invoke(app, ["practice", "--exercises", str(exercises)], input=lines)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "∂f/∂x for f = x²" in out  # the derivation, before answering
    assert "counts as revealed, not solved" in out
    assert "Done; with the steps seen first, it counts as revealed." in out
    assert "== Exercise 2 of 2 · basics · product ==" in out
    assert "Find ∂f/∂x and ∂f/∂y, one at a time." in out
    assert "∂f/∂x done; now ∂f/∂y." in out
    assert "Every exercise is finished (2 of 2)." in out
    assert "Session over (complete)" in out
    assert "1 solved, 1 revealed" in out
    progress = runner.invoke(app, ["progress", "--exercises", str(exercises), "--format", "json"])
    assert json.loads(progress.output)["exercises"] == [
        {"id": "square", "status": "revealed", "attempts": 1, "hints": 0},
        {"id": "product", "status": "solved", "attempts": 2, "hints": 0},
    ]


def test_progress_survives_a_restart(runner: CliRunner, home: Path, exercises: Path) -> None:
    runner.invoke(app, ["practice", "--exercises", str(exercises)], input="2x\n")
    result = runner.invoke(app, ["practice", "--exercises", str(exercises)], input="")
    assert "1 of 2 exercises finished" in result.output
    assert "== Exercise 2 of 2 · basics · product ==" in result.output


def test_help_lists_the_commands(runner: CliRunner, home: Path, exercises: Path) -> None:
    result = runner.invoke(app, ["practice", "--exercises", str(exercises)], input="help\n")
    for command in ("hint or ?", "steps", "skip", "help", "quit"):
        assert f"\n  {command}" in result.output


def test_unknown_set_and_exercise_are_usage_errors(
    runner: CliRunner, home: Path, exercises: Path
) -> None:
    result = runner.invoke(app, ["practice", "--exercises", str(exercises), "--set", "basic"])
    assert result.exit_code == 2
    assert "there is no set 'basic'" in result.stderr and "did you mean 'basics'" in result.stderr
    result = runner.invoke(app, ["practice", "--exercises", str(exercises), "--exercise", "sqare"])
    assert result.exit_code == 2
    assert "did you mean 'square'" in result.stderr


def test_a_corrupt_progress_file_stops_practice_before_it_starts(
    runner: CliRunner, home: Path, exercises: Path
) -> None:
    home.mkdir()
    (home / "progress.sqlite3").write_bytes(b"not sqlite" * 100)
    result = runner.invoke(app, ["practice", "--exercises", str(exercises)], input="2x\n")
    assert result.exit_code == 2
    assert "cannot read the progress file" in " ".join(result.stderr.split())
    assert (home / "progress.sqlite3").read_bytes() == b"not sqlite" * 100


def test_the_shipped_curriculum_starts_at_its_first_exercise(runner: CliRunner, home: Path) -> None:
    from gradtutor.curriculum.loader import load_collection

    first = load_collection().exercises[0]
    result = runner.invoke(app, ["practice"], input="quit\n")
    assert result.exit_code == 0, result.output
    assert f"· {first.set} · {first.id} ==" in result.output
    assert f"∂f/∂{first.ask[0]} = quit" in result.output


# --- a real process ------------------------------------------------------------------------------


def _spawn(home: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gradtutor", "practice", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_child_env(home),
    )


def _read_until(child: subprocess.Popen[bytes], marker: str) -> str:
    """Read the child's output until `marker` appears (the child has then done its write)."""
    assert child.stdout is not None
    seen = b""
    deadline = time.monotonic() + GUARD_SECONDS
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([child.stdout], [], [], max(remaining, 0))
        assert ready, f"no {marker!r} in time; output so far:\n{seen.decode()}"
        chunk = os.read(child.stdout.fileno(), 65536)
        assert chunk, f"the child ended before {marker!r}:\n{seen.decode()}"
        seen += chunk
    return seen.decode()


def _send(child: subprocess.Popen[bytes], text: str) -> None:
    assert child.stdin is not None
    child.stdin.write(text.encode())
    child.stdin.flush()


def test_a_piped_process(home: Path, exercises: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gradtutor", "practice", "--exercises", str(exercises)],
        input="x\nhint\n2x\nquit\n",
        capture_output=True,
        text=True,
        env=_child_env(home),
        timeout=GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "∂f/∂x = x\n  read as    x\n  incorrect  " in done.stdout
    assert "hint 1 of 1" in done.stdout
    assert "∂f/∂x = 2x\n  read as  2·x\n  correct\n" in done.stdout
    assert "Session over (quit)" in done.stdout
    assert [row[1:] for row in _rows(home)] == [
        ("answer", "x", "x", "incorrect"),
        ("hint", None, None, None),
        ("answer", "x", "2x", "correct"),
    ]


def test_sigkill_mid_session_loses_nothing_answered(home: Path, exercises: Path) -> None:
    child = _spawn(home, "--exercises", str(exercises))
    try:
        _read_until(child, "∂f/∂x = ")
        _send(child, "x\n")
        _read_until(child, "Try again")
        _send(child, "hint\n")
        _read_until(child, "hint 1 of 1")
        _send(child, "2x\n")
        _read_until(child, "next> ")
        _send(child, "\n")
        _read_until(child, "∂f/∂x = ")
        _send(child, "2xy\n")
        _read_until(child, "∂f/∂y = ")
        _send(child, "x^")  # half typed when the process dies
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(GUARD_SECONDS)
    assert child.returncode == -signal.SIGKILL
    assert [row[:2] + row[3:] for row in _rows(home)] == [
        ("square", "answer", "x", "incorrect"),
        ("square", "hint", None, None),
        ("square", "answer", "2x", "correct"),
        ("product", "answer", "2xy", "correct"),
    ]
    # The restarted session resumes at the partial still to answer.
    again = subprocess.run(
        [sys.executable, "-m", "gradtutor", "practice", "--exercises", str(exercises)],
        input="x^2\n",
        capture_output=True,
        text=True,
        env=_child_env(home),
        timeout=GUARD_SECONDS,
    )
    assert again.returncode == 0, again.stderr
    assert "∂f/∂x answered in an earlier session." in again.stdout
    assert "∂f/∂y = x^2\n  read as  x²\n  correct" in again.stdout


def test_ctrl_c_ends_cleanly_with_the_summary(home: Path, exercises: Path) -> None:
    child = _spawn(home, "--exercises", str(exercises))
    try:
        _read_until(child, "∂f/∂x = ")
        _send(child, "x\n")
        _read_until(child, "∂f/∂x = ")
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=GUARD_SECONDS)
    finally:
        child.kill()
    assert child.returncode == 0, err.decode()
    assert "Session over (interrupted)" in out.decode()
    assert "Traceback" not in err.decode()
    assert [row[4] for row in _rows(home)] == ["incorrect"]


# --- a real terminal -----------------------------------------------------------------------------


def test_a_person_at_a_terminal(home: Path, exercises: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    env = _child_env(home)
    env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    try:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "gradtutor", "practice", "--exercises", str(exercises)],
            env=env,
            encoding="utf-8",
            timeout=GUARD_SECONDS,
            dimensions=(40, 100),
        )
    except (pexpect.ExceptionPexpect, OSError) as error:
        pytest.skip(f"cannot spawn under a pseudo-terminal: {error}")
    # What is matched is text within one style (colour codes may sit between two styles), and
    # prompts without their trailing space (prompt_toolkit draws it as a cursor move).
    try:
        child.expect_exact("f(x) = ")
        child.expect_exact("∂f/∂x =")
        child.send("x\r")
        child.expect_exact("incorrect")
        child.expect_exact("∂f/∂x =")
        child.send("hint\r")
        child.expect_exact("hint 1 of 1")
        child.expect_exact("∂f/∂x =")
        # Line editing: type a mistake, rub it out, finish the answer.
        child.send("2y")
        child.send("\x7f")  # backspace
        child.send("x\r")
        child.expect_exact("✓ correct")
        child.expect_exact("Solved: A square.")
        child.expect_exact("next>")
        child.send("\r")
        child.expect_exact("A product of two variables")
        child.expect_exact("∂f/∂x =")
        child.send("\x04")  # Ctrl-D
        child.expect_exact("(end of input)")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert [row[3] for row in _rows(home) if row[1] == "answer"] == ["x", "2x"]
    # The history file keeps what was typed for the next session's up-arrow.
    assert "+2x" in (home / "practice-history").read_text(encoding="utf-8")
