"""Polynomials done exactly: SymPy's own forms of a sum of monomials and of its derivative, and
forward differentiation against SymPy's derivative."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.calculus.numeric import sample_points
from gradtutor.calculus.polynomial import (
    Derivatives,
    NotPolynomial,
    differentiate,
    is_polynomial,
    monomials,
    monomials_to_tree,
)
from gradtutor.calculus.symbolic import from_sympy, monomials_to_sympy, symbol, to_sympy
from gradtutor.checking.symbolic_check import derivative
from gradtutor.language.expr import BinOp, Num, Var, to_ascii
from gradtutor.language.parser import parse

NAMES = ["a", "x", "y", "z"]

coefficients = st.fractions(min_value=-(10**10), max_value=10**10, max_denominator=7)
monomial = st.dictionaries(st.sampled_from(NAMES), st.integers(1, 4), max_size=3)
polynomials = st.lists(st.tuples(coefficients, monomial), min_size=1, max_size=6)


def written(terms: list[tuple[Fraction, dict[str, int]]]) -> str:
    """A sum of monomials in the math input language, in the order drawn."""
    parts = []
    for coefficient, powers in terms:
        factors = [f"({coefficient.numerator}/{coefficient.denominator})"]
        factors += [f"{name}^{exponent}" for name, exponent in powers.items()]
        parts.append("*".join(factors))
    return " + ".join(parts)


@settings(max_examples=60, deadline=None)
@given(polynomials, st.sampled_from(NAMES))
def test_a_sum_of_monomials_is_differentiated_as_sympy_does(
    terms: list[tuple[Fraction, dict[str, int]]], wrt: str
) -> None:
    tree = parse(written(terms), NAMES)
    found = monomials(tree)
    assert found is not None
    assert monomials_to_sympy(found) == to_sympy(tree)
    slope = differentiate(found, wrt)
    expected = derivative(to_sympy(tree), symbol(wrt))
    assert monomials_to_sympy(slope) == expected
    # The tree is the one `from_sympy` writes, so the derivative prints the same.
    assert to_ascii(monomials_to_tree(slope)) == to_ascii(from_sympy(expected))
    assert monomials_to_tree(slope) == from_sympy(expected)


@pytest.mark.parametrize(
    "text", ["7897 - 32x", "14 - a^2", "-3 + x y", "1/2 + x", "-7/3", "0", "x", "-x", "x^2 y/3"]
)
def test_sympys_own_order_of_terms_is_kept(text: str) -> None:
    terms = monomials(parse(text, NAMES))
    assert terms is not None
    expected = from_sympy(to_sympy(parse(text, NAMES)))
    assert to_ascii(monomials_to_tree(terms)) == to_ascii(expected)


@pytest.mark.parametrize("text", ["(x + 1)^2", "2(x + y)", "x^y", "exp(x)", "x/y", "pi x", "x^-1"])
def test_other_forms_are_not_sums_of_monomials(text: str) -> None:
    assert monomials(parse(text, NAMES)) is None


@pytest.mark.parametrize(
    ("text", "polynomial"),
    [("(x + 1)^3 * y - 2x/5", True), ("pi x^2", True), ("x/y", False), ("sin(x)", False)],
)
def test_what_is_a_polynomial(text: str, polynomial: bool) -> None:
    assert is_polynomial(parse(text, NAMES)) is polynomial


def test_forward_slopes_agree_with_sympy_within_their_bound() -> None:
    text = "3456789012 x^4 y^2 z - 98765 (x - 2y)^3 + 7 x z/3 - a^4"
    tree = parse(text, NAMES)
    points = sample_points(NAMES, {}, 24, seed=3)
    slopes = Derivatives(points)
    for name in NAMES:
        ((values, bound),) = slopes.derivatives(tree, [name])
        exact = sympy.lambdify(
            [symbol(n) for n in NAMES], derivative(to_sympy(tree), symbol(name)), "numpy"
        )(*(points[n] for n in NAMES))
        assert np.all(np.abs(values - exact) <= bound)
        assert np.all(bound <= 1e-12 * np.maximum(np.abs(exact), 1e6))


def test_a_changed_tree_shares_the_results_of_its_unchanged_subtrees() -> None:
    tree = parse("x^3 y + 5 x z", NAMES)
    assert isinstance(tree, BinOp)
    points = sample_points(NAMES, {}, 8, seed=0)
    slopes = Derivatives(points, ("u",))
    slopes.derivatives(tree, ["x"])
    changed = BinOp("+", tree.left, Var("u"))  # the second term replaced by a hole
    hole = {"u": np.full(8, 2.0)}
    held, through = slopes.derivatives(changed, ["x", "u"], hole)
    x, y = points["x"], points["y"]
    assert np.allclose(held[0], 3 * x**2 * y) and np.allclose(through[0], 1.0)


def test_a_function_is_not_differentiated_forward() -> None:
    slopes = Derivatives({"x": np.array([1.0])})
    with pytest.raises(NotPolynomial):
        slopes.derivatives(parse("sin(x)", ["x"]), ["x"])
    with pytest.raises(NotPolynomial):
        slopes.value(BinOp("/", Var("x"), Num(Fraction(0))))
