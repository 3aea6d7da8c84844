"""`gradtutor list`, `show` and `validate` through the CLI: output, JSON shape and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradtutor.cli import app
from gradtutor.curriculum.loader import ENVIRONMENT_VARIABLE
from tests import conftest

FIXTURES = conftest.FIXTURES / "exercises"
VALID = FIXTURES / "valid"
MALFORMED = FIXTURES / "malformed"


def unwrapped(text: str) -> str:
    """Console output with the terminal's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _no_configured_exercises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)


def test_list_prints_a_table(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--exercises", str(VALID)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "id           title         asks    status   \n"
        "first:                                      \n"
        "sum-xy       A sum         ∂x, ∂y  new      \n"
        "log-x        A logarithm   ∂x      new      \n"
        "second:                                     \n"
        "product-xy   A product     ∂x, ∂y  new      \n"
        "c-no-order:                                 \n"
        "relu-x       ReLU          ∂x      new      \n"
    )


def test_list_json_has_the_documented_shape(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--format", "json", "--exercises", str(VALID)])
    assert result.exit_code == 0
    listed = json.loads(result.output)
    assert [item["id"] for item in listed] == ["sum-xy", "log-x", "product-xy", "relu-x"]
    assert listed[1] == {
        "id": "log-x",
        "set": "first",
        "title": "A logarithm",
        "function": "log(x) * y",
        "ask": ["x"],
        "rules": [],
        "points": 2.5,
        "name": "f",
        "status": "new",
    }


def test_list_one_set(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--set", "second", "--format", "json",
                                 "--exercises", str(VALID)])  # fmt: skip
    assert [item["id"] for item in json.loads(result.output)] == ["product-xy"]


def test_list_an_unknown_set_exits_2_with_advice(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--set", "secnd", "--exercises", str(VALID)])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: there is no set 'secnd'\n"
        "  hint: did you mean 'second'? the sets are: first, second, c-no-order\n"
    )


def test_list_the_shipped_curriculum(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--format", "json"])
    assert result.exit_code == 0
    listed = json.loads(result.output)
    assert len(listed) >= 48
    assert listed[0]["set"] == "sums"
    assert listed[-1]["set"] == "two-layer-network"


def test_the_environment_variable_and_the_option_choose_the_exercises(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(VALID / "c-no-order.yaml"))
    from_environment = runner.invoke(app, ["list", "--format", "json"])
    assert [item["id"] for item in json.loads(from_environment.output)] == ["relu-x"]
    from_option = runner.invoke(
        app, ["list", "--format", "json", "--exercises", str(VALID / "b-second.yaml")]
    )
    assert [item["id"] for item in json.loads(from_option.output)] == ["product-xy"]
    shown = runner.invoke(app, ["show", "relu-x"])
    assert shown.exit_code == 0 and "f(x) = relu(x)" in shown.output


def test_show_an_exercise(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "log-x", "--exercises", str(VALID)])
    assert result.exit_code == 0
    assert result.output == (
        "A logarithm\n"
        "id       log-x   set first\n"
        "\n"
        "Find the derivative of ln(x) times y.\n"
        "\n"
        "function f(y, x) = log(x)·y\n"
        "find     ∂f/∂x\n"
        "domain   x in [0.5, 2]\n"
        "hints    0 hints\n"
        "points   2.5 per partial\n"
    )


def test_show_names_a_whole_gradient(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "sum-xy", "--exercises", str(VALID)])
    assert "find     ∇f = [∂f/∂x, ∂f/∂y]\n" in result.output
    assert "hints    2 hints\n" in result.output
    assert "rules    sum, variable\n" in result.output


def test_show_an_unknown_id_exits_2_with_a_suggestion(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "sum-yx", "--exercises", str(VALID)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: there is no exercise 'sum-yx'\n"
        "  hint: did you mean 'sum-xy'? `gradtutor list` shows every exercise id\n"
    )


def test_a_malformed_exercise_file_stops_list_with_its_place(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--exercises", str(MALFORMED / "unknown-rule.yaml")])
    assert result.exit_code == 2
    assert unwrapped(result.stderr).startswith(
        f"error: {MALFORMED}/unknown-rule.yaml:7:13: unknown rule 'prodcut' "
        "hint: did you mean 'product'?"
    )


def test_validate_clean_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(VALID)])
    assert result.exit_code == 0
    assert result.output == "ok: checked 4 exercises in 3 sets (3 files), no problems\n"


def test_validate_the_shipped_curriculum_by_default(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0
    assert result.output.startswith("ok: checked ")


def test_validate_prints_every_problem_and_exits_1(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "validate",
            str(MALFORMED / "several-problems.yaml"),
            str(MALFORMED / "domain-empty.yaml"),
        ],
    )
    assert result.exit_code == 1
    # Each problem is one unbroken line; hints (indented) may wrap.
    lines = [line for line in result.stdout.splitlines() if line.startswith((str(MALFORMED), "3"))]
    assert [line.replace(f"{MALFORMED}/", "") for line in lines] == [
        "several-problems.yaml:7:5: unknown key 'asks' in exercise 'first'",
        "several-problems.yaml:12:17: the interval of 'x' is empty: 1 is not below 1",
        "domain-empty.yaml:7:17: the interval of 'x' is empty: 2 is not below 0.5",
        "3 problems; checked 0 exercises in 2 sets (2 files)",
    ]


def test_validate_unreadable_input_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert unwrapped(result.stderr).startswith(
        f"error: {tmp_path}/missing.yaml: no such file or folder hint: "
    )
