"""The tensor notations of the math input language, shape inference and its error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.calculus.tensor import evaluate_tensor, random_tensors
from gradtutor.errors import ParseError
from gradtutor.language.declarations import Declarations, read_formula
from gradtutor.language.expr import Hadamard, MatMul, Transpose, to_ascii, to_pretty
from gradtutor.language.parser import parse
from gradtutor.language.shapes import Shape, ShapeError, annotate

LAYER = Declarations.of(
    ["X", "W", "b", "G", "x", "y", "s"],
    {"X": ["n", "d"], "W": ["d", "k"], "b": ["k"], "G": ["n", "k"], "x": ["d"], "y": ["k"]},
)


def read(text: str) -> tuple[str, str]:
    """The echo of a formula and the short form of its shape."""
    formula = read_formula(text, LAYER)
    return to_pretty(formula.tree), formula.shape.short()


@pytest.mark.parametrize(
    ("text", "echo", "shape"),
    [
        ("X @ W + b", "X @ W + b", "n×k"),
        ("Xᵀ G", "Xᵀ @ G", "d×k"),
        ("X^T G", "Xᵀ @ G", "d×k"),
        ("X.T @ G", "Xᵀ @ G", "d×k"),
        ("X'G", "Xᵀ @ G", "d×k"),
        ("transpose(X)·G", "Xᵀ @ G", "d×k"),
        ("dot(transpose(X), G)", "Xᵀ @ G", "d×k"),
        ("G ⊙ G", "G ⊙ G", "n×k"),
        ("G .* G", "G ⊙ G", "n×k"),
        ("G * G", "G ⊙ G", "n×k"),
        ("2 G", "2·G", "n×k"),
        ("G^2", "G²", "n×k"),
        ("G/n", "G/n", "n×k"),
        ("sum(G, axis=0)", "sum(G, axis=0)", "k"),
        ("sum(G, axis=1, keepdims=True)", "sum(G, axis=1, keepdims=True)", "n×1"),
        ("mean(G)", "mean(G)", "1"),
        ("x yᵀ", "x @ yᵀ", "d×k"),
        ("xᵀ x", "xᵀ @ x", "1"),
        ("x @ W", "x @ W", "k"),
        ("xᵀ W", "xᵀ @ W", "1×k"),
        ("W y", "W @ y", "d"),
        ("relu(X @ W + b)", "relu(X @ W + b)", "n×k"),
        ("1(X @ W + b > 0)", "1(X @ W + b > 0)", "n×k"),
        ("[G > 0]", "[G > 0]", "n×k"),
        ("σ(X W)", "σ(X @ W)", "n×k"),
        ("softmax(X W)", "softmax(X @ W)", "n×k"),
        ("diag(x) - outer(x, x)", "diag(x) − outer(x, x)", "d×d"),
        ("ones(n)", "ones(n)", "n"),
        ("ones(n, k) ⊙ G", "ones(n, k) ⊙ G", "n×k"),
        ("eye(d) @ x", "eye(d) @ x", "d"),
        ("tr(Xᵀ X)", "tr(Xᵀ @ X)", "1"),
        ("norm(W)^2 s", "norm(W)²·s", "1"),
        ("max(G, 0)", "max(G, 0)", "n×k"),
        ("Xᵀ(G ⊙ [X W + b > 0])", "Xᵀ @ (G ⊙ [X @ W + b > 0])", "d×k"),
        # A matrix product of an elementwise one (or the other way round) is bracketed.
        ("G @ Wᵀ ⊙ X @ W", "((G @ Wᵀ) ⊙ X) @ W", "n×k"),
        ("G ⊙ G @ Wᵀ", "(G ⊙ G) @ Wᵀ", "n×d"),
        ("X @ W @ Wᵀ", "X @ W @ Wᵀ", "n×d"),
    ],
)
def test_tensor_notations_read_and_echo(text: str, echo: str, shape: str) -> None:
    assert read(text) == (echo, shape)


@pytest.mark.parametrize(
    "text",
    [
        "X @ W + b",
        "Xᵀ @ (G ⊙ [X @ W + b > 0])",
        "sum(G, axis=1, keepdims=True)/n",
        "x @ yᵀ",
        "G @ Wᵀ ⊙ X @ W",
    ],
)
def test_the_ascii_printer_reads_back_to_the_same_tree(text: str) -> None:
    tree = read_formula(text, LAYER).tree
    assert read_formula(to_ascii(tree), LAYER).tree == tree


def test_a_product_between_two_matrices_is_settled_by_how_it_is_written() -> None:
    assert isinstance(read_formula("Xᵀ G", LAYER).tree, MatMul)
    assert isinstance(read_formula("Xᵀ·G", LAYER).tree, MatMul)
    assert isinstance(read_formula("G*G", LAYER).tree, Hadamard)
    assert isinstance(read_formula("X'", LAYER).tree, Transpose)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("X @ G", 3, "X @ G: X is n×d, G is n×k; the inner sizes d and n differ"),
        ("Xᵀ Gᵀ", 4, "Xᵀ @ Gᵀ: Xᵀ is d×n, Gᵀ is k×n; the inner sizes n and k differ"),
        ("X + W", 3, "X + W: X is n×d, W is d×k; the sizes n and d do not match"),
        ("W x", 3, "W @ x: W is d×k, x is a vector of size d; the inner sizes k and d differ"),
        ("G ⊙ X", 3, "G ⊙ X: G is n×k, X is n×d; the sizes k and d do not match"),
        ("sum(G, axis=2)", 1, "axis=2 does not exist: the argument is n×k"),
        ("tr(X)", 1, "tr needs a square matrix, not n×d"),
        ("outer(X, x)", 1, "outer takes two vectors, not n×d and a vector of size d"),
        ("X @ 2", 3, "a matrix product needs a vector or matrix on each side"),
    ],
)
def test_shapes_that_do_not_conform_name_the_place_and_both_shapes(
    text: str, column: int, message: str
) -> None:
    with pytest.raises(ShapeError) as raised:
        read_formula(text, LAYER)
    assert message in raised.value.message
    assert raised.value.column == column
    assert raised.value.hint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sum(G, axis=x)", "axis is a whole number"),
        ("sum(G, keepdims=2)", "keepdims is True or False"),
        ("mean(G, foo=1)", "mean takes no option 'foo'"),
        ("sum(G, axis=0, G)", "a value cannot follow axis= or keepdims="),
        ("outer(x)", "outer takes 2 arguments, not 1"),
        ("ones(n, k, d)", "ones takes 1 or 2 arguments, not 3"),
        ("G = 1", "unexpected character '='"),
    ],
)
def test_tensor_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        read_formula(text, LAYER)
    assert message in raised.value.message


def test_a_dimension_name_is_its_size_in_formulas() -> None:
    tree = read_formula("sum(G, axis=0)/n", LAYER).tree
    assert to_pretty(tree) == "sum(G, axis=0)/n"
    with pytest.raises(ParseError, match="unknown variable 'm'"):
        read_formula("G/m", LAYER)


# --- formulas of numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "echo"),
    [
        ("sum(x)", "x"),
        ("mean(x) + y", "x + y"),
        ("xᵀ y", "x·y"),
        ("x ⊙ y", "x·y"),
        ("softmax(x) + y", "1 + y"),
        ("norm(x)", "|x|"),
    ],
)
def test_tensor_operations_on_numbers_are_what_they_are_there(text: str, echo: str) -> None:
    assert to_pretty(parse(text, ["x", "y"])) == echo


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x @ y", "a matrix product needs a vector or matrix on each side"),
        ("sum(x, axis=0)", "'='"),
        ("ones(3)", "ones makes a vector or a matrix"),
        ("x'", "unexpected character"),
        ("x.T", "unexpected character '.'"),
    ],
)
def test_tensor_notations_that_mean_nothing_for_numbers_are_refused(
    text: str, message: str
) -> None:
    with pytest.raises(ParseError) as raised:
        parse(text, ["x", "y"])
    assert message in raised.value.message


def test_annotate_is_one_pass_over_the_tree_and_keeps_unsettled_trees_apart() -> None:
    tree = parse("Xᵀ G", ["X", "G"], dimensions=["n", "d", "k"])
    shapes = {"X": Shape(("n", "d")), "G": Shape(("n", "k"))}
    annotated = annotate(tree, shapes)
    assert isinstance(annotated.tree, MatMul) and annotated.shape == Shape(("d", "k"))


# --- named intermediates ------------------------------------------------------------------------


def test_intermediates_read_as_written_and_expand_to_the_variables() -> None:
    declarations = Declarations.of(["w", "x", "b"], where={"z": "w*x + b", "p": "sigmoid(z)"})
    formula = read_formula("p(1 - p) x", declarations)
    assert to_pretty(formula.tree) == "p·(1 − p)·x"
    assert to_pretty(formula.expanded) == "σ(w·x + b)·(1 − σ(w·x + b))·x"


def test_a_matrix_intermediate_has_the_shape_of_its_definition() -> None:
    declarations = Declarations.of(
        ["X", "W", "b", "G"],
        {"X": ["n", "d"], "W": ["d", "k"], "b": ["k"], "G": ["n", "k"]},
        {"Z": "X @ W + b", "A": "relu(Z)"},
    )
    assert declarations.shape_of("A") == Shape(("n", "k"))
    formula = read_formula("Xᵀ (G ⊙ 1(Z > 0))", declarations)
    assert formula.shape == Shape(("d", "k"))
    assert to_pretty(formula.tree) == "Xᵀ @ (G ⊙ 1(Z > 0))"
    with pytest.raises(ShapeError, match="Z @ X: Z is n×k, X is n×d"):
        read_formula("Z @ X", declarations)


# --- any input ----------------------------------------------------------------------------------

TENSOR_TOKENS = [
    "X", "W", "G", "b", "x", "y", "s", "n", "d", "k", "2", "0.5", "@", "⊙", ".*", "*", "·", "ᵀ",
    "'", ".T", "^T", "^2", "²", "+", "-", "/", "(", ")", ",", "[", "]", ">", " ", "1(", "sum(",
    "mean(", "axis=", "0", "1", "-1", "keepdims=True", "softmax(", "ones(", "eye(", "tr(",
    "norm(", "outer(", "diag(", "dot(", "transpose(", "relu(", "σ(", "=", "100",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TENSOR_TOKENS), max_size=20).map("".join))
def test_tensor_token_soup_gives_a_settled_tree_or_a_parse_error(text: str) -> None:
    try:
        formula = read_formula(text, LAYER)
    except ParseError as error:
        assert 1 <= error.column <= len(text) + 1
        return
    again = read_formula(to_ascii(formula.tree), LAYER)
    assert again.tree == formula.tree and again.shape == formula.shape
    shapes = LAYER.shape_map
    points = random_tensors(shapes, list(LAYER.variables), SIZES, {}, 2, np.random.default_rng(0))
    values, shape = evaluate_tensor(formula.expanded, points, shapes, SIZES)
    assert values.shape == (2, *shape.concrete(SIZES))


SIZES = {"n": 2, "d": 3, "k": 4}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ones(100)", "a size written as a number goes from 1 to 16, not 100"),
        ("eye(n, k)", "eye takes 1 argument, not 2"),
        ("ones(x)", "a size must be a dimension's name or a whole number, not x"),
    ],
)
def test_sizes_in_ones_and_eye_are_bounded(text: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        read_formula(text, LAYER)
    assert message in raised.value.message
