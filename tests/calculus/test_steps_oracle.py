"""The step engine against an independent oracle: SymPy's own derivative.

Every derivation's result (as derived, and simplified) must equal SymPy's derivative of the same
function, over every shipped exercise and over generated expressions. Equality is checked
numerically at random points, to 20 digits (kinks and ties have measure zero there), since SymPy
writes max′ as Heaviside and ours as indicators.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradtutor.calculus.numeric import evaluate, finite_differences, sample_points
from gradtutor.calculus.steps import derive
from gradtutor.calculus.symbolic import symbol, to_sympy
from gradtutor.curriculum.loader import load_collection
from gradtutor.curriculum.model import Collection
from gradtutor.errors import GradtutorError
from gradtutor.language.expr import (
    FUNCTIONS,
    BinOp,
    Call,
    Compare,
    Const,
    Indicator,
    Neg,
    Node,
    Var,
    number,
    to_ascii,
    variables_of,
    walk,
)
from gradtutor.language.parser import parse

Domain = dict[str, tuple[float, float]]


def _value(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Float]) -> float | None:
    """The value at a point, or None where it is undefined, not real or astronomically large."""
    try:
        value = expr.evalf(20, subs=point)
        if not (value.is_real and value.is_finite) or abs(value) > 1e50:
            return None
        return float(value)
    except (ValueError, TypeError, ZeroDivisionError, RecursionError):  # SymPy gives up
        return None


def _ties(function: Node) -> list[sympy.Expr]:
    """Differences that are 0 exactly where max/min arguments tie (where the convention applies)."""
    gaps = []
    for node in walk(function):
        if isinstance(node, Call) and node.func in ("max", "min"):
            forms = [to_sympy(a) for a in node.args]
            gaps += [a - b for i, a in enumerate(forms) for b in forms[i + 1 :]]
    return gaps


def disagreements(ours: Node, function: Node, wrt: str, domain: Domain, seed: int) -> int | None:
    """How many usable sample points disagree; None if fewer than 3 are usable.

    A point is unusable where either side is undefined, or where arguments of a max or min tie:
    SymPy writes max′ with Heaviside, which is ½ at a tie, so it is no oracle there (the tie
    tests below compare with finite differences instead).
    """
    rng = random.Random(seed)
    try:
        expected = sympy.diff(to_sympy(function), symbol(wrt))
        got = to_sympy(ours)
        ties = _ties(function)
    except GradtutorError:  # a formula SymPy cannot hold (1/0 inside): no oracle to ask
        return None
    usable = wrong = 0
    for _ in range(8):
        point = {
            symbol(name): sympy.Float(rng.randint(int(lo * 997), int(hi * 997)) / 997, 30)
            for name, (lo, hi) in domain.items()
        }
        gaps = [_value(gap, point) for gap in ties]
        if any(gap is None or abs(gap) < 1e-20 for gap in gaps):
            continue
        want, have = _value(expected, point), _value(got, point)
        if want is None or have is None:
            continue
        usable += 1
        wrong += abs(want - have) > 1e-9 * (1 + abs(want))
    return wrong if usable >= 3 else None


@cache
def _collection() -> Collection:
    return load_collection()


def _partials() -> list[tuple[str, str]]:
    # Exercises of vectors and matrices have their own engine: tests/calculus/test_layer_steps.py.
    return [
        (e.id, wrt) for e in _collection().exercises if not e.declarations.tensor for wrt in e.ask
    ]


@pytest.mark.parametrize(("exercise_id", "wrt"), _partials())
def test_every_shipped_exercise_is_derived_correctly(exercise_id: str, wrt: str) -> None:
    exercise = _collection().get(exercise_id)
    derivation = derive(exercise.tree, wrt)
    assert derivation.explained, f"{exercise_id}: a step had no rule"
    domain = {name: exercise.domain.get(name, (-3.0, 3.0)) for name in exercise.variables}
    for shown in dict.fromkeys([derivation.result, derivation.simplified]):
        wrong = disagreements(shown, exercise.tree, wrt, domain, seed=len(exercise_id))
        assert wrong == 0, f"{exercise_id} ∂/∂{wrt}: {to_ascii(shown)} is not SymPy's derivative"


def test_the_shipped_curriculum_is_not_empty() -> None:
    assert len(_partials()) >= 20


# --- generated expressions -------------------------------------------------------------------

_ONE_ARGUMENT = sorted(name for name, arity in FUNCTIONS.items() if arity == 1)
_LEAVES: Sequence[Node] = (Var("x"), Var("y"), number(1), number(2), number(3), Const("e"))


def _extend(inner: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(Neg, inner),
        st.builds(BinOp, st.sampled_from(["+", "-", "*", "/"]), inner, inner),
        st.builds(lambda b, n: BinOp("^", b, number(n)), inner, st.integers(2, 4)),
        st.builds(lambda b, n: BinOp("^", b, Neg(number(n))), inner, st.integers(1, 2)),
        st.builds(lambda b, e: BinOp("^", b, e), inner, inner),
        st.builds(lambda f, a: Call(f, (a,)), st.sampled_from(_ONE_ARGUMENT), inner),
        st.builds(lambda f, a, b: Call(f, (a, b)), st.sampled_from(["max", "min"]), inner, inner),
        st.builds(
            lambda op, a, b: Indicator(Compare(op, a, b)),
            st.sampled_from([">", "<", ">=", "<="]),
            inner,
            inner,
        ),
    )


expressions = st.recursive(st.sampled_from(_LEAVES), _extend, max_leaves=7)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(expressions, st.sampled_from(["x", "y"]))
def test_generated_expressions_are_derived_correctly(function: Node, wrt: str) -> None:
    assume(wrt in variables_of(function))
    derivation = derive(function, wrt, simplify=False)
    assert derivation.explained
    domain: Domain = {"x": (-2.0, 2.0), "y": (-2.0, 2.0)}
    wrong = disagreements(derivation.result, function, wrt, domain, seed=0)
    assume(wrong is not None)
    assert wrong == 0, f"∂/∂{wrt} {to_ascii(function)}: got {to_ascii(derivation.result)}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.sampled_from(_LEAVES[:4]), _extend, max_leaves=4))
def test_simplification_keeps_the_value(function: Node) -> None:
    assume("x" in variables_of(function))
    derivation = derive(function, "x")
    domain: Domain = {"x": (-2.0, 2.0), "y": (-2.0, 2.0)}
    wrong = disagreements(derivation.simplified, function, "x", domain, seed=1)
    assume(wrong is not None)
    assert wrong == 0, (
        f"{to_ascii(derivation.result)} simplified to {to_ascii(derivation.simplified)}"
    )


# --- ties of max and min ---------------------------------------------------------------------


def _finite_difference_misses(function: Node, wrt: str, shown: Node) -> tuple[int, int]:
    """(usable points, points where `shown` is not the finite difference of `function`).

    Finite differences, not SymPy, are the oracle here: on a stretch where the arguments of a
    max are equal, max is as smooth as they are, and its slope is theirs.
    """
    names = sorted(variables_of(function))
    points = sample_points(names, dict.fromkeys(names, (-2.0, 2.0)), 120, seed=5)
    differences = finite_differences(function, wrt, points)
    values = evaluate(shown, points)
    usable = differences.usable & np.isfinite(values)
    gap = np.abs(values - differences.values)
    allowed = 10 * differences.error + 1e-7 * (1 + np.abs(differences.values))
    return int(usable.sum()), int((usable & (gap > allowed)).sum())


TIES = [
    # (function, a point on a stretch where two arguments tie, the slope there)
    ("max(x, abs(x))", {"x": 1.5}, 1.0),
    ("min(x, x)", {"x": -0.5}, 1.0),
    ("max(x^2, x*x)", {"x": 1.5}, 3.0),
    ("max(relu(x), x)", {"x": 1.5}, 1.0),
    ("min(abs(x), x)", {"x": 1.5}, 1.0),
    ("max(abs(x), x, y)", {"x": 1.5, "y": 0.5}, 1.0),
    ("max(x*abs(x), x^2)", {"x": 1.5}, 3.0),
    ("min(relu(x) + 1, x + 1, 5)", {"x": 1.5}, 1.0),
    ("max(exp(abs(x)), exp(x))", {"x": 0.5}, float(np.exp(0.5))),
]


@pytest.mark.parametrize(("function", "tie", "slope"), TIES)
def test_on_a_tie_interval_max_and_min_have_the_common_slope(
    function: str, tie: dict[str, float], slope: float
) -> None:
    tree = parse(function)
    derivation = derive(tree, "x")
    for shown in dict.fromkeys([derivation.result, derivation.simplified]):
        at_tie = evaluate(shown, {name: np.array([value]) for name, value in tie.items()})
        assert at_tie[0] == pytest.approx(slope), to_ascii(shown)
        usable, misses = _finite_difference_misses(tree, "x", shown)
        assert usable >= 60
        assert misses == 0, f"{function}: {to_ascii(shown)}"


def test_the_chapters_max_keeps_its_strict_indicators() -> None:
    for function, wrt, expected in [
        ("max(x, y)", "x", "1(x > y)"),
        ("max(x, y)", "y", "1(y > x)"),
        ("min(x, y)", "x", "1(x < y)"),
        ("max(x, 0)", "x", "1(x > 0)"),
    ]:
        assert to_ascii(derive(parse(function), wrt).result) == to_ascii(parse(expected))


def _tied(argument: Node, wrap: str) -> Node:
    """max or min of an argument and a function of it that equals it on a whole region."""
    func, other = wrap.split(":")
    return Call(func, (argument, Call(other, (argument,))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(st.sampled_from(_LEAVES[:4]), _extend, max_leaves=4),
    st.sampled_from(["max:abs", "min:abs", "max:relu", "min:relu"]),
)
def test_generated_ties_are_derived_correctly(argument: Node, wrap: str) -> None:
    function = _tied(argument, wrap)
    assume("x" in variables_of(function))
    derivation = derive(function, "x", simplify=False)
    usable, misses = _finite_difference_misses(function, "x", derivation.result)
    assume(usable >= 3)
    assert misses == 0, f"∂/∂x {to_ascii(function)}: got {to_ascii(derivation.result)}"
