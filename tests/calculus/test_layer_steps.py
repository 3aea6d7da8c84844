"""The step engine for vectors and matrices against SymPy, entry by entry.

Every shaped exercise of the curriculum, and generated layer expressions: the engine's gradient
(`calculus.layer_steps`), evaluated entry by entry at small sizes, must equal SymPy's derivative
of the function with respect to each entry, at random points. Each step's shape must be the shape
of what it is the gradient of.
"""

from __future__ import annotations

import itertools
import random
from functools import cache

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.calculus.layer_steps import derive_shaped
from gradtutor.calculus.tensor_symbolic import entry_symbol, to_sympy_entries
from gradtutor.curriculum.loader import load_collection, shipped_exercises
from gradtutor.curriculum.model import Collection, Exercise
from gradtutor.language.declarations import Declarations, read_formula
from gradtutor.language.expr import Node
from gradtutor.language.shapes import Shape

SIZES = (2, 3, 4, 5, 6)  # each dimension its own size, so a square-only answer is caught


@cache
def _bank() -> Collection:
    return load_collection(shipped_exercises())


def _shaped() -> list[tuple[str, str]]:
    return [
        (exercise.id, wrt)
        for exercise in _bank().exercises
        if exercise.declarations.tensor
        for wrt in exercise.ask
    ]


def _sizes(declarations: Declarations) -> dict[str, int]:
    return dict(zip(declarations.dimensions, SIZES, strict=False))


def _point(
    declarations: Declarations, sizes: dict[str, int], domain: dict[str, tuple[float, float]]
) -> dict[sympy.Symbol, sympy.Rational]:
    rng = random.Random(7)
    point: dict[sympy.Symbol, sympy.Rational] = {}
    for name in declarations.variables:
        low, high = domain.get(name, (-2.0, 2.0))
        dims = declarations.shape_of(name).concrete(sizes)
        for index in itertools.product(*(range(d) for d in dims)):
            value = rng.uniform(low, high)
            point[entry_symbol(name, index)] = sympy.Rational(round(value * 1000), 1000)
    return point


def _reference(
    function: Node, wrt: str, declarations: Declarations, sizes: dict[str, int]
) -> np.ndarray:
    """SymPy's derivative of f with respect to every entry of wrt: W's shape for a number f,
    [len f, len wrt] (the Jacobian) for a vector f."""
    shapes = {name: Shape(dims) for name, dims in declarations.shapes}
    values, _ = to_sympy_entries(function, shapes, sizes)
    wrt_dims = declarations.shape_of(wrt).concrete(sizes)
    entries = list(itertools.product(*(range(d) for d in wrt_dims)))
    out = np.empty(values.shape + wrt_dims, dtype=object)
    for outer in np.ndindex(values.shape):
        for index in entries:
            out[outer + index] = sympy.diff(values[outer], entry_symbol(wrt, index))
    return out


def _assert_entries_equal(
    engine: np.ndarray, reference: np.ndarray, point: dict[sympy.Symbol, sympy.Rational]
) -> None:
    assert engine.shape == reference.shape
    for index in np.ndindex(reference.shape):
        got = complex(sympy.N(sympy.sympify(engine[index]).xreplace(point)))
        want = complex(sympy.N(sympy.sympify(reference[index]).xreplace(point)))
        assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (index, got, want)


def _check(
    function: Node, wrt: str, declarations: Declarations, domain: dict[str, tuple[float, float]]
) -> None:
    derivation = derive_shaped(function, wrt, declarations)
    sizes = _sizes(declarations)
    shapes = {name: Shape(dims) for name, dims in declarations.shapes}
    assert derivation.expanded is not None
    engine, shape = to_sympy_entries(derivation.expanded, shapes, sizes)
    reference = _reference(function, wrt, declarations, sizes)
    assert shape.concrete(sizes) == reference.shape
    assert (
        derivation.shape
        == Shape(read_shape(function, declarations).dims + declarations.shape_of(wrt).dims).short()
    )
    _assert_entries_equal(engine, reference, _point(declarations, sizes, domain))


def read_shape(function: Node, declarations: Declarations) -> Shape:
    from gradtutor.language.shapes import annotate

    shapes = {name: Shape(dims) for name, dims in declarations.shapes}
    return annotate(function, shapes).shape


@pytest.mark.parametrize(("exercise_id", "wrt"), _shaped())
def test_the_engine_agrees_with_sympy_on_every_shaped_exercise(exercise_id: str, wrt: str) -> None:
    exercise = _bank().get(exercise_id)
    _check(exercise.tree, wrt, exercise.declarations, dict(exercise.domain))


@pytest.mark.parametrize(("exercise_id", "wrt"), _shaped())
def test_the_result_with_the_exercises_names_reads_back_to_the_same_gradient(
    exercise_id: str, wrt: str
) -> None:
    exercise: Exercise = _bank().get(exercise_id)
    derivation = derive_shaped(exercise.tree, wrt, exercise.declarations)
    from gradtutor.language.expr import to_ascii

    formula = read_formula(to_ascii(derivation.simplified), exercise.declarations)
    assert formula.expanded == derivation.expanded


# --- each rule, and generated layers --------------------------------------------------------

LAYER: dict[str, list[str | int]] = {"X": ["n", "d"], "W": ["d", "k"], "b": ["k"], "G": ["n", "k"]}


def _formula(text: str, shapes: dict[str, list[str | int]]) -> tuple[Node, Declarations]:
    from gradtutor.tutor.explain import _free_names

    declarations = Declarations.of(_free_names(text, shapes), shapes)
    return read_formula(text, declarations).expanded, declarations


def test_each_matrix_rule_is_named_by_the_vocabulary() -> None:
    from gradtutor.calculus.rules import MATRIX_RULES

    cases: dict[str, tuple[str, str, dict[str, list[str | int]]]] = {
        "matrix-product": ("sum(G * (X @ W + b))", "W", LAYER),
        "transpose": ("sum(G * (X @ W.T))", "W", {**LAYER, "W": ["k", "d"]}),
        "elementwise": ("sum(G * relu(X @ W))", "W", LAYER),
        "broadcast-sum": ("sum(G * (X @ W + b))", "b", LAYER),
        "jacobian": ("softmax(z)", "z", {"z": ["k"]}),
    }  # fmt: skip
    assert set(cases) == MATRIX_RULES
    for rule, (text, wrt, shapes) in cases.items():
        tree, declarations = _formula(text, shapes)
        assert rule in derive_shaped(tree, wrt, declarations).rules(), rule


ACTIVATIONS = ("relu({})", "sigmoid({})", "tanh({})", "exp({})", "({})^2", "{}")
AFFINE = ("X @ W + b", "X @ W", "X @ W - b", "(X @ W + b)/2", "-(X @ W) + b")
LOSSES = (
    "sum(G * {})",
    "mean(G * {})",
    "sum(({} - G)^2)/n",
    "sum(G * {}, axis=0) @ v",
    "sum(softmax({}) * G)",
    "-sum(softmax(G) * log(softmax({})))/n",
)
WRT = ("W", "X", "b")


@settings(max_examples=8, deadline=None)
@given(
    st.sampled_from(ACTIVATIONS),
    st.sampled_from(AFFINE),
    st.sampled_from(LOSSES),
    st.sampled_from(WRT),
    st.booleans(),
)
def test_generated_layers_agree_with_sympy(
    activation: str, affine: str, loss: str, wrt: str, second_layer: bool
) -> None:
    inner = activation.format(f"({affine})")
    shapes: dict[str, list[str | int]] = {**LAYER, "v": ["k"]}
    if second_layer:
        # A second dense layer after the first: k features into k outputs through V.
        inner = f"tanh({inner}) @ V"
        shapes["V"] = ["k", "k"]
    tree, declarations = _formula(loss.format(inner), shapes)
    _check(tree, wrt, declarations, {})


def test_intermediates_are_listed_in_the_order_of_the_forward_pass() -> None:
    exercise = _bank().get("net-first-weights")
    derivation = derive_shaped(exercise.tree, "W1", exercise.declarations, exercise.name)
    names = [name for name, _, _ in derivation.intermediates]
    # Z1 = X @ W1 + b1 (declared), H = relu(Z1), Z = H @ W2 + b2: each after what it uses.
    assert names == ["Z1", "H", "Z"]
