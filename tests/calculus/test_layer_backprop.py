"""The backward pass of a layer at a point (`explain --at` with matrices typed as nested lists).

The book's dense layer (NNFS chapter 9: a batch of 3 samples of 4 features into 3 neurons, the
upstream gradient [[1, 1, 1], [2, 2, 2], [3, 3, 3]]) gives the book's ∂L/∂X, ∂L/∂W and ∂L/∂b;
every gradient agrees with central differences of the function; bad points are clear errors.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gradtutor.calculus.backprop import BadPoint
from gradtutor.calculus.layer_backprop import layer_backprop, parse_tensor_point, show_array
from gradtutor.calculus.tensor import evaluate_tensor
from gradtutor.cli import app
from gradtutor.language.declarations import Declarations, read_formula
from gradtutor.language.expr import Node
from gradtutor.language.shapes import Shape

BOOK = {
    "X": "[[1, 2, 3, 2.5], [2, 5, -1, 2], [-1.5, 2.7, 3.3, -0.8]]",
    "W": "[[0.2, 0.5, -0.26], [0.8, -0.91, -0.27], [-0.5, 0.26, 0.17], [1, -0.5, 0.87]]",
    "b": "[2, 3, 0.5]",
    "G": "[[1, 1, 1], [2, 2, 2], [3, 3, 3]]",
}
LAYER: dict[str, list[str | int]] = {"X": ["n", "d"], "W": ["d", "k"], "b": ["k"], "G": ["n", "k"]}


def _at(values: dict[str, str]) -> list[str]:
    return [",".join(f"{name}={value}" for name, value in values.items())]


def _declared(text: str, shapes: dict[str, list[str | int]]) -> tuple[Node, Declarations]:
    declarations = Declarations.of(list(shapes), shapes)
    return read_formula(text, declarations).expanded, declarations


def test_the_books_dense_layer() -> None:
    tree, declarations = _declared("sum(G ⊙ (X @ W + b))", LAYER)
    point = parse_tensor_point(_at(BOOK), declarations)
    layer = layer_backprop(tree, declarations, point)
    gradients = {name: value for name, value, _ in layer.gradients}
    assert np.allclose(gradients["b"], [6, 6, 6])
    assert np.allclose(gradients["W"][1], [20.1, 20.1, 20.1])
    assert np.allclose(gradients["X"][0], [0.44, -0.38, -0.07, 1.37])
    assert layer.sizes == {"n": 3, "d": 4, "k": 3}
    assert [(name, shape) for name, _, shape in layer.gradients] == [
        ("X", "n×d"), ("W", "d×k"), ("b", "k"), ("G", "n×k"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "sum(G ⊙ relu(X @ W + b))",
        "mean((tanh(X @ W + b) - G)^2)",
        "-sum(softmax(G) ⊙ log(softmax(X @ W + b)))/n",
    ],
)
def test_every_gradient_agrees_with_central_differences(text: str) -> None:
    tree, declarations = _declared(text, LAYER)
    rng = np.random.default_rng(3)
    sizes = {"n": 3, "d": 4, "k": 2}
    point = {
        name: rng.uniform(-1, 1, Shape(tuple(dims)).concrete(sizes)) for name, dims in LAYER.items()
    }
    layer = layer_backprop(tree, declarations, point)
    shapes = {name: Shape(tuple(dims)) for name, dims in LAYER.items()}

    def f(values: dict[str, np.ndarray]) -> float:
        batch = {name: value[None, ...] for name, value in values.items()}
        result, _ = evaluate_tensor(tree, batch, shapes, sizes)
        return float(np.asarray(result)[0])

    for name, gradient, _ in layer.gradients:
        for index in np.ndindex(point[name].shape):
            up = {k: v.copy() for k, v in point.items()}
            down = {k: v.copy() for k, v in point.items()}
            up[name][index] += 1e-6
            down[name][index] -= 1e-6
            slope = (f(up) - f(down)) / 2e-6
            assert abs(slope - gradient[index]) < 1e-5, (name, index)


def test_explain_at_prints_both_tables_in_decimals(runner: CliRunner) -> None:
    arguments = ["explain", "--exercise", "dense-book-batch", "--wrt", "b", "--plain"]
    done = runner.invoke(app, [*arguments, "--at", *_at(BOOK)])
    assert done.exit_code == 0, done.output
    out = done.output
    assert "forward pass: the value of every node, inputs first" in out
    assert "backward pass: ∂L/∂node, from the output back" in out
    assert "∂L/∂b = [6, 6, 6]  (3)" in out
    assert "Z = X @ W + b  (3×3)" in out
    assert "/" not in out.split("forward pass:", 1)[1].split("gradient (", 1)[0].replace("∂L/∂", "")


def test_explain_at_json_gives_values_as_nested_lists(runner: CliRunner) -> None:
    arguments = ["explain", "--exercise", "dense-book-batch", "--wrt", "b", "--format", "json"]
    done = runner.invoke(app, [*arguments, "--at", *_at(BOOK)])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["backprop"]["gradient"]["b"] == [6, 6, 6]
    assert data["backprop"]["sizes"] == {}  # the book's layer has whole-number sizes


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({**BOOK, "b": "[2, 3]"}, "the size k is 3 in one value and 2 in b"),
        ({**BOOK, "X": "[[1, 2], [3]]"}, "not all numbers of the same length"),
        ({**BOOK, "X": "[[1, 2, oops]]"}, "cannot read the value of X as a list of numbers"),
        ({k: v for k, v in BOOK.items() if k != "G"}, "--at gives no value for G"),
        ({**BOOK, "b": "5"}, "b is a vector of size k, but the value given has 0 dimensions"),
    ],
)
def test_a_bad_point_is_a_clear_error(values: dict[str, str], message: str) -> None:
    tree, declarations = _declared("sum(G ⊙ (X @ W + b))", LAYER)
    with pytest.raises(BadPoint) as error:
        point = parse_tensor_point(_at(values), declarations)
        layer_backprop(tree, declarations, point)
    assert message in str(error.value)


def test_values_print_as_decimals() -> None:
    assert show_array(np.array(-0.3)) == "−0.3"
    assert show_array(np.array([1.0, 1 / 3])) == "[1, 0.3333]"
    assert show_array(np.array([[2.5, 0.0], [1e-7, 4.0]])) == "[[2.5, 0], [1e-07, 4]]"
