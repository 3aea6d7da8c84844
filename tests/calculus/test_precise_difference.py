"""The high-precision finite difference on mpmath's raw numbers is the mpmath one, digit for digit.

`numeric._raw_difference` calls libmp's functions directly and computes what does not move with
the variable once; `_mp_difference` works on mpf objects. Every value and error estimate must be
the same double (or both undefined), for polynomials with huge coefficients, points far from 1,
high powers, negative powers and quotients that can be undefined.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.calculus.exact_polynomial import expand
from gradtutor.calculus.numeric import (
    _mp_difference,
    _precise_difference,
    _raw_difference,
    finite_differences,
    raw_supported,
    sample_points,
)
from gradtutor.language.expr import BinOp, Neg, Node, Num, Var
from gradtutor.language.parser import parse

NAMES = ("x", "y", "z")

leaves = st.one_of(
    st.sampled_from([Var(name) for name in NAMES]),
    st.one_of(
        st.integers(-(10**10), 10**10),
        st.integers(-(10**29), 10**29),
        st.fractions(-100, 100, max_denominator=12),
    ).map(lambda value: Num(Fraction(value))),
)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(BinOp, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(lambda u, n: BinOp("^", u, Num(Fraction(n))), children, st.integers(-3, 9)),
        st.builds(Neg, children),
    )


trees = st.recursive(leaves, _extend, max_leaves=14)
coordinates = st.one_of(
    st.just(0.0),
    st.just(1.0),
    st.builds(
        lambda mantissa, exponent: mantissa * 10.0**exponent,
        st.floats(-3, 3, allow_nan=False),
        st.integers(-6, 6),
    ),
)
points = st.fixed_dictionaries(dict.fromkeys(NAMES, coordinates))


@settings(max_examples=150, deadline=None)
@given(trees, points, st.sampled_from(NAMES))
def test_raw_numbers_give_mpmaths_digits(tree: Node, point: dict[str, float], wrt: str) -> None:
    assert raw_supported(tree)
    assert repr(_raw_difference(tree, point, wrt)) == repr(_mp_difference(tree, point, wrt))


@pytest.mark.parametrize(
    ("text", "point", "wrt"),
    [
        # The question bank's shape: ten-digit coefficients, degree 4 per variable.
        (
            "-612185345*z*u^4*v^2*x^4*y^2 - 4874773259*v*u^3*w^4*y^3 + 85136920*x*y*z*u^3*w^2",
            {"x": -2.75, "y": 2.98, "z": 1.72, "w": -0.000625, "u": 2.34, "v": 2.8},
            "w",
        ),
        # |x| > 1 makes the step an mpf; |x| = 1 keeps it a float.
        ("x^7 - 3*x^5*y", {"x": -1234.5, "y": 0.5}, "x"),
        ("x^7 - 3*x^5*y", {"x": 1.0, "y": 0.5}, "x"),
        # Undefined: 0 to a negative power, a division by 0.
        ("y^-2 + x", {"x": 1.0, "y": 0.0}, "x"),
        ("x / (y - y)", {"x": 1.0, "y": 2.0}, "x"),
    ],
)
def test_examples(text: str, point: dict[str, float], wrt: str) -> None:
    tree = parse(text, list(point))
    assert repr(_raw_difference(tree, point, wrt)) == repr(_mp_difference(tree, point, wrt))
    raw = _precise_difference(tree, point, wrt, raw=True)
    assert repr(raw) == repr(_precise_difference(tree, point, wrt))


@pytest.mark.parametrize("text", ["sin(x)", "e*x", "x^y", "x^0.5", "abs(x)", "1(x > 0)"])
def test_what_stays_on_mpf_objects(text: str) -> None:
    assert not raw_supported(parse(text, list(NAMES)))


def test_the_refined_differences_are_those_of_mpmath(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through `finite_differences`, exact arithmetic aside: the points float64 cannot settle are
    refined on raw numbers, and give what the mpf path gives."""
    tree = parse("(x + 1e12)^3 - 3e12*x^2 - 3e24*x - 1e36 + x*y", ["x", "y"])
    generator = np.random.default_rng(0)
    points = {"x": generator.uniform(-3, 3, 24), "y": generator.uniform(-3, 3, 24)}
    monkeypatch.setattr("gradtutor.calculus.numeric.expand", lambda node, names: None)
    raw = finite_differences(tree, "x", points)
    monkeypatch.setattr("gradtutor.calculus.numeric.raw_supported", lambda node: False)
    mp = finite_differences(tree, "x", points)
    np.testing.assert_array_equal(raw.values, mp.values)
    np.testing.assert_array_equal(raw.error, mp.error)
    assert raw.usable.all()


def test_sample_points_are_the_seeded_draw_and_each_call_owns_its_copy() -> None:
    """The draw is kept per (variables, intervals, size, seed); each call gets its own arrays."""
    domain = {"y": (0.5, 2.0)}
    first = sample_points(["x", "y"], domain, 24, 7)
    generator = np.random.default_rng(7)
    np.testing.assert_array_equal(first["x"], generator.uniform(-3.0, 3.0, 24))
    np.testing.assert_array_equal(first["y"], generator.uniform(0.5, 2.0, 24))
    first["x"][:] = 0.0
    again = sample_points(["x", "y"], domain, 24, 7)
    np.testing.assert_array_equal(again["x"], np.random.default_rng(7).uniform(-3.0, 3.0, 24))
    assert sample_points(["y", "x"], domain, 24, 7)["y"][0] != again["y"][0]


def test_exact_refinement_where_forty_digits_are_not_enough() -> None:
    """Terms of 1e36 that cancel to 3x² + xy: 40 digits leave noise of ~1e-4 in f, ~1e10 in its
    difference quotient (at some points with an error estimate of 1e-5); exact integers give the
    derivative to the last digits."""
    tree = parse("(x + 1e12)^3 - 3e12*x^2 - 3e24*x - 1e36 + x*y", ["x", "y"])
    exact = expand(tree)
    assert exact is not None
    generator = np.random.default_rng(0)
    for x, y in generator.uniform(-3, 3, (12, 2)):
        point, derivative = {"x": x, "y": y}, 3 * x**2 + y
        value, error = _precise_difference(tree, point, "x", raw=True, exact=exact)
        assert abs(value - derivative) <= 1e-14 * abs(derivative) and error < 1e-13 * abs(value)
        forty_digits, _ = _precise_difference(tree, point, "x")
        assert abs(forty_digits - derivative) > 1.0
