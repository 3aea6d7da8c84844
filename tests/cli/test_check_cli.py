"""`gradtutor check` through the CLI: exit codes, the JSON report's exact shape, the text view."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gradtutor.cli import app
from tests import conftest

FIXTURES = conftest.FIXTURES / "answers"
EXERCISES = "exercises.yaml"


@pytest.fixture(autouse=True)
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the fixtures folder, so that file names in the output are short."""
    monkeypatch.chdir(FIXTURES)


RESULT_KEYS = {
    "exercise", "wrt", "verdict", "points", "max_points", "answer", "read_as", "line",
    "symbolic", "numeric", "message", "diagnosis", "counterexample",
}  # fmt: skip


def check(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["check", *args])


def submission(name: str) -> str:
    return f"submissions/{name}"


def words(text: str) -> str:
    """The text without panel borders, wrapping and runs of spaces."""
    return " ".join(text.replace("│", " ").split())


def test_all_correct_exits_0(runner: CliRunner) -> None:
    result = check(runner, submission("all-correct.yaml"), "--exercises", EXERCISES)
    assert result.exit_code == 0, result.output
    assert "total" in result.output and "5/5" in result.output


def test_graded_and_short_exits_1(runner: CliRunner) -> None:
    result = check(runner, submission("mixed.yaml"), "--exercises", EXERCISES)
    assert result.exit_code == 1
    assert "1/5" in result.output


def test_min_score_decides_the_exit_code(runner: CliRunner) -> None:
    args = [submission("mixed.yaml"), "--exercises", EXERCISES]
    assert check(runner, *args, "--min-score", "1").exit_code == 0
    assert check(runner, *args, "--min-score", "1.5").exit_code == 1


def test_min_score_as_a_percentage_of_the_points(runner: CliRunner) -> None:
    args = [submission("mixed.yaml"), "--exercises", EXERCISES]  # 1 of 5 points
    assert check(runner, *args, "--min-score", "20%").exit_code == 0
    assert check(runner, *args, "--min-score", "20.5%").exit_code == 1
    for refused in ("101%", "-5%", "half", "%"):
        result = check(runner, *args, "--min-score", refused)
        assert result.exit_code == 2, refused
        assert f"or a percentage from 0% to 100%, not '{refused}'" in result.stderr


def test_a_malformed_file_exits_2_naming_file_and_line(runner: CliRunner) -> None:
    result = check(runner, submission("malformed.yaml"), "--exercises", EXERCISES)
    assert result.exit_code == 2
    assert "error: submissions/malformed.yaml:5:4: malformed YAML" in words(result.stderr)


def test_a_broken_file_does_not_stop_the_others(runner: CliRunner) -> None:
    result = check(
        runner, submission("not-utf8.yaml"), submission("all-correct.yaml"),
        "--exercises", EXERCISES, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [s["student"] for s in report["submissions"]] == ["alice"]
    assert report["errors"][0]["line"] == 4
    assert "submissions/not-utf8.yaml:4:8: the file is not UTF-8 text: byte 0xFF" in words(
        result.stderr
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--function", "x^2"],
        ["--answer", "2x"],
        ["--function", "x^2", "--answer", "2x", submission("all-correct.yaml")],
        ["--function", "x y", "--answer", "y"],
        ["--function", "x^2", "--wrt", "y", "--answer", "2x"],
        ["--function", "x^", "--answer", "2x"],
        ["--function", "x^2", "--answer", "2x", "--seed", "-1"],
        ["--function", "x^2", "--answer", "2x", "--timeout", "0"],
        [submission("absent.yaml")],
        [submission("all-correct.yaml"), "--exercises", "nothing-here"],
    ],
)
def test_requests_that_cannot_run_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = check(runner, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_the_json_report_has_exactly_the_documented_shape(runner: CliRunner) -> None:
    result = check(
        runner, submission("mixed.yaml"), "--exercises", EXERCISES, "--format", "json",
        "--seed", "7",
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert set(report) == {"schema", "seed", "submissions"}
    assert (report["schema"], report["seed"]) == ("gradtutor-report/1", 7)
    (graded,) = report["submissions"]
    # DESIGN.md's fields, and the pass mark (issue 17): none given, so every answer must be right.
    assert set(graded) == {
        "file",
        "student",
        "score",
        "max_score",
        "results",
        "min_score",
        "passed",
    }
    assert (graded["student"], graded["score"], graded["max_score"]) == ("bob", 1.0, 5.0)
    assert (graded["min_score"], graded["passed"]) == (None, False)
    for result_json in graded["results"]:
        assert set(result_json) == RESULT_KEYS
    by_key = {(r["exercise"], r["wrt"]): r for r in graded["results"]}
    wrong = by_key[("chain-power", "x")]
    assert (wrong["verdict"], wrong["line"], wrong["answer"]) == ("incorrect", 4, "15(2x^2)^4")
    assert wrong["read_as"] == "15·(2·x²)⁴"
    assert wrong["symbolic"] == "different"
    assert set(wrong["numeric"]) == {"result", "points", "max_error"}
    assert wrong["numeric"]["points"] >= 12
    assert set(wrong["counterexample"]) == {"point", "expected", "got"}
    assert set(wrong["counterexample"]["point"]) == {"x"}
    assert wrong["diagnosis"] == {
        "kind": "chain-rule",
        "message": wrong["diagnosis"]["message"],
        "hint": 1,
    }
    assert by_key[("sum-two-vars", "y")]["verdict"] == "invalid"
    assert by_key[("relu-of-x", "x")]["verdict"] == "missing"
    assert by_key[("chian-power", "x")]["max_points"] == 0.0


def test_the_report_never_shows_the_reference_derivative(runner: CliRunner) -> None:
    for output in ("text", "json"):
        result = check(
            runner, submission("mixed.yaml"), "--exercises", EXERCISES, "--format", output
        )
        assert "960·x⁹" not in result.stdout and "960*x^9" not in result.stdout
        assert "reference" not in result.stdout


def test_the_seed_fixes_every_sample_point(runner: CliRunner) -> None:
    args = ["--function", "x^3", "--answer", "3x", "--format", "json"]
    first = json.loads(check(runner, *args, "--seed", "3").stdout)
    again = json.loads(check(runner, *args, "--seed", "3").stdout)
    other = json.loads(check(runner, *args, "--seed", "4").stdout)

    def point(report: dict) -> dict:  # type: ignore[type-arg]
        return report["submissions"][0]["results"][0]["counterexample"]["point"]  # type: ignore[no-any-return]

    assert point(first) == point(again) != point(other)
    assert first["seed"] == 3


@pytest.mark.parametrize(
    ("args", "code", "verdict"),
    [
        (["--function", "max(x, y)", "--wrt", "x", "--answer", "1(x > y)"], 0, "correct"),
        (
            [
                "--function",
                "x0 w0 + b",
                "--wrt",
                "w0",
                "--answer",
                "x0",
                "--var",
                "x0",
                "--var",
                "w0",
                "--var",
                "b",
            ],
            0,
            "correct",
        ),
        (["--function", "x^2", "--answer", "2"], 1, "incorrect"),
        (["--function", "x^2", "--answer", "2x +"], 1, "invalid"),
    ],
)
def test_inline_checks(runner: CliRunner, args: list[str], code: int, verdict: str) -> None:
    result = check(runner, *args, "--format", "json")
    assert result.exit_code == code
    (graded,) = json.loads(result.stdout)["submissions"]
    assert graded["results"][0]["verdict"] == verdict


def test_inline_text_explains_the_verdict(runner: CliRunner) -> None:
    result = check(runner, "--function", "relu(x)", "--answer", "[x >= 0]")
    assert result.exit_code == 0
    text = words(result.stdout)
    assert "read as [x ≥ 0]" in text
    assert "The derivative does not exist at the kink (x = 0); either value is accepted" in text


def test_the_text_view_of_a_submission(runner: CliRunner) -> None:
    result = check(runner, submission("mixed.yaml"), "--exercises", EXERCISES, "--seed", "1")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].rstrip() == "submissions/mixed.yaml (bob)"
    body = "\n".join(line.rstrip() for line in lines)
    assert "  chain-power    x          incorrect      0/1" in body
    assert "  sum-two-vars   y          invalid        0/1" in body
    assert "  total                                    1/5" in body
    assert "│ answer  15(2x^2)^4" in body
    assert "│ read as 15·(2·x²)⁴" in body
    assert "│ mistake Your answer leaves out the inner derivative of (2·x²)⁵" in body
    assert "│ hint    read hint 2 of chain-power" in body
    assert 'quote the answer: y: "[x > y]"' in words(body)
    # Missing answers are summed up in one line, not listed as rows.
    assert "missing: 1 partial of 1 exercise — relu-of-x (∂x)" in body
    assert " missing " not in body


def test_several_files_end_with_a_class_summary(runner: CliRunner) -> None:
    files = [submission(name) for name in ("all-correct.yaml", "mixed.yaml", "empty-template.yaml")]
    result = check(runner, *files, "--exercises", EXERCISES, "--min-score", "40%")
    lines = [line.rstrip() for line in result.output.splitlines()]
    summary = lines[lines.index("Class of 3 files: mean 2 of 5 points (40%), median 1.") :]
    assert summary == [
        "Class of 3 files: mean 2 of 5 points (40%), median 1.",
        "1 of 3 reach --min-score 40%.",
        "Most often not right:",
        "  chain-power ∂/∂x   2 of 3  (1 incorrect, 1 missing)",
        "  sum-two-vars ∂/∂y  2 of 3  (1 invalid, 1 missing)",
        "  relu-of-x ∂/∂x     2 of 3  (2 missing)",
        "  sum-two-vars ∂/∂x  1 of 3  (1 missing)",
        "  chian-power ∂/∂x   1 of 3  (1 invalid)",
    ]


def test_one_file_has_no_class_summary(runner: CliRunner) -> None:
    result = check(runner, submission("mixed.yaml"), "--exercises", EXERCISES)
    assert "Class of" not in result.output
    assert "Most often not right" not in result.output


# --- one answer to an exercise of the curriculum --------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "verdict"),
    [
        (["--exercise", "sum-two-vars", "--wrt", "y", "--answer", "1"], 0, "correct"),
        (["--exercise", "sum-two-vars", "--wrt", "x", "--answer", "x"], 1, "incorrect"),
        (["--exercise", "chain-power", "--answer", "60(2x^2)^4 x"], 0, "correct"),
    ],
)
def test_an_answer_to_an_exercise_is_checked_inline(
    runner: CliRunner, args: list[str], code: int, verdict: str
) -> None:
    result = check(runner, *args, "--exercises", EXERCISES, "--format", "json")
    assert result.exit_code == code, result.output
    (graded,) = json.loads(result.stdout)["submissions"]
    assert graded["results"][0]["verdict"] == verdict


@pytest.mark.parametrize(
    ("args", "words_in_message"),
    [
        (["--exercise", "sum-two-vars", "--answer", "x"], "sum-two-vars asks for ∂/∂x, ∂/∂y"),
        (["--exercise", "nothing-of-the-kind", "--answer", "x"], "no exercise 'nothing-of-the-k"),
        (["--exercise", "sum-two-vars", "--wrt", "x"], "an inline check needs --answer"),
        (
            ["--exercise", "sum-two-vars", "--function", "x", "--answer", "1"],
            "give --function or --exercise, not both",
        ),
    ],
)
def test_an_inline_exercise_request_that_cannot_run_exits_2(
    runner: CliRunner, args: list[str], words_in_message: str
) -> None:
    result = check(runner, *args, "--exercises", EXERCISES)
    assert result.exit_code == 2
    assert words_in_message in words(result.stderr)
