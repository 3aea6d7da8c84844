"""A run that fails on the minimum score names the pass mark in every format (issue 17).

One student answers one partial of three right and leaves one empty; the pass mark is 2 points.
Each report must say the score, the pass mark and that it was not reached, not just a red run.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gradtutor.cli import app

EXERCISES = """\
set: warmup
title: Warm-up
exercises:
  - id: square-times-y
    title: A product
    prompt: Find the gradient.
    function: x^2 y
  - id: sine-of-square
    title: A sine of a square
    prompt: Differentiate.
    function: sin(x^2)
"""

# ∂/∂x of x²y right, ∂/∂y missing, sin(x²)′ without the inner derivative.
ANSWERS = """\
student: ann
answers:
  square-times-y: {x: 2x y, y: ""}
  sine-of-square: {x: cos(x^2)}
"""

BELOW = "1/3 points, below the pass mark of 2"


@pytest.fixture
def failing_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    Path("warmup.yaml").write_text(EXERCISES, encoding="utf-8")
    Path("answers.yaml").write_text(ANSWERS, encoding="utf-8")
    return tmp_path


def check(runner: CliRunner, *extra: str) -> Result:
    args = ["check", "answers.yaml", "--exercises", "warmup.yaml", "--min-score", "2", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    return result


def test_text(runner: CliRunner, failing_run: Path) -> None:
    lines = check(runner).stdout.splitlines()
    assert f"Not passed: {BELOW}." in lines


def test_text_with_a_percentage(runner: CliRunner, failing_run: Path) -> None:
    result = runner.invoke(
        app, ["check", "answers.yaml", "--exercises", "warmup.yaml", "--min-score", "50%"]
    )
    assert result.exit_code == 1
    expected = "Not passed: 1/3 points, below the pass mark of 1.5 (--min-score 50%)."
    assert expected in result.stdout.splitlines()


def test_github_annotations(runner: CliRunner, failing_run: Path) -> None:
    lines = check(runner, "--format", "github").stdout.splitlines()
    assert lines[0] == f"::error file=answers.yaml,title=Not passed::answers.yaml (ann): {BELOW}."
    assert f"::notice file=answers.yaml,title=Score::answers.yaml (ann): {BELOW} " in "\n".join(
        lines
    )


def test_github_step_summary(
    runner: CliRunner, failing_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(failing_run / "summary.md"))
    check(runner, "--format", "github")
    assert f"❌ **Not passed**: {BELOW}." in (failing_run / "summary.md").read_text("utf-8")


def test_markdown(runner: CliRunner, failing_run: Path) -> None:
    check(runner, "--markdown", "summary.md")
    assert f"❌ **Not passed**: {BELOW}." in Path("summary.md").read_text("utf-8")


def test_json(runner: CliRunner, failing_run: Path) -> None:
    (submission,) = json.loads(check(runner, "--format", "json").stdout)["submissions"]
    assert (submission["score"], submission["min_score"], submission["passed"]) == (1, 2, False)
    check(runner, "--json", "report.json")
    (saved,) = json.loads(Path("report.json").read_text("utf-8"))["submissions"]
    assert (saved["min_score"], saved["passed"]) == (2, False)


def test_junit(runner: CliRunner, failing_run: Path) -> None:
    check(runner, "--junit", "junit.xml")
    suite = ET.parse("junit.xml").getroot().find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (properties["min_score"], properties["passed"]) == ("2", "false")
    case = suite.find("testcase[@name='pass mark [1/3, 2 needed]']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == BELOW


def test_gradescope(runner: CliRunner, failing_run: Path) -> None:
    check(runner, "--gradescope", "results.json")
    output = json.loads(Path("results.json").read_text("utf-8"))["output"]
    assert output.splitlines()[0] == f"answers.yaml (ann): {BELOW}"


def test_classroom(runner: CliRunner, failing_run: Path) -> None:
    payload = json.loads(base64.b64decode(check(runner, "--format", "classroom").stdout))
    assert payload["status"] == "fail"
    (mark,) = [test for test in payload["tests"] if test["name"] == "pass mark"]
    assert (mark["status"], mark["message"]) == ("fail", BELOW)


def test_grades_csv(runner: CliRunner, failing_run: Path) -> None:
    check(runner, "--grades-csv", "grades.csv")
    (row,) = csv.DictReader(io.StringIO(Path("grades.csv").read_text("utf-8")))
    assert (row["score"], row["min_score"], row["passed"]) == ("1", "2", "no")


def test_a_passing_run_says_so(runner: CliRunner, failing_run: Path) -> None:
    args = ["check", "answers.yaml", "--exercises", "warmup.yaml", "--min-score", "1"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    (submission,) = json.loads(result.stdout)["submissions"]
    assert (submission["min_score"], submission["passed"]) == (1, True)
    text = runner.invoke(app, args).stdout.splitlines()
    assert "Passed: 1/3 points, reaching the pass mark of 1." in text


# --- a pass mark nobody can reach ------------------------------------------------------------

ABOVE = (
    "error: --min-score 4 is more than the 3 points of all the exercises: nobody could pass",
    "give at most 3 points, or a share of the points such as --min-score 60%",
)


@pytest.mark.parametrize(
    "command",
    [
        ["check", "answers.yaml", "--exercises", "warmup.yaml"],
        ["homework", "init", "hw", "--exercises", "warmup.yaml", "--install", "gradtutor"],
    ],
    ids=["check", "homework-init"],
)
def test_a_pass_mark_above_the_maximum_is_the_same_error(
    runner: CliRunner, failing_run: Path, command: list[str]
) -> None:
    result = runner.invoke(app, [*command, "--min-score", "4"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert message.startswith(ABOVE[0]), message
    assert ABOVE[1] in message
    assert not Path("hw").exists()
