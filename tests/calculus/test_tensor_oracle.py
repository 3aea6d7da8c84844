"""Oracle tests of the tensor engines on generated layer-shaped formulas.

Two independent evaluations must agree entry by entry: NumPy's (`calculus.tensor`, batched) and
SymPy's (`calculus.tensor_symbolic`, each entry a symbol, then substituted); and SymPy's derivative
of every entry must agree with the finite differences of the function itself, which the matrix
check relies on (`MatrixContext.self_check`).
"""

from __future__ import annotations

import numpy as np
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.calculus.tensor import evaluate_tensor, random_tensors
from gradtutor.calculus.tensor_symbolic import entry_symbol, to_sympy_entries
from gradtutor.checking.context import ExerciseSpec
from gradtutor.checking.matrix_context import matrix_context
from gradtutor.language.declarations import Declarations, read_formula

SHAPES: dict[str, tuple[str, ...]] = {
    "X": ("n", "d"), "W": ("d", "k"), "V": ("k", "k"), "G": ("n", "k"),
    "b": ("k",), "x": ("d",), "s": (),
}  # fmt: skip
DIMENSIONS = ("n", "d", "k")
SMOOTH = ("tanh", "sigmoid", "sin")


def _variables_of_shape(shape: tuple[str, ...]) -> list[str]:
    names = [name for name, dims in SHAPES.items() if dims == shape]
    names += [f"{name}ᵀ" for name, dims in SHAPES.items() if len(dims) == 2 and dims[::-1] == shape]
    return names


@st.composite
def formulas(draw: st.DrawFn, shape: tuple[str, ...], depth: int = 3) -> str:
    """A formula of the given shape, its products conforming by construction."""
    leaves = _variables_of_shape(shape)
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if leaves:
            return draw(st.sampled_from(leaves))
        if len(shape) == 2:
            inner = draw(st.sampled_from(DIMENSIONS))
            left = (
                draw(formulas((shape[0], inner), 0))
                if _variables_of_shape((shape[0], inner))
                else None
            )
            right = (
                draw(formulas((inner, shape[1]), 0))
                if _variables_of_shape((inner, shape[1]))
                else None
            )
            if left and right:
                return f"({left} @ {right})"
        return f"ones({', '.join(shape)})" if shape else "s"
    kind = draw(st.sampled_from(["matmul", "elementwise", "function", "scale", "sum"]))
    if kind == "matmul" and len(shape) == 2:
        inner = draw(st.sampled_from(DIMENSIONS))
        left = draw(formulas((shape[0], inner), depth - 1))
        return f"({left} @ {draw(formulas((inner, shape[1]), depth - 1))})"
    if kind == "elementwise":
        op = draw(st.sampled_from(["+", "-", "⊙"]))
        return f"({draw(formulas(shape, depth - 1))} {op} {draw(formulas(shape, depth - 1))})"
    if kind == "function":
        return f"{draw(st.sampled_from(SMOOTH))}({draw(formulas(shape, depth - 1))})"
    if kind == "scale":
        return f"(s*{draw(formulas(shape, depth - 1))})"
    if kind == "sum" and len(shape) == 1:
        other = draw(st.sampled_from(DIMENSIONS))
        return f"sum({draw(formulas((other, shape[0]), depth - 1))}, axis=0)"
    return draw(formulas(shape, 0))


DECLARATIONS = Declarations.of(list(SHAPES), {n: list(d) for n, d in SHAPES.items() if d})
SIZES = {"n": 2, "d": 3, "k": 4}


@settings(max_examples=25, deadline=None)
@given(formulas(("n", "k")))
def test_numpy_and_sympy_evaluate_every_entry_alike(text: str) -> None:
    formula = read_formula(text, DECLARATIONS)
    shapes = DECLARATIONS.shape_map
    points = random_tensors(shapes, list(SHAPES), SIZES, {}, 1, np.random.default_rng(1))
    values, _ = evaluate_tensor(formula.expanded, points, shapes, SIZES)
    entries, _ = to_sympy_entries(formula.expanded, shapes, SIZES)
    substitution = {
        entry_symbol(name, index): sympy.Float(float(array[0][index]), 30)
        for name, array in points.items()
        for index in np.ndindex(array.shape[1:])
    }
    for index in np.ndindex(entries.shape):
        exact = float(entries[index].xreplace(substitution).evalf(20))
        assert abs(exact - values[0][index]) <= 1e-9 * max(1.0, abs(exact)), (text, index)


@settings(max_examples=15, deadline=None)
@given(formulas(("n", "k")), st.sampled_from(["X", "W", "b", "G"]))
def test_sympy_s_derivative_of_every_entry_matches_finite_differences(text: str, wrt: str) -> None:
    exercise = ExerciseSpec(
        id="oracle",
        function=f"sum(G ⊙ {text})",
        variables=tuple(SHAPES),
        domain=(),
        shapes=tuple((name, dims) for name, dims in SHAPES.items() if dims),
    )
    assert matrix_context(exercise, wrt, seed=0).self_check() is None
