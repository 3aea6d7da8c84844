"""The catalogue's shortcuts agree with differentiating the changed function in full.

A change inside one term of the function's sum is differentiated as that term's change alone
(`_Slopes.changed`); a factor that does not move with the variable is dropped by scaling its
term (`_dropped_slope`); a lost sign scales its term by −1 (`_flipped_slope`); a rule slipped on
a factor of a term changes that term only (`_Slopes.around`). Each is checked here against the
tree rebuilt and differentiated whole, on random sums of products, polynomial or not.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradtutor.calculus.numeric import Array
from gradtutor.checking.context import ExerciseSpec, clear_caches, context_for
from gradtutor.checking.mistakes import (
    _HOLE,
    _dropped_slope,
    _factors,
    _flipped_slope,
    _replace,
    _Slopes,
    _subtrees,
    _terms,
    scale,
)
from gradtutor.curriculum.model import exercise_from_function
from gradtutor.language.expr import BinOp, Neg, Node, Var, number

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

POLYNOMIAL_FACTORS = ["3", "12345678901", "x", "y", "x^2", "y^3", "z", "(x + 2*y)", "(1/4)"]
OTHER_FACTORS = ["exp(x)", "sin(y)", "(x^2 + 1)^3", "cos(x*y)"]


def _term(factors: list[str]) -> str:
    return "*".join(factors)


def _function(terms: list[list[str]], signs: list[str]) -> str:
    text = _term(terms[0])
    for sign, term in zip(signs, terms[1:], strict=False):
        text += f" {sign} {_term(term)}"
    return text


def functions(factors: list[str]) -> st.SearchStrategy[str]:
    term = st.lists(st.sampled_from(factors), min_size=1, max_size=4)
    return st.builds(
        _function,
        st.lists(term, min_size=2, max_size=5),
        st.lists(st.sampled_from(["+", "-"]), min_size=4, max_size=4),
    )


def _slopes(text: str) -> _Slopes:
    spec = ExerciseSpec.of(exercise_from_function(text, "x", ["x", "y", "z"]))
    return _Slopes(context_for(spec, "x", 0, 2.0))


def agree(shortcut: Array, whole: Array, unit: float) -> None:
    """Equal well inside the diagnosis's tolerance (`mistakes.matches`): 1e-6 relative, and
    1e-9 of the derivative's size `unit` near 0, where a shortcut's rounding of the other
    terms shows."""
    both = np.isfinite(shortcut) & np.isfinite(whole)
    assert both.sum() >= 0.75 * len(whole) or not np.isfinite(whole).any()
    scale = max(float(np.max(np.abs(whole[both]), initial=0.0)), unit)
    np.testing.assert_allclose(shortcut[both], whole[both], rtol=1e-8, atol=1e-10 * scale)


def _check_every_shortcut(text: str) -> None:
    slopes = _slopes(text)
    tree, wrt = slopes.tree, slopes.wrt
    unit = scale(slopes.context.reference_values)

    def _agree(shortcut: Array, whole: Array) -> None:
        agree(shortcut, whole, unit)

    for path, term in _terms(tree):
        _agree(slopes.changed([(path, number(0))]), slopes.slope(_replace(tree, path, number(0))))
        kept = BinOp("*", Var(wrt), term)
        _agree(slopes.changed([(path, kept)]), slopes.slope(_replace(tree, path, kept)))
        constant = [f for f in _factors(term, path) if not slopes.mentions(f[1], wrt)]
        for chosen in [[factor] for factor in constant] + [constant]:
            rebuilt = tree
            for factor_path, _, _ in chosen:
                rebuilt = _replace(rebuilt, factor_path, number(1))
            _agree(_dropped_slope(slopes, path, term, chosen), slopes.slope(rebuilt))
    for path, node in _subtrees(tree):
        change: tuple[tuple[int, ...], Node] | None = None
        flipped: Node
        if isinstance(node, BinOp) and node.op == "-":
            change, flipped = ((*path, 1), Neg(node.right)), BinOp("+", node.left, node.right)
        elif isinstance(node, Neg):
            change, flipped = (path, node.operand), node.operand
        if change is not None:
            _agree(_flipped_slope(slopes, change), slopes.slope(_replace(tree, path, flipped)))
        if path and slopes.mentions(node, wrt):
            wrong = np.linspace(-2.0, 3.0, slopes.context.samples.size)
            hole = _replace(tree, path, Var(_HOLE))
            held, through = slopes.slopes(hole, [wrt, _HOLE], {_HOLE: slopes.at(node)})
            _agree(slopes.around(path, node, wrong), held + through * wrong)


@SETTINGS
@given(functions(POLYNOMIAL_FACTORS))
def test_shortcuts_agree_on_polynomials(text: str) -> None:
    _check_every_shortcut(text)


@SETTINGS
@given(functions(POLYNOMIAL_FACTORS + OTHER_FACTORS))
def test_shortcuts_agree_beyond_polynomials(text: str) -> None:
    _check_every_shortcut(text)


def test_a_factor_that_is_zero_at_a_point_rebuilds_the_tree() -> None:
    """Dropping y from x·y where y is 0 at a sample point cannot divide by it."""
    try:
        slopes = _slopes("x*y + x^2")
        # The context's own sample, changed as if the draw had hit 0 (the cache is cleared).
        slopes.context.samples.points["y"][0] = 0.0
        slopes = _Slopes(slopes.context)
        tree = slopes.tree
        found = 0
        for path, term in _terms(tree):
            for factor in _factors(term, path):
                if factor[1] == Var("y"):
                    dropped = _dropped_slope(slopes, path, term, [factor])
                    whole = slopes.slope(_replace(tree, factor[0], number(1)))
                    agree(dropped, whole, 1.0)
                    assert np.isfinite(dropped[0])
                    found += 1
        assert found == 1
    finally:
        clear_caches()
