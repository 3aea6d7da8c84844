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

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradtutor.errors import GradtutorError
from gradtutor.exercises import Collection, load_collection
from gradtutor.expr import (
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
from gradtutor.steps import derive
from gradtutor.symbolic import symbol, to_sympy

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
    there the derivative does not exist and gradtutor's strict indicators are a convention.
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
    return [(e.id, wrt) for e in _collection().exercises for wrt in e.ask]


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
