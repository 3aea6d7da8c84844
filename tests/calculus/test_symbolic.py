"""The SymPy bridge: trees to SymPy through a whitelist, and SymPy results back to trees."""

from __future__ import annotations

from collections.abc import Callable

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


def nested_indicators(levels: int) -> str:
    text = "x"
    for level in range(levels):
        text = f"1({text} + y > 1(y > x) + {level})"
    return text


def test_an_indicator_inside_a_condition_is_a_step_not_a_case_split() -> None:
    # A Piecewise inside a condition is folded into the outer one by SymPy, doubling with each
    # level (40 s at ten levels); a Heaviside step stays as written.
    converted = to_sympy(parse(nested_indicators(12), ["x", "y"]))
    assert sympy.count_ops(converted) < 500
    (condition,) = [c for _, c in converted.args if c is not sympy.true]
    assert condition.has(sympy.Heaviside) and not condition.has(sympy.Piecewise)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1(x > 1(y > 0))", lambda x, y: x > int(y > 0)),
        ("[x >= [y >= 0]]", lambda x, y: x >= int(y >= 0)),
        ("1(x < 1(y <= x))", lambda x, y: x < int(y <= x)),
        ("[1(x <= y) < y]", lambda x, y: int(x <= y) < y),
    ],
)
def test_indicators_inside_a_condition_keep_their_value_on_the_boundary(
    text: str, value: Callable[[int, int], bool]
) -> None:
    converted = to_sympy(parse(text, ["x", "y"]))
    for x, y in [(0, 0), (1, 0), (0, 1), (1, 1), (-1, 0), (0, -1), (2, 1), (1, 2)]:
        at = converted.subs({symbol("x"): x, symbol("y"): y})
        assert at == int(value(x, y)), (text, x, y)


def test_a_heaviside_step_that_is_1_at_0_is_written_as_an_indicator() -> None:
    x = symbol("x")
    assert to_pretty(from_sympy(sympy.Heaviside(x, 1))) == "1(x ≥ 0)"
    assert to_pretty(from_sympy(sympy.Heaviside(x, 0))) == "heaviside(x)"
