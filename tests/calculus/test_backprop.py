"""The backpropagation table: exact forward values, local derivatives, and gradients by path."""

from __future__ import annotations

import re

import pytest
import sympy
from rich.console import Console

from gradtutor.calculus.backprop import (
    RELU_CONVENTION,
    Backprop,
    BadPoint,
    backpropagate,
    parse_point,
)
from gradtutor.language.expr import variables_of
from gradtutor.language.parser import parse
from gradtutor.render.backprop import backprop_view
from tests.conftest import rendered

NEURON = "relu(x0*w0 + x1*w1 + x2*w2 + b)"
NEURON_POINT = "x0=1,w0=-3,x1=-2,w1=-1,x2=3,w2=2,b=1"


def _backprop(function: str, at: str) -> Backprop:
    tree = parse(function)
    return backpropagate(tree, parse_point([at], variables_of(tree)))


def test_the_books_neuron() -> None:
    table = _backprop(NEURON, NEURON_POINT)
    assert table.output == 6
    z = table.rows[1]
    assert (z.name, z.value, z.local) == ("z", 6, 1)  # relu'(6) = 1(6 > 0)
    gradient = {g.name: g.total for g in table.gradients}
    assert [gradient[f"x{i}"] for i in range(3)] == [-3, -1, 2]  # the weights
    assert [gradient[f"w{i}"] for i in range(3)] == [1, -2, 3]  # the inputs
    assert gradient["b"] == 1
    assert table.notes == [RELU_CONVENTION]  # stated, though this point is not on the kink


def test_the_books_neuron_golden(console: Console) -> None:
    console.print(backprop_view(_backprop(NEURON, NEURON_POINT)))
    screen = "\n".join(line.rstrip() for line in rendered(console).splitlines())
    assert screen == (
        "f = relu(x0·w0 + x1·w1 + x2·w2 + b)\n"
        "at x0 = 1, w0 = −3, x1 = −2, w1 = −1, x2 = 3, w2 = 2, b = 1\n"
        "forward pass: f = 6\n"
        "\n"
        "backward pass: gradient = local ∂ (∂into/∂node) × upstream (∂f/∂into)\n"
        "node   computes        value   into   local ∂        upstream   gradient\n"
        "────────────────────────────────────────────────────────────────────────\n"
        "f      relu(z)         6       —      —              —          1\n"
        "z      u + v + p + b   6       f      1(z > 0) = 1   1          1\n"
        "u      x0·w0           −3      z      1              1          1\n"
        "v      x1·w1           2       z      1              1          1\n"
        "p      x2·w2           6       z      1              1          1\n"
        "b      input           1       z      1              1          1\n"
        "x0     input           1       u      w0 = −3        1          −3\n"
        "w0     input           −3      u      x0 = 1         1          1\n"
        "x1     input           −2      v      w1 = −1        1          −1\n"
        "w1     input           −1      v      x1 = −2        1          −2\n"
        "x2     input           3       p      w2 = 2         1          2\n"
        "w2     input           2       p      x2 = 3         1          3\n"
        "\n"
        "gradient (a variable that feeds several nodes adds its paths):\n"
        "∂f/∂x0 = −3\n"
        "∂f/∂w0 = 1\n"
        "∂f/∂x1 = −1\n"
        "∂f/∂w1 = −2\n"
        "∂f/∂x2 = 2\n"
        "∂f/∂w2 = 3\n"
        "∂f/∂b = 1\n"
        "note: relu′(z) = 1(z > 0): 1 where z > 0, 0 where z < 0, and 0 at z = 0, as in\n"
        "the code of Neural Networks from Scratch in Python (chapter 9)."
    )


def test_a_dead_relu_passes_no_gradient() -> None:
    table = _backprop(NEURON, "x0=1,w0=-3,x1=-2,w1=-1,x2=3,w2=2,b=-10")
    assert table.output == 0
    assert all(g.total == 0 for g in table.gradients)


def test_relu_at_exactly_zero_takes_the_books_convention() -> None:
    table = _backprop("relu(x - 1)", "x=1")
    assert table.gradients[0].total == 0
    assert any("relu′(0) = 0" in note for note in table.notes)


def test_a_variable_on_several_paths_sums_them(console: Console) -> None:
    table = _backprop("x*y + x^2", "x=3,y=5")
    (x_gradient, y_gradient) = table.gradients
    assert sorted(x_gradient.contributions) == [5, 6]  # y, and 2x
    assert x_gradient.total == 11
    assert y_gradient.total == 3
    console.print(backprop_view(table, plain=True))
    assert "∂f/∂x = 5 + 6 = 11" in rendered(console)


def test_values_are_exact() -> None:
    table = _backprop("x/3 + y/7", "x=1/2,y=0.1")
    assert table.output == sympy.Rational(1, 6) + sympy.Rational(1, 70)
    assert [g.total for g in table.gradients] == [sympy.Rational(1, 3), sympy.Rational(1, 7)]


def test_irrational_values_get_a_short_decimal(console: Console) -> None:
    console.print(backprop_view(_backprop("sigmoid(x)", "x=0"), plain=True))
    text = rendered(console)
    assert "forward pass: f = 0.5" in text
    assert "∂f/∂x = 0.25" in text
    console2 = Console(width=80, file=console.file, color_system=None)
    console2.print(backprop_view(_backprop("exp(x)", "x=1"), plain=True))
    assert "e ≈ 2.718" in rendered(console)


@pytest.mark.parametrize(
    ("function", "at", "shown"),
    [
        # The table: b1 = −(3/10) and f = 1/400 beside decimals.
        ("1/(x*y)^2", "x=-0.3,y=2", ["at x = −0.3, y = 2", "f ≈ 2.778", "∂f/∂x ≈ 18.52"]),
        ("x/400", "x=1", ["forward pass: f = 0.0025", "∂f/∂x = 0.0025"]),
        ("x/3", "x=1", ["forward pass: f ≈ 0.3333", "∂f/∂x ≈ 0.3333"]),
        ("-x/8", "x=3", ["forward pass: f = −0.375", "∂f/∂x = −0.125"]),
    ],
)
def test_fractions_are_shown_as_decimals(
    console: Console, function: str, at: str, shown: list[str]
) -> None:
    console.print(backprop_view(_backprop(function, at), plain=True))
    text = rendered(console)
    assert not re.search(r"\d/\d", text), text  # no fraction anywhere: 3/10, 1/400
    for part in shown:
        assert part in text, part


def test_json_rows_are_exact_text() -> None:
    data = _backprop(NEURON, NEURON_POINT).to_json()
    assert data["output"] == "6"
    assert data["gradient"] == {
        "x0": "-3", "w0": "1", "x1": "-1", "w1": "-2", "x2": "2", "w2": "3", "b": "1",
    }  # fmt: skip
    assert data["rows"][1]["local_formula"] == "1(z > 0)"
    assert {"node", "operation", "value", "local", "upstream", "gradient"} <= set(data["rows"][0])


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("x=1,y", "cannot read 'y' as NAME=VALUE"),
        ("x=1,y=2,q=3", "'q' is not a variable of the function"),
        ("x=1", "--at gives no value for y"),
        ("x=1,y=2*", "cannot read the value of y"),
        ("x=1,y=z", "cannot read the value of y"),
    ],
)
def test_bad_points_are_refused_clearly(at: str, message: str) -> None:
    with pytest.raises(BadPoint) as caught:
        parse_point([at], ["x", "y"])
    assert message in caught.value.message
    assert caught.value.exit_code == 2


def test_a_point_outside_the_domain_is_refused() -> None:
    with pytest.raises(BadPoint, match="undefined at this point"):
        _backprop("log(x)", "x=-1")
