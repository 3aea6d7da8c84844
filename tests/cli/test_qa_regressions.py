"""Regressions for what QA found using gradtutor as its users would, each through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradtutor.cli import app

SQUARE = """\
title: Squares
exercises:
  - id: square
    title: A square
    prompt: Differentiate.
    function: x^2
"""


@pytest.fixture
def square(tmp_path: Path) -> Path:
    path = tmp_path / "squares.yaml"
    path.write_text(SQUARE, encoding="utf-8")
    return path


def test_practice_reads_bytes_that_are_not_utf8_as_an_unreadable_answer(
    runner: CliRunner, square: Path
) -> None:
    result = runner.invoke(app, ["practice", "--exercises", str(square)], input=b"\xff\xfe1\n2x\n")
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "could not read that: unexpected character '\ufffd'" in result.output
    assert "correct" in result.output
    assert "1 solved" in result.output


def test_validate_reports_parameters_past_the_parser_limits_at_their_place(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "powers.yaml"
    path.write_text(
        "title: Powers\n"
        "exercises:\n"
        "  - id: scaled\n"
        "    title: A scaled power\n"
        "    prompt: Differentiate.\n"
        "    function: a*x^n\n"
        "    params: {a: [2, 9], n: [3, 5000]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}:6:15: with a = 9, n = 5000 the function cannot be read" in result.output
    assert "1 problem; checked 0 exercises" in result.output


def test_a_domain_may_be_written_with_an_exponent(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "logs.yaml"
    path.write_text(
        "title: Logs\n"
        "exercises:\n"
        "  - id: log\n"
        "    title: A logarithm\n"
        "    prompt: Differentiate.\n"
        "    function: log(x)\n"
        "    domain: {x: [1e-3, 5E+1]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["show", "log", "--exercises", str(path)])
    assert "[0.001, 50]" in shown.output


@pytest.mark.parametrize(
    ("function", "point"), [("sqrt(x)", "x=0"), ("acos(x)", "x=1"), ("sqrt(x) + y", "x=0,y=2")]
)
def test_explain_at_a_point_without_a_finite_derivative_is_an_error(
    runner: CliRunner, function: str, point: str
) -> None:
    result = runner.invoke(app, ["explain", function, "--at", point])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "has no finite derivative with respect to x at this point" in result.stderr


def test_backprop_table_shows_huge_and_long_values_as_short_decimals(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "x^1000", "--at", "x=10"])
    assert result.exit_code == 0, result.output
    assert "f ≈ 1.000e+1000" in result.output
    assert "0" * 30 not in result.output
    overflow = runner.invoke(app, ["explain", "exp(x)", "--at", "x=1000"])
    assert "f ≈ 1.970e+434" in overflow.output
    assert "inf" not in overflow.output
    decimal = runner.invoke(app, ["explain", "tan(x)", "--at", "x=1.5707963267948966"])
    assert "at x ≈ 1.571" in decimal.output
    assert "/5000000000000000" not in decimal.output


def test_latex_export_never_glues_a_command_to_the_next_letter(runner: CliRunner) -> None:
    import re

    from gradtutor.curriculum.loader import load_collection

    glued = re.compile(r"\\(partial|cdot|sigma|pi|nabla|times|approx|surd)[A-Za-z]")
    # The chain rule's explanation ends in the prose "∂u/∂x", where the glue happened.
    for exercise in load_collection().get_set("chain-several").exercises:
        result = runner.invoke(app, ["explain", "--exercise", exercise.id, "--format", "latex"])
        assert result.exit_code == 0, result.output
        assert not glued.search(result.output), (exercise.id, glued.search(result.output))


def test_an_error_in_a_long_formula_shows_a_window_around_its_column(runner: CliRunner) -> None:
    formula = "x+" * 150 + "y$" + "+x" * 100
    result = runner.invoke(app, ["parse", formula])
    assert result.exit_code == 1
    line, pointer = result.stderr.splitlines()[1:3]
    assert len(line) <= 80 and len(pointer) <= 80
    assert line.startswith("  …") and line.endswith("…")
    assert line[pointer.index("^")] == "$"
    too_long = runner.invoke(app, ["parse", "x+" * 600 + "x"])
    assert max(len(text) for text in too_long.stderr.splitlines()) <= 80


def test_a_file_that_cannot_be_graded_is_named_on_one_unbroken_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text('answers:\n  sum-x-plus-y: {x: "1", y: "1"\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(broken)])
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {broken}:3:1: malformed YAML")
    assert first.endswith("(while parsing a flow mapping)")


def test_help_lists_every_command_untruncated_with_readable_option_values(
    runner: CliRunner,
) -> None:
    import re

    top = runner.invoke(app, ["--help"]).output
    commands = top.split("Commands:")[1].splitlines()
    assert all(not line.rstrip().endswith("...") for line in commands), top
    python_types = re.compile(r"<(str|int|float|path|list\[[^\]]*\])>")
    for command in [*(c.name for c in app.registered_commands), "homework init"]:
        assert command is not None
        output = runner.invoke(app, [*command.split(), "--help"]).output
        options = [line for line in output.splitlines() if line.lstrip().startswith("-")]
        assert not any(python_types.search(line) for line in options), (command, output)
    assert "[[PATH]...]" not in runner.invoke(app, ["validate", "--help"]).output


def test_a_formula_that_starts_with_a_minus_is_read_after_double_dash(
    runner: CliRunner,
) -> None:
    result = runner.invoke(app, ["parse", "--", "-2x"])
    assert result.exit_code == 0
    assert "−2·x" in result.output


def test_practice_does_not_call_skipped_exercises_finished(runner: CliRunner, square: Path) -> None:
    result = runner.invoke(app, ["practice", "--exercises", str(square)], input="skip\n")
    assert result.exit_code == 0, result.output
    assert "is finished" not in result.output
    flowing = " ".join(result.output.split())
    assert "0 of 1 finished, 1 skipped (offered again next session)" in flowing


def test_practice_refuses_an_exercise_outside_the_chosen_set(runner: CliRunner) -> None:
    result = runner.invoke(app, ["practice", "--set", "sums", "--exercise", "chain-3-2x2-5"])
    assert result.exit_code == 2
    assert "exercise chain-3-2x2-5 is not in set sums" in result.stderr
    assert "Exercise 0 of" not in result.output


def test_list_keeps_titles_whole_and_statuses_visible_in_a_small_terminal(
    runner: CliRunner,
) -> None:
    result = runner.invoke(app, ["list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "sum-three-variables" in result.output
    assert "Constant factors in a sum" in result.output  # one line, not three
    narrow = runner.invoke(app, ["list"], env={"COLUMNS": "70"})
    rows = [line for line in narrow.output.splitlines() if line.startswith("sum-")]
    assert rows and all(line.rstrip().endswith("new") for line in rows), narrow.output


def test_a_student_name_that_yaml_reads_as_a_list_is_reported_not_dropped(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text('student: [Ada, Lovelace]\nanswers:\n  sum-x-plus-y: {x: "1"}\n')
    grades = tmp_path / "grades.csv"
    result = runner.invoke(app, ["check", str(path), "--grades-csv", str(grades)])
    assert result.exit_code == 2
    assert f"{path}:1:10: `student:` should be a name" in result.stderr
    assert "should be a name" in grades.read_text(encoding="utf-8")


def test_the_caret_stays_under_the_column_of_a_long_invalid_answer(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(f'answers:\n  sum-x-plus-y:\n    x: "{"x+" * 150}$+1"\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    answer = next(index for index, line in enumerate(lines) if line.startswith("│ answer"))
    shown, pointer = lines[answer], lines[answer + 1]
    assert shown[pointer.index("^")] == "$"
    assert max(len(line) for line in lines) <= 80


def test_explain_plain_output_carries_no_trailing_spaces(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "3*(2*x^2)^5", "--plain"])
    assert result.exit_code == 0
    assert "rest, ∂(c·u) = c·∂u." in result.output  # a wrapped line
    assert all(line == line.rstrip() for line in result.output.splitlines())


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--min-score", "nan"], "--min-score must be a number of points, 0 or more"),
        (["--install", "gradtutor\n  evil: true"], "holds a line break"),
    ],
)
def test_homework_init_refuses_options_that_would_write_a_broken_workflow(
    runner: CliRunner, tmp_path: Path, option: list[str], message: str
) -> None:
    target = tmp_path / "week-1"
    result = runner.invoke(app, ["homework", "init", str(target), "--set", "sums", *option])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not target.exists()


def test_a_file_named_twice_is_validated_once(runner: CliRunner, square: Path) -> None:
    result = runner.invoke(app, ["validate", str(square), str(square.parent), str(square)])
    assert result.exit_code == 0, result.output
    assert "ok: checked 1 exercise in 1 set (1 file), no problems" in result.output


def _powers(count: int) -> str:
    """An exercise file of `count` small exercises; the first asks for two partials."""
    exercises = [
        f"  - id: power-{n}\n    title: Power {n}\n    prompt: Differentiate.\n"
        f"    function: x^{n + 1}{' y' if n == 1 else ''}\n"
        for n in range(1, count + 1)
    ]
    return "title: Powers\nexercises:\n" + "".join(exercises)


def test_check_sums_up_missing_answers_in_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("powers.yaml").write_text(_powers(8), encoding="utf-8")
    answers = "answers:\n  power-3: {x: 4x^3}\n  power-4: {x: 5x}\n"
    Path("answers.yaml").write_text(answers, encoding="utf-8")
    result = runner.invoke(
        app, ["check", "answers.yaml", "--exercises", "powers.yaml", "--min-score", "60%"]
    )
    assert result.exit_code == 1, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[:13] == [
        "answers.yaml",
        "",
        "  exercise   variable   verdict     points",
        " ──────────────────────────────────────────",
        "  power-3    x          correct        1/1",
        "  power-4    x          incorrect      0/1",
        "",
        "  total                                1/9",
        "",
        "missing: 7 partials of 6 exercises — power-1 (∂x, ∂y), power-2 (∂x), power-5",
        "(∂x), power-6 (∂x), power-7 (∂x), power-8 (∂x)",
        "Not passed: 1/9 points, below the pass mark of 5.4 (--min-score 60%).",
        "╭─ power-4 ∂/∂x (line 3): incorrect ───────────────────────────────────────────╮",
    ]


def test_check_of_an_untouched_template_lists_no_missing_rows(
    runner: CliRunner, tmp_path: Path
) -> None:
    exercises = tmp_path / "powers.yaml"
    exercises.write_text(_powers(9), encoding="utf-8")
    template = tmp_path / "answers.yaml"
    made = runner.invoke(app, ["template", "--exercises", str(exercises), "-o", str(template)])
    assert made.exit_code == 0, made.output
    result = runner.invoke(app, ["check", str(template), "--exercises", str(exercises)])
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert "total 0/10" in text
    assert " missing 0/1" not in text
    assert text.endswith(
        "missing: 10 partials of 9 exercises — power-1 (∂x, ∂y), power-2 (∂x), power-3 (∂x), "
        "power-4 (∂x), power-5 (∂x), power-6 (∂x) and 3 more exercises "
        "Not passed: 0/10 points; with no --min-score, every answer must be correct."
    )


def test_a_null_answer_is_missing_not_an_unreadable_formula(
    runner: CliRunner, square: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n  square:\n    x: ~\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(answers), "--exercises", str(square)])
    assert result.exit_code == 1, result.output
    (graded,) = json.loads(
        runner.invoke(
            app, ["check", str(answers), "--exercises", str(square), "--format", "json"]
        ).stdout
    )["submissions"]
    assert [(r["verdict"], r["answer"], r["line"]) for r in graded["results"]] == [
        ("missing", None, 3)
    ]
    assert "invalid" not in result.stdout


def test_practice_explains_a_command_word_with_a_bad_argument(
    runner: CliRunner, tmp_path: Path
) -> None:
    hinted = tmp_path / "hinted.yaml"
    hinted.write_text(SQUARE + "    hints: [one, two, three]\n", encoding="utf-8")
    lines = "hint two\nhint -1\nsteps please\n2x\nquit\n"
    result = runner.invoke(app, ["practice", "--exercises", str(hinted)], input=lines)
    assert result.exit_code == 0, result.output
    assert "unknown variable" not in result.output
    assert "could not read that" not in result.output
    assert result.output.count("hint takes a number from 1 to 3") == 2
    assert "steps takes nothing after it: type steps alone." in result.output
    assert "1 solved · 1 attempt (1 correct)" in result.output


def test_reveal_shows_each_reference_once_per_variant_for_a_class(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("course.yaml").write_text(
        SQUARE + "  - id: scaled\n    title: Scaled\n    prompt: Differentiate.\n"
        "    function: a*x^2\n    params: {a: [2, 3]}\n",
        encoding="utf-8",
    )
    students = ["ana", "ben", "cy", "dee", "eli", "fay"]
    for name in students:
        Path(f"{name}.yaml").write_text(f"student: {name}\nanswers:\n  square: 2x\n", "utf-8")
    args = ["check", *(f"{name}.yaml" for name in students), "--exercises", "course.yaml"]
    report = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    variants = {
        result["variant"]["a"]
        for submission in report["submissions"]
        for result in submission["results"]
        if result["exercise"] == "scaled"
    }
    assert len(variants) == 2  # six students share two variants
    result = runner.invoke(app, [*args, "--reveal"])
    assert result.exit_code == 1, result.output
    revealed = result.stdout[result.stdout.index("reference derivatives") :]
    headings = [line for line in revealed.splitlines() if "∂/∂x" in line and ": " in line]
    assert [line for line in headings if line.startswith("square")] == ["square ∂/∂x: 2·x"]
    assert sorted(line for line in headings if line.startswith("scaled")) == [
        f"scaled ∂/∂x (a = {a}): {2 * a}·x" for a in sorted(variants)
    ]


def test_validate_warns_of_a_pole_inside_the_domain_without_failing(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "inverse.yaml"
    path.write_text(SQUARE.replace("function: x^2", "function: 1/x"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path}:6:15: warning: exercise 'square': f is undefined at x = 0, inside the domain "
        "[-3, 3]; the checker skips such points, but consider a domain that excludes it",
        "ok: checked 1 exercise in 1 set (1 file), no problems, 1 warning",
    ]
    strict = runner.invoke(app, ["validate", str(path), "--strict"])
    assert strict.exit_code == 1
    assert strict.stdout.splitlines()[-1] == (
        "1 warning (--strict: warnings fail); checked 1 exercise in 1 set (1 file)"
    )
    # A domain that keeps away from the pole is clean, even with --strict.
    path.write_text(path.read_text("utf-8") + "    domain: {x: [0.5, 3]}\n", encoding="utf-8")
    clean = runner.invoke(app, ["validate", str(path), "--strict"])
    assert clean.exit_code == 0, clean.output
    assert "warning" not in clean.stdout


def test_the_shipped_curriculum_validates_without_warnings(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "--strict"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stdout
