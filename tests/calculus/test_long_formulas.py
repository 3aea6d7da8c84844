"""Long flat formulas through SymPy, NumPy, mpmath and the step engine (issue 18).

A sum or product as long as the length limit allows is a chain hundreds of levels deep; each
stage follows it in a loop. Where the result itself would be unreasonable (the product rule on
hundreds of factors, steps nested hundreds deep), the step engine refuses with a clear error.
"""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np
import pytest
import sympy
from rich.console import Console

from gradtutor.calculus.numeric import evaluate, evaluate_precise
from gradtutor.calculus.steps import MAX_PRODUCT_RULE_SIZE, MAX_STEP_DEPTH, derive
from gradtutor.calculus.symbolic import to_sympy
from gradtutor.errors import GradtutorError
from gradtutor.language.parser import parse
from gradtutor.render.export import document, to_latex
from gradtutor.render.steps import explanation_view
from gradtutor.tutor.explain import explain_formula

TERMS = 499
X = sympy.Symbol("x", real=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+".join(["x"] * TERMS), TERMS * X),
        ("-".join(["x"] * TERMS), (2 - TERMS) * X),
        ("*".join(["x"] * TERMS), X**TERMS),
        ("x" * 1000, X**1000),
        ("/".join(["x"] * TERMS), X ** (2 - TERMS)),
    ],
)
def test_sympy_numpy_and_mpmath_follow_a_long_chain(text: str, expected: sympy.Expr) -> None:
    tree = parse(text, ["x"])
    assert to_sympy(tree) == expected
    value = float(expected.subs(X, sympy.Rational(1, 1)))
    assert evaluate(tree, {"x": np.array([1.0])})[0] == pytest.approx(value)
    assert evaluate_precise(tree, {"x": 1.0}) == pytest.approx(value)
    assert to_latex(tree).count("x") >= TERMS


def test_the_steps_of_a_long_sum_are_one_step_with_a_term_each() -> None:
    derivation = derive(parse("+".join(["x*y"] * 200), ["x", "y"]), "x")
    assert derivation.root.rule == "sum" and len(derivation.root.substeps) == 200


def test_steps_nested_too_deep_are_refused_with_a_clear_error() -> None:
    quotients = "/".join(["x"] * (MAX_STEP_DEPTH + 5))
    with pytest.raises(GradtutorError, match=f"nest more than {MAX_STEP_DEPTH} levels deep"):
        derive(parse(quotients, ["x"]), "x")


def test_the_product_rule_on_hundreds_of_factors_is_refused_before_it_is_written() -> None:
    factors = 400
    assert 2 * factors * factors > MAX_PRODUCT_RULE_SIZE
    with pytest.raises(GradtutorError, match="product rule on these 400 factors") as caught:
        derive(parse("x" * factors, ["x"]), "x")
    assert caught.value.hint and "power" in caught.value.hint


def test_a_long_sum_is_explained_rendered_and_exported() -> None:
    explanation = explain_formula("+".join(["x^2"] * 240), ["x"], ["x"])
    console = Console(width=80, file=io.StringIO(), color_system=None)
    console.print(explanation_view(explanation))
    assert "2·x" in console.file.getvalue()  # type: ignore[attr-defined]
    assert "480" in document(explanation, "markdown")
    assert r"\frac" in document(explanation, "latex")


def test_polynomial_forward_differentiation_follows_a_long_chain() -> None:
    from gradtutor.calculus.polynomial import Derivatives, is_polynomial, monomials

    run = parse("x" * 500, ["x"])  # x^500 as a product of 500 factors
    assert is_polynomial(run)
    ((slope, bound),) = Derivatives({"x": np.array([1.0])}).derivatives(run, ["x"])
    assert slope[0] == pytest.approx(500.0) and bound[0] < 1e-9
    long_sum = parse("+".join(["x*y"] * 200), ["x", "y"])
    expected: dict[tuple[tuple[str, int], ...], Fraction] = {(("x", 1), ("y", 1)): Fraction(200)}
    assert monomials(long_sum) == expected


@pytest.mark.parametrize("text", ["σ(" * 20 + "x/y" + ")" * 20, "*".join(["max(x, y)"] * 100)])
def test_an_explanation_sympy_is_slow_to_simplify_still_ends(text: str) -> None:
    # The simplify steps have a budget (seconds of SymPy on these): the derivation stands without.
    explanation = explain_formula(text, ["x", "y"], ["x"])
    (derivation,) = explanation.derivations
    assert derivation.root.result is not None and len(derivation.simplification) <= 2
