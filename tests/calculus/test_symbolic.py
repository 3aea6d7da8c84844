"""The SymPy bridge: trees to SymPy through a whitelist, and SymPy results back to trees."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.calculus.symbolic import UnsupportedExpression, from_sympy, symbol, to_sympy
from gradtutor.errors import GradtutorError
from gradtutor.language.expr import to_ascii, to_pretty
from gradtutor.language.parser import parse

x, y = symbol("x"), symbol("y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3*(2*x^2)^5", 96 * x**10),
        ("sigmoid(x)", 1 / (1 + sympy.exp(-x))),
        ("relu(x)", sympy.Max(x, 0)),
        ("heaviside(x)", sympy.Heaviside(x, 0)),
        ("1(x > y)", sympy.Piecewise((1, x > y), (0, True))),
        ("[x <= y]", sympy.Piecewise((1, x <= y), (0, True))),
        ("ln(x) + e + pi", sympy.log(x) + sympy.E + sympy.pi),
        ("2.5x", sympy.Rational(5, 2) * x),
        ("sqrt(x^2)", sympy.Abs(x)),
    ],
)
def test_to_sympy(text: str, expected: sympy.Expr) -> None:
    assert to_sympy(parse(text)) == expected


def test_variables_are_real() -> None:
    assert to_sympy(parse("x")).is_real


def test_a_formula_sympy_refuses_is_a_clear_error() -> None:
    with pytest.raises(GradtutorError, match="real value"):
        to_sympy(parse("max(x, sqrt(log(0.5)))"))


@pytest.mark.parametrize(
    ("expr", "pretty"),
    [
        (960 * x**9, "960·x⁹"),
        (-2 * y + 2 * x, "2·x − 2·y"),
        (-x / y, "−x/y"),
        (sympy.exp(-x) / (1 + sympy.exp(-x)) ** 2, "exp(−x)/(1 + exp(−x))²"),
        (x ** sympy.Rational(1, 2), "√x"),
        (1 / sympy.sqrt(x), "1/√x"),
        (sympy.Rational(3, 4) * x, "3·x/4"),
        (sympy.Piecewise((1, x > y), (0, True)), "1(x > y)"),
        (sympy.Piecewise((2, x > 0), (-1, True)), "2·1(x > 0) − 1(x ≤ 0)"),
        (sympy.Heaviside(x - y), "heaviside(x − y)"),
        (sympy.Abs(x) * sympy.sign(y), "|x|·sign(y)"),
    ],
)
def test_from_sympy_reads_well(expr: sympy.Expr, pretty: str) -> None:
    assert to_pretty(from_sympy(expr)) == pretty


def test_from_sympy_refuses_what_the_language_cannot_write() -> None:
    with pytest.raises(UnsupportedExpression):
        from_sympy(sympy.gamma(x))
    with pytest.raises(UnsupportedExpression):
        from_sympy(sympy.Piecewise((1, x > 0), (2, y > 0), (3, True)))


def sympy_expressions() -> st.SearchStrategy[sympy.Expr]:
    leaves = st.sampled_from([x, y, sympy.Integer(2), sympy.Rational(1, 3), sympy.E, -x])

    def extend(inner: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
        return st.one_of(
            st.tuples(inner, inner).map(lambda t: t[0] + t[1]),
            st.tuples(inner, inner).map(lambda t: t[0] * t[1]),
            st.tuples(inner, inner).map(lambda t: t[0] - t[1]),
            st.tuples(inner, st.sampled_from([-2, -1, 2, 3, sympy.Rational(1, 2)])).map(
                lambda t: t[0] ** t[1]
            ),
            st.tuples(st.sampled_from([sympy.sin, sympy.exp, sympy.tanh, sympy.Abs]), inner).map(
                lambda t: t[0](t[1])
            ),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(sympy_expressions())
def test_from_sympy_round_trips_through_the_language(expr: sympy.Expr) -> None:
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I):
        return  # not a real formula: the language has no way to write it
    text = to_ascii(from_sympy(expr))
    back = to_sympy(parse(text, ["x", "y"]))
    assert sympy.simplify(back - expr) == 0, text


@pytest.mark.parametrize(
    ("expr", "pretty"),
    [
        (x / 2, "x/2"),
        (sympy.cos(x / 2), "cos(x/2)"),
        (sympy.pi / 4, "π/4"),
        (-x / 2, "−x/2"),
    ],
)
def test_a_unit_numerator_is_not_written(expr: sympy.Expr, pretty: str) -> None:
    assert to_pretty(from_sympy(expr)) == pretty
