"""Polynomials evaluated exactly, against mpmath at a precision where its rounding cannot reach
float64 (300 digits): the same doubles, for huge coefficients, points far from 1 and high powers;
the exact comparison of an answer settles as mpmath's rising precisions do; and the sizes of the
terms of a value, in one walk, are those of the magnitude tree.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.calculus.exact_polynomial import ExactPolynomial, expand
from gradtutor.calculus.numeric import (
    HIGH_PRECISION_STEP,
    _mp_difference,
    _precise_difference,
    evaluate,
    evaluate_precise,
    term_magnitudes,
)
from gradtutor.calculus.polynomial import monomials
from gradtutor.checking.context import magnitude_tree
from gradtutor.checking.exact import compare_at
from gradtutor.language.expr import BinOp, Call, Compare, Indicator, Node, Num, Var
from gradtutor.language.parser import parse

NAMES = ["x", "y", "z"]
# Enough digits that mpmath's rounding stays hundreds of digits below a double.
REFERENCE_DIGITS = 300

coefficients = st.one_of(
    st.integers(-(10**10), 10**10),
    st.integers(-(10**29), 10**29),
    st.fractions(min_value=-1000, max_value=1000, max_denominator=12),
)
monomial = st.dictionaries(st.sampled_from(NAMES), st.integers(1, 9), max_size=3)
polynomials = st.lists(st.tuples(coefficients, monomial), min_size=1, max_size=7)
# Coordinates from 1e-6 to 1e6 in size, of either sign, and exact zeros.
coordinates = st.one_of(
    st.just(0.0),
    st.builds(
        lambda mantissa, exponent: mantissa * 10.0**exponent,
        st.floats(-3, 3, allow_nan=False),
        st.integers(-6, 6),
    ),
)
points = st.fixed_dictionaries(dict.fromkeys(NAMES, coordinates))


def written(terms: list[tuple[int | Fraction, dict[str, int]]]) -> str:
    parts = []
    for coefficient, powers in terms:
        value = Fraction(coefficient)
        factors = [f"({value.numerator}/{value.denominator})"]
        factors += [f"{name}^{exponent}" for name, exponent in powers.items()]
        parts.append("*".join(factors))
    return " + ".join(parts)


def _exact(tree: Node) -> ExactPolynomial:
    polynomial = expand(tree)
    assert polynomial is not None
    return polynomial


@settings(max_examples=80, deadline=None)
@given(polynomials, points)
def test_values_are_the_high_precision_ones(
    terms: list[tuple[int | Fraction, dict[str, int]]], point: dict[str, float]
) -> None:
    tree = parse(written(terms), NAMES)
    expected = evaluate_precise(tree, point, REFERENCE_DIGITS)
    assert _exact(tree).value(point) == expected
    written_monomials = monomials(tree)
    assert written_monomials is not None
    assert ExactPolynomial.of_monomials(written_monomials).value(point) == expected


@settings(max_examples=80, deadline=None)
@given(polynomials, points, st.sampled_from(NAMES))
def test_central_differences_are_the_high_precision_ones(
    terms: list[tuple[int | Fraction, dict[str, int]]], point: dict[str, float], wrt: str
) -> None:
    tree = parse(written(terms), NAMES)
    found = _exact(tree).central_difference(point, wrt, HIGH_PRECISION_STEP)
    expected = _mp_difference(tree, point, wrt, REFERENCE_DIGITS)
    assert found is not None and expected is not None
    (value, truncation), (expected_value, expected_truncation) = found, expected
    assert value == expected_value
    # The truncation is often a few ulps of 1e-30 of the terms, and 0 for a low degree in `wrt`,
    # where 300-digit rounding leaves ~1e-285 of the terms: close, not equal.
    assert math.isclose(truncation, expected_truncation, rel_tol=1e-9, abs_tol=1e-250)


@settings(max_examples=40, deadline=None)
@given(polynomials, points, st.sampled_from(NAMES))
def test_the_refinement_keeps_the_rounding_of_the_double(
    terms: list[tuple[int | Fraction, dict[str, int]]], point: dict[str, float], wrt: str
) -> None:
    tree = parse(written(terms), NAMES)
    value, error = _precise_difference(tree, point, wrt, exact=expand(tree))
    _, truncation = _exact(tree).central_difference(point, wrt, HIGH_PRECISION_STEP) or (0, 0)
    assert error == truncation + 4 * np.finfo(np.float64).eps * abs(value)
    # Without the polynomial, mpmath's 40 digits: the same derivative where nothing cancels.
    mp_value, mp_error = _precise_difference(tree, point, wrt)
    assert abs(mp_value - value) <= 1e-6 * max(abs(value), 1.0) or mp_error > 1e-9 * abs(value)


@pytest.mark.parametrize(
    ("text", "point"),
    [
        # Products and powers of sums are multiplied out.
        ("(x + y)^3 * z - 2*(x - 1)^2/3", {"x": 1.5, "y": -0.25, "z": 3.0}),
        ("-(3*x^2 - y)^5 + 7", {"x": -1234.5, "y": 0.001}),
        # A sum far larger than its value: the terms cancel to 1, exactly.
        ("(x + 1e20) - 1e20", {"x": 1.0}),
        # Degree 20 in the variable, at a point far from 1.
        ("x^20 - 20*x^19", {"x": 19.999}),
    ],
)
def test_general_polynomials(text: str, point: dict[str, float]) -> None:
    tree = parse(text, list(point))
    polynomial = _exact(tree)
    assert polynomial.value(point) == evaluate_precise(tree, point, REFERENCE_DIGITS)


def test_beyond_float64_the_value_is_infinite() -> None:
    tree = parse("1e300 * x^3 - 1e300 * y^3", ["x", "y"])
    assert _exact(tree).value({"x": 1e5, "y": -1e5}) == math.inf
    assert _exact(tree).value({"x": -1e5, "y": 1e5}) == -math.inf
    assert evaluate_precise(tree, {"x": 1e5, "y": -1e5}) == math.inf


@pytest.mark.parametrize(
    "text",
    [
        "sin(x) + 1",  # a function
        "e*x",  # an irrational number
        "x^y",  # a power that is not a whole number
        "x/y",  # a division by a variable
        "x^0.5",
        "x^0 + 1",  # 0^0 has no value in high precision: not for a base that may be 0
        "x^65",  # an exponent past MAX_EXPONENT
        "(x + y + z + 1)^40",  # an expansion too large to be worth it
        "abs(x)",
        "1(x > 0)",
    ],
)
def test_what_is_not_expanded(text: str) -> None:
    assert expand(parse(text, NAMES)) is None


def test_a_name_outside_those_given_is_not_expanded() -> None:
    assert expand(parse("x*y", NAMES), ["x"]) is None
    assert expand(parse("3^0*x", NAMES), ["x"]) is not None


pairs = st.tuples(polynomials, st.integers(0, 6), st.sampled_from([0, 1, -1]))


@settings(max_examples=60, deadline=None)
@given(pairs, st.fixed_dictionaries({name: st.floats(-3, 3) for name in NAMES}))
def test_compare_at_gives_mpmaths_verdict_and_values(
    pair: tuple[list[tuple[int | Fraction, dict[str, int]]], int, int], point: dict[str, float]
) -> None:
    """An answer equal to the reference, or off by one in one coefficient (the question bank's
    slip): the exact comparison settles as the rising precisions do, with the same values."""
    terms, which, change = pair
    reference = parse(written(terms), NAMES)
    index = which % len(terms)
    slipped = [(c + change if i == index else c, powers) for i, (c, powers) in enumerate(terms)]
    answer = parse(written(slipped), NAMES)
    exact = compare_at(answer, reference, point, polynomials=(_exact(answer), _exact(reference)))
    assert exact == compare_at(answer, reference, point)


# --- magnitudes in one walk -------------------------------------------------------------------

leaves = st.one_of(
    st.sampled_from([Var("x"), Var("y")]),
    st.fractions(-(10**12), 10**12, max_denominator=9).map(lambda v: Num(v)),
)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(BinOp, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(lambda u, n: BinOp("^", u, Num(Fraction(n))), children, st.integers(-3, 7)),
        st.builds(BinOp, st.just("^"), children, children),
        st.builds(
            lambda f, u: Call(f, (u,)), st.sampled_from(["sin", "exp", "log", "abs"]), children
        ),
        st.builds(lambda u, v: Call("max", (u, v)), children, children),
        st.builds(lambda u, v: Indicator(Compare(">", u, v)), children, children),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(trees, st.integers(0, 2**32))
def test_magnitudes_are_those_of_the_magnitude_tree(tree: Node, seed: int) -> None:
    generator = np.random.default_rng(seed)
    columns = {name: generator.uniform(-3, 3, 16) * 10.0 ** generator.integers(-3, 4, 16)
               for name in ("x", "y")}  # fmt: skip
    columns["x"][0] = 0.0
    expected = evaluate(magnitude_tree(tree), columns)
    np.testing.assert_array_equal(term_magnitudes(tree, columns), expected)


@settings(max_examples=150, deadline=None)
@given(trees, st.integers(0, 2**32))
def test_a_value_does_not_depend_on_the_points_beside_it(tree: Node, seed: int) -> None:
    """`exact.compare_at` reuses the decider's float64 values at the sample points instead of
    evaluating at the one point again: NumPy must give the same double either way."""
    generator = np.random.default_rng(seed)
    columns = {name: generator.uniform(-3, 3, 17) for name in ("x", "y")}
    together = evaluate(tree, columns)
    for index in (0, 8, 16):
        alone = evaluate(
            tree, {name: column[index : index + 1] for name, column in columns.items()}
        )
        np.testing.assert_array_equal(alone, together[index : index + 1])
