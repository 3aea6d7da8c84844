"""`gradtutor progress` and `gradtutor reset` through the CLI, on a small exercise file."""

from __future__ import annotations

import json
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
    prompt: Bring the exponent down.
    function: x^2
    hints: [bring the 2 down]
    rules: [power]
  - id: product
    title: A product
    prompt: Hold one variable constant.
    function: x*y
    rules: [product]
"""

CHAIN = """\
set: chain
title: The chain rule
order: 2
exercises:
  - id: chain-1
    title: Inner and outer
    prompt: Outer derivative times inner derivative.
    function: (3x+1)^2
    rules: [chain, power]
"""


@pytest.fixture
def exercises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRADTUTOR_HOME", str(tmp_path / "home"))
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "basics.yaml").write_text(EXERCISES)
    (folder / "chain.yaml").write_text(CHAIN)
    monkeypatch.setenv("GRADTUTOR_EXERCISES", str(folder))
    return folder


def _record_some_work() -> None:
    with open_progress() as store:
        store.record_answer("square", "x", "x", "incorrect", 0)
        store.record_hint("square", 1)
        store.record_answer("square", "x", "2x", "correct", 1)
        store.record_answer("product", "x", "y", "correct", 0)
        store.record_steps("chain-1", "x")


def test_progress_json(runner: CliRunner, exercises: Path) -> None:
    _record_some_work()
    result = runner.invoke(app, ["progress", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["exercises"] == [
        {"id": "square", "status": "solved", "attempts": 2, "hints": 1},
        {"id": "product", "status": "attempted", "attempts": 1, "hints": 0},
        {"id": "chain-1", "status": "revealed", "attempts": 0, "hints": 0},
    ]
    assert data["rules"]["power"]["mastery"] == 0.5
    assert data["rules"]["chain"] == {
        "exercises": 1,
        "solved": 0,
        "attempts": 0,
        "correct": 0,
        "mastery": 0.0,
        "accuracy": None,
    }
    assert [s["id"] for s in data["sets"]] == ["basics", "chain"]


def test_progress_text_shows_sets_rules_and_bars(runner: CliRunner, exercises: Path) -> None:
    _record_some_work()
    result = runner.invoke(app, ["progress"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Progress: 1 of 3 solved, 1 revealed, 1 attempted"
    basics = next(line for line in lines if line.startswith("basics"))
    assert basics.split()[:5] == ["basics", "1", "0", "1", "2"]
    assert "█" * 10 + "░" * 10 in basics
    power = next(line for line in lines if line.startswith("power"))
    assert power.split()[:2] == ["power", "50%"]
    assert "1 of 2" in power
    assert lines[-1] == f"saved in {exercises.parent / 'home' / 'progress.sqlite3'}"


def test_progress_before_any_practice_says_where_it_will_be_saved(
    runner: CliRunner, exercises: Path
) -> None:
    home = exercises.parent / "home"
    result = runner.invoke(app, ["progress"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"No progress yet (it will be saved in {home / 'progress.sqlite3'})"
    )
    assert "saved in" not in result.output.replace("will be saved in", "")
    assert not home.exists()  # reading progress creates nothing


def test_reset_with_no_progress_file_creates_none(runner: CliRunner, exercises: Path) -> None:
    home = exercises.parent / "home"
    for args in (["reset", "--all"], ["reset", "square"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Nothing to forget")
    assert "did you mean 'square'" in runner.invoke(app, ["reset", "sqare"]).stderr
    assert not home.exists()


def test_progress_before_any_practice(runner: CliRunner, exercises: Path) -> None:
    result = runner.invoke(app, ["progress", "--format", "json"])
    assert result.exit_code == 0
    assert {e["status"] for e in json.loads(result.output)["exercises"]} == {"new"}


def test_progress_file_option(runner: CliRunner, exercises: Path, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.db"
    with open_progress(path) as store:
        store.record_answer("square", "x", "2x", "correct", 0)
    result = runner.invoke(app, ["progress", "--progress", str(path), "--format", "json"])
    assert json.loads(result.output)["exercises"][0]["status"] == "solved"
    assert not (tmp_path / "home" / "progress.sqlite3").exists()


def test_a_corrupt_progress_file_is_a_clear_error(
    runner: CliRunner, exercises: Path, tmp_path: Path
) -> None:
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"\x00garbage" * 512)
    result = runner.invoke(app, ["progress", "--progress", str(path)])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())  # Rich wraps long lines
    assert f"cannot read the progress file {path}" in message
    assert "mv" in message and "Traceback" not in message
    assert path.read_bytes() == b"\x00garbage" * 512


def test_reset_one_exercise_with_yes(runner: CliRunner, exercises: Path) -> None:
    _record_some_work()
    result = runner.invoke(app, ["reset", "square", "--yes"])
    assert result.exit_code == 0, result.output
    assert result.output == "Forgot 3 records.\n"
    with open_progress() as store:
        assert store.exercises_recorded() == {"product", "chain-1"}


def test_reset_without_a_terminal_and_without_yes_refuses(
    runner: CliRunner, exercises: Path
) -> None:
    _record_some_work()
    result = runner.invoke(app, ["reset", "--all"])
    assert result.exit_code == 2
    assert "without confirmation" in result.stderr and "--yes" in result.stderr
    with open_progress() as store:
        assert len(store.activity()) == 5


def test_reset_all_asks_on_a_terminal(
    runner: CliRunner, exercises: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gradtutor.terminal

    _record_some_work()
    monkeypatch.setattr(gradtutor.terminal, "stdin_is_terminal", lambda: True)
    declined = runner.invoke(app, ["reset", "--all"], input="n\n")
    assert declined.exit_code == 1
    assert "Forget all progress (5 records)" in declined.output
    assert declined.output.endswith("[y/N]: n\nNothing was reset.\n")
    assert "Aborted" not in declined.output
    ended = runner.invoke(app, ["reset", "--all"], input="")  # end of input at the question
    assert ended.exit_code == 1
    assert ended.output.endswith("[y/N]: \nNothing was reset.\n")
    with open_progress() as store:
        assert len(store.activity()) == 5
    accepted = runner.invoke(app, ["reset", "--all"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.endswith("Forgot 5 records.\n")


def test_reset_needs_an_id_or_all(runner: CliRunner, exercises: Path) -> None:
    for args in (["reset"], ["reset", "square", "--all"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "give an exercise id, or --all" in result.stderr


def test_reset_an_unknown_id_suggests_one(runner: CliRunner, exercises: Path) -> None:
    result = runner.invoke(app, ["reset", "sqare", "--yes"])
    assert result.exit_code == 2
    assert "there is no exercise 'sqare'" in result.stderr
    assert "did you mean 'square'" in result.stderr


def test_reset_with_nothing_recorded(runner: CliRunner, exercises: Path) -> None:
    result = runner.invoke(app, ["reset", "square"])
    assert result.exit_code == 0
    assert result.output == "Nothing to forget: no records for square.\n"


def test_list_shows_each_exercises_status(runner: CliRunner, exercises: Path) -> None:
    _record_some_work()
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[-1] == "status"
    rows = [line for line in lines[1:] if not line.rstrip().endswith(":")]  # not set headings
    statuses = {line.split()[0]: line.split()[-1] for line in rows}
    assert statuses == {"square": "solved", "product": "attempted", "chain-1": "revealed"}
    listed = json.loads(runner.invoke(app, ["list", "--format", "json"]).output)
    assert [item["status"] for item in listed] == ["solved", "attempted", "revealed"]


def test_reading_progress_never_creates_the_file(
    runner: CliRunner, exercises: Path, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["list"]).exit_code == 0
    assert runner.invoke(app, ["progress"]).exit_code == 0
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(
    "command", [["practice"], ["progress"], ["list"], ["reset", "--all", "--yes"]]
)
def test_a_progress_file_name_too_long_is_refused(
    runner: CliRunner, exercises: Path, tmp_path: Path, command: list[str]
) -> None:
    # Found while fuzzing practice's options: os.stat raised ENAMETOOLONG as a traceback.
    too_long = tmp_path / ("x" * 300) / "progress.sqlite3"
    result = runner.invoke(app, [*command, "--progress", str(too_long)], input="quit\n")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    said = " ".join(result.stderr.split())
    assert "cannot use the progress file" in said and "File name too long" in said
