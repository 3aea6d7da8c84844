"""`gradtutor explain`: text, JSON, Markdown and LaTeX, exercises, the gradient, and bad input."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from gradtutor.cli import app
from gradtutor.curriculum.loader import load_collection
from gradtutor.language.parser import parse
from gradtutor.render.export import _name, latex, markdown, to_latex
from gradtutor.tutor.explain import explain

NEURON = "relu(x0*w0 + x1*w1 + x2*w2 + b)"
NEURON_POINT = "x0=1,w0=-3,x1=-2,w1=-1,x2=3,w2=2,b=1"
BOX_DRAWING = set("│├└─╭╮╰╯┃━┏┓┗┛")


def _explain(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["explain", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_text_shows_the_steps_and_the_result(runner: CliRunner) -> None:
    output = _explain(runner, "3*(2*x^2)^5", "--wrt", "x")
    assert "├── 1 constant-multiple  ∂/∂x 3·(2·x²)⁵ = 15·(2·x²)⁴·4·x" in output
    assert "Chain rule: let u = 2·x²" in output
    assert "│ ∂f/∂x = 15·(2·x²)⁴·4·x = 960·x⁹ │" in output


def test_plain_text_has_no_box_drawing(runner: CliRunner) -> None:
    output = _explain(runner, "3*(2*x^2)^5", "--wrt", "x", "--plain")
    assert not set(output) & BOX_DRAWING
    assert "∂f/∂x = 15·(2·x²)⁴·4·x = 960·x⁹" in output
    neuron = _explain(runner, NEURON, "--at", NEURON_POINT, "--plain")
    assert not set(neuron) & BOX_DRAWING


def test_gradient_assembles_every_partial(runner: CliRunner) -> None:
    output = _explain(runner, "2x + 3y^2", "--gradient")
    assert "∂f/∂x = 2" in output
    assert "∂f/∂y = 6·y" in output
    assert "│ ∇f = [2, 6·y] │" in output
    data = json.loads(_explain(runner, "2x + 3y^2", "--gradient", "--format", "json"))
    assert [(d["wrt"], d["result"]) for d in data] == [("x", "2"), ("y", "6*y")]


def test_json_for_one_and_for_several_variables(runner: CliRunner) -> None:
    one = json.loads(_explain(runner, "x*y*z", "--wrt", "x", "--format", "json"))
    assert {"function", "wrt", "result", "steps"} <= set(one)
    assert (one["function"], one["wrt"], one["result"]) == ("x*y*z", "x", "y*z")
    assert one["steps"]["rule"] == "constant-multiple"
    several = json.loads(_explain(runner, "x*y*z", "--wrt", "y", "--wrt", "z", "--format", "json"))
    assert [d["result"] for d in several] == ["x*z", "x*y"]


@pytest.mark.parametrize(
    ("function", "wrt"),
    [
        ("3*(2*x^2)^5", "x"),
        ("max(x, y)", "y"),
        ("relu(3x - 2)", "x"),
        ("sqrt(1 + x^2)", "x"),
        ("sigmoid(w*x + b)", "w"),
        ("(x + 2y - 3z)/4", "z"),
        ("exp(-x^2/2)", "x"),
        ("log(1 + exp(x))", "x"),
    ],
)
def test_the_json_result_reads_back_as_a_correct_answer(
    runner: CliRunner, function: str, wrt: str
) -> None:
    data = json.loads(_explain(runner, function, "--wrt", wrt, "--format", "json"))
    for answer in (data["result"], data["derived"]):
        assert runner.invoke(app, ["parse", "--", answer]).exit_code == 0, answer
        check = runner.invoke(
            app, ["check", "--function", function, "--wrt", wrt, f"--answer={answer}"]
        )
        assert check.exit_code == 0, (answer, check.output)


def test_backprop_with_at(runner: CliRunner) -> None:
    output = _explain(runner, NEURON, "--at", NEURON_POINT)
    assert "forward pass: f = 6" in output
    assert "∂f/∂x0 = −3" in output
    data = json.loads(_explain(runner, NEURON, "--at", NEURON_POINT, "--format", "json"))
    assert data["gradient"]["w2"] == "3"
    both = json.loads(
        _explain(runner, NEURON, "--at", NEURON_POINT, "--wrt", "b", "--format", "json")
    )
    assert both["derivations"]["derived"] == "1(x0*w0 + x1*w1 + x2*w2 + b > 0)"
    assert both["backprop"]["output"] == "6"


def test_an_exercise_by_id(runner: CliRunner) -> None:
    output = _explain(runner, "--exercise", "chain-3-2x2-5")
    assert "960·x⁹" in output
    data = json.loads(_explain(runner, "--exercise", "product-xyz", "--format", "json"))
    assert [d["result"] for d in data] == ["y*z", "x*z", "x*y"]


def test_markdown_is_a_document(runner: CliRunner) -> None:
    text = _explain(runner, "3*(2*x^2)^5", "--wrt", "x", "--format", "markdown")
    assert text.startswith("# Derivatives of $f = 3 \\cdot \\left(2 \\cdot x^{2}\\right)^{5}$")
    assert "## $\\frac{\\partial f}{\\partial x}$" in text
    assert "- **1. constant-multiple**:" in text
    assert "$$\\frac{\\partial f}{\\partial x} = " in text
    assert text.count("$") % 2 == 0


def _balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"\\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_latex_is_a_balanced_document(runner: CliRunner) -> None:
    text = _explain(runner, "3*(2*x^2)^5", "--wrt", "x", "--format", "latex")
    assert text.startswith("\\documentclass{article}")
    assert text.rstrip().endswith("\\end{document}")
    assert "\\frac{\\partial f}{\\partial x}" in text
    assert _balanced(text)
    begins = re.findall(r"\\begin\{(\w+)\}", text)
    ends = re.findall(r"\\end\{(\w+)\}", text)
    assert sorted(begins) == sorted(ends)


def test_latex_of_every_shipped_exercise_is_balanced() -> None:
    for exercise in load_collection().exercises:
        explanation = explain(
            exercise.tree,
            exercise.variables,
            exercise.ask,
            name=exercise.name,
            declarations=exercise.declarations,
        )
        for document in (latex(explanation), markdown(explanation)):
            assert _balanced(document), exercise.id
        assert f"\\frac{{\\partial {_name(exercise.name)}}}{{\\partial" in latex(explanation)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("15*(2*x^2)^4*4*x", "15 \\cdot \\left(2 \\cdot x^{2}\\right)^{4} \\cdot 4 \\cdot x"),
        ("x0/(1 + exp(-x0))", "\\frac{x_{0}}{1 + \\exp\\left(-x_{0}\\right)}"),
        ("sqrt(abs(x)) - sigmoid(x)", "\\sqrt{\\left|x\\right|} - \\sigma\\left(x\\right)"),
        (
            "1(x >= y)*asin(x)",
            "\\mathbf{1}\\left(x \\geq y\\right) \\cdot \\arcsin\\left(x\\right)",
        ),
        ("(1/2)^x", "\\left(\\frac{1}{2}\\right)^{x}"),
    ],
)
def test_to_latex(formula: str, expected: str) -> None:
    assert to_latex(parse(formula)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2x + * 3", "--wrt", "x"], "error: unexpected '*'\n  2x + * 3\n       ^\n"),
        (["2x + 3y^2", "--wrt", "q"], "error: --wrt q: q is not a variable of f = 2·x + 3·y²"),
        (["x*y", "--at", "x=1,y"], "error: --at: cannot read 'y' as NAME=VALUE"),
        (["log(x)", "--at", "x=-1"], "error: log(x) is undefined at this point"),
        (["x", "--exercise", "chain-3-2x2-5"], "error: explain needs a formula or --exercise"),
        ([], "error: explain needs a formula or --exercise"),
        (["--exercise", "chain-3-2x2-6"], "error:"),
        (["7"], "error: 7 has no variables"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["explain", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output
