"""`gradtutor check` with its CI reports, whole classes in parallel, and `--reveal`, end to end."""

from __future__ import annotations

import base64
import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import sympy
import yaml
from typer.testing import CliRunner

from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
from gradtutor.cli import app
from gradtutor.curriculum.loader import load_collection
from gradtutor.curriculum.model import Exercise
from gradtutor.language.expr import to_ascii

EXERCISES = """\
set: warmup
title: Warm-up
exercises:
  - id: square-times-y
    title: A product
    prompt: Find the gradient.
    function: x^2 y
    hints: [hold y constant, then x]
  - id: sine-of-square
    title: A sine of a square
    prompt: Differentiate.
    function: sin(x^2)
    hints: [the outer function is sin, multiply by the inner derivative]
"""


@pytest.fixture(autouse=True)
def no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test's GitHub summary must not land in the real one when the suite runs in Actions."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def derivative(exercise: Exercise, wrt: str) -> str:
    """The reference answer, from SymPy: never typed into a test by hand."""
    return to_ascii(from_sympy(sympy.diff(to_sympy(exercise.tree), symbol(wrt))))


@pytest.fixture
def course(tmp_path: Path) -> Path:
    path = tmp_path / "warmup.yaml"
    path.write_text(EXERCISES, encoding="utf-8")
    return path


def answers_file(path: Path, student: str | None, answers: dict[str, dict[str, str]]) -> Path:
    data: dict[str, Any] = {"answers": answers}
    if student is not None:
        data["student"] = student
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def correct_answers(course: Path) -> dict[str, dict[str, str]]:
    collection = load_collection(course)
    return {e.id: {w: derivative(e, w) for w in e.ask} for e in collection.exercises}


def wrong_answers(course: Path) -> dict[str, dict[str, str]]:
    """The chain rule's inner derivative left out, and one answer not given."""
    answers = correct_answers(course)
    answers["sine-of-square"] = {"x": "cos(x^2)"}
    del answers["square-times-y"]["x"]
    return answers


def test_every_report_in_one_run(
    runner: CliRunner, course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    written = answers_file(tmp_path / "alice.yaml", "alice", wrong_answers(course))
    line = written.read_text("utf-8").splitlines().index("  sine-of-square:") + 2
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = runner.invoke(app, [
        "check", "alice.yaml", "--exercises", str(course), "--format", "github",
        "--junit", "out/junit.xml", "--markdown", "out/summary.md", "--gradescope",
        "out/results.json", "--json", "out/report.json", "--grades-csv", "out/grades.csv",
    ])  # fmt: skip
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert errors.pop(0).startswith(
        "::error file=alice.yaml,title=Not passed::alice.yaml (alice): "
    )
    error = errors[0]
    assert error.startswith(
        f"::error file=alice.yaml,line={line},title=sine-of-square ∂/∂x%3A incorrect [0/1]::"
        "Your answer: cos(x^2)%0ARead as: cos(x²)%0AIncorrect: at x = "
    )
    assert "Likely mistake: Your answer leaves out the inner derivative of sin(x²)" in error
    assert (
        "::warning file=alice.yaml,title=1 answer missing::1 partial of 1 exercise has no "
        "answer: square-times-y (∂x)."
    ) in lines
    assert "::notice file=alice.yaml,title=Score::alice.yaml (alice): 1/3 points" in result.stdout

    out = tmp_path / "out"
    root = ET.parse(out / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    assert {case.get("classname") for case in root.iter("testcase")} == {"warmup"}
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["schema"] == "gradtutor-report/1"
    assert json.loads((out / "results.json").read_text("utf-8"))["score"] == 1.0
    row = "| sine-of-square | ∂/∂x | ❌ incorrect | 0/1 |"
    assert row in (out / "summary.md").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text("utf-8"))))
    assert rows[0]["student"] == "alice" and rows[0]["score"] == "1"
    assert summary.read_text("utf-8") == (out / "summary.md").read_text("utf-8")


def test_json_file_is_the_json_output(runner: CliRunner, course: Path, tmp_path: Path) -> None:
    answers = answers_file(tmp_path / "a.yaml", "ann", wrong_answers(course))
    saved = tmp_path / "report.json"
    result = runner.invoke(app, [
        "check", str(answers), "--exercises", str(course), "--format", "json", "--json", str(saved)
    ])  # fmt: skip
    assert result.exit_code == 1
    assert json.loads(saved.read_text("utf-8")) == json.loads(result.stdout)


def test_nothing_reveals_the_reference_without_reveal(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    answers = answers_file(tmp_path / "a.yaml", "ann", wrong_answers(course))
    outputs = {}
    for flag in ([], ["--reveal"]):
        junit, markdown = tmp_path / f"j{len(flag)}.xml", tmp_path / f"m{len(flag)}.md"
        args = ["check", str(answers), "--exercises", str(course), "--junit", str(junit)]
        plain = runner.invoke(app, [*args, "--markdown", str(markdown), *flag])
        github = runner.invoke(app, [*args, "--format", "github", *flag])
        data = runner.invoke(app, [*args, "--format", "json", *flag])
        outputs[bool(flag)] = {
            "text": plain.stdout,
            "github": github.stdout,
            "json": data.stdout,
            "junit": junit.read_text("utf-8"),
            "markdown": markdown.read_text("utf-8"),
        }
    revealed = json.loads(outputs[True]["json"])["submissions"][0]["results"]
    hidden = json.loads(outputs[False]["json"])["submissions"][0]["results"]
    assert all("reference" not in result for result in hidden)
    assert all(result["reference"] for result in revealed)
    # A correct answer is read back as given; the others' references must stay hidden.
    references = {result["reference"] for result in revealed if result["verdict"] != "correct"}
    assert len(references) == 2
    for reference in references:
        for name, text in outputs[False].items():
            assert reference not in text, name
        for name, text in outputs[True].items():
            assert reference in text, name
    assert "chain rule" in outputs[True]["markdown"].lower()


def test_classroom_payload_on_stdout(runner: CliRunner, course: Path, tmp_path: Path) -> None:
    right = answers_file(tmp_path / "right.yaml", "bo", correct_answers(course))
    result = runner.invoke(app, ["check", str(right), "--exercises", str(course),
                                 "--format", "classroom"])  # fmt: skip
    assert result.exit_code == 0
    payload = json.loads(base64.b64decode(result.stdout.strip(), validate=True))
    assert (payload["version"], payload["status"], payload["max_score"]) == (1, "pass", 3.0)
    assert [test["status"] for test in payload["tests"]] == ["pass"] * 3
    assert sum(test["score"] for test in payload["tests"]) == 3.0


def test_min_score_decides_the_classroom_status(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    answers = answers_file(tmp_path / "a.yaml", "ann", wrong_answers(course))
    args = ["check", str(answers), "--exercises", str(course), "--format", "classroom"]
    short = runner.invoke(app, [*args, "--min-score", "2"])
    enough = runner.invoke(app, [*args, "--min-score", "1"])
    assert short.exit_code == 1 and enough.exit_code == 0
    assert json.loads(base64.b64decode(short.stdout))["status"] == "fail"
    assert json.loads(base64.b64decode(enough.stdout))["status"] == "pass"


def test_a_class_in_parallel_keeps_going_past_a_broken_file(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    answers_file(folder / "1-ada.yaml", "ada", correct_answers(course))
    (folder / "2-broken.yaml").write_text("answers:\n  x: [unclosed\n", encoding="utf-8")
    answers_file(folder / "3-bob.yaml", "bob", wrong_answers(course))
    answers_file(folder / "4-cy.yaml", None, {})
    files = sorted(str(path) for path in folder.iterdir())
    grades = tmp_path / "grades.csv"
    parallel = runner.invoke(app, ["check", *files, "--exercises", str(course), "--jobs", "3",
                                   "--format", "json", "--grades-csv", str(grades)])  # fmt: skip
    assert parallel.exit_code == 2
    report = json.loads(parallel.stdout)
    assert [s["student"] for s in report["submissions"]] == ["ada", "bob", None]
    assert [s["score"] for s in report["submissions"]] == [3.0, 1.0, 0.0]
    assert [failure["file"] for failure in report["errors"]] == [files[1]]
    assert "2-broken.yaml" in parallel.stderr.replace("\n", "")
    rows = list(csv.DictReader(io.StringIO(grades.read_text("utf-8"))))
    assert [(row["student"], row["score"], row["correct"]) for row in rows] == [
        ("ada", "3", "3"), ("bob", "1", "1"), ("", "0", "0"), ("", "", ""),
    ]  # fmt: skip
    assert rows[3]["file"] == files[1] and rows[3]["error"]
    sequential = runner.invoke(app, ["check", *files, "--exercises", str(course),
                                     "--format", "json"])  # fmt: skip
    without_times = json.loads(sequential.stdout)
    assert without_times == report


def test_jobs_must_be_positive(runner: CliRunner, course: Path, tmp_path: Path) -> None:
    answers = answers_file(tmp_path / "a.yaml", "ann", {})
    result = runner.invoke(app, ["check", str(answers), "--exercises", str(course), "-j", "0"])
    assert result.exit_code == 2
    assert "--jobs must be 1 or more" in " ".join(result.stderr.split())


def test_unwritable_report_path_is_a_clear_error(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    answers = answers_file(tmp_path / "a.yaml", "ann", {})
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["check", str(answers), "--exercises", str(course),
                                 "--junit", str(blocker / "junit.xml")])  # fmt: skip
    assert result.exit_code == 2
    assert "cannot write the report" in " ".join(result.stderr.split())
