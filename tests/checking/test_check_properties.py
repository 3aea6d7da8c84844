"""Properties of the checker on random functions: SymPy's derivative is correct, mutations are not.

The derivative is printed with `to_ascii(from_sympy(...))` and read back as a learner's answer;
doubling it, flipping its sign or answering with the function itself must each be judged
incorrect, with the diagnosis that names that mistake.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradtutor.calculus.numeric import evaluate, sample_points
from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
from gradtutor.checking.check import check_answer
from gradtutor.checking.diagnose import RANKS
from gradtutor.curriculum.model import exercise_from_function
from gradtutor.language.expr import BinOp, Call, Node, Num, Var, to_ascii, variables_of

SMOOTH = ("sin", "cos", "exp", "tanh", "sigmoid", "atan")


def _number(value: int) -> Num:
    return Num(Fraction(value), str(value))


leaves = st.one_of(
    st.sampled_from([Var("x"), Var("y")]),
    st.integers(1, 5).map(_number),
)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(BinOp, st.sampled_from(["+", "-", "*"]), children, children),
        st.builds(lambda u, n: BinOp("^", u, _number(n)), children, st.integers(2, 3)),
        st.builds(lambda f, u: Call(f, (u,)), st.sampled_from(SMOOTH), children),
        # Quotients and logarithms of positive denominators only, so the function is defined.
        st.builds(
            lambda u, v: BinOp("/", u, BinOp("+", BinOp("^", v, _number(2)), _number(1))),
            children,
            children,
        ),
        st.builds(
            lambda u: Call("log", (BinOp("+", BinOp("^", u, _number(2)), _number(1)),)),
            children,
        ),
    )


functions = st.recursive(leaves, _extend, max_leaves=5)


def _derivative_text(tree: Node) -> str:
    return to_ascii(from_sympy(sympy.diff(to_sympy(tree), symbol("x"))))


def _tame(tree: Node) -> bool:
    """Depends on x, finite and moderate at the sample points, with a derivative not constant."""
    if "x" not in variables_of(tree):
        return False
    points = sample_points(["x", "y"], {}, 24, 0)
    values = evaluate(tree, points)
    derivative = sympy.diff(to_sympy(tree), symbol("x"))
    if derivative.is_constant():
        return False
    return bool(np.all(np.isfinite(values)) and np.all(np.abs(values) < 1e6))


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(functions)
def test_derivative_is_correct_and_its_mutations_are_diagnosed(tree: Node) -> None:
    """One function per example, so that the four answers share its derivative and samples."""
    assume(_tame(tree))
    function = to_ascii(tree)
    exercise = exercise_from_function(function, "x", ["x", "y"])
    derivative = _derivative_text(tree)

    right = check_answer(exercise, "x", derivative)
    assert right.verdict == "correct", (function, right.message)

    doubled = check_answer(exercise, "x", f"2*({derivative})")
    assert doubled.verdict == "incorrect", (function, doubled.message)
    assert doubled.diagnosis is not None, function
    # A more specific mistake (an inner derivative 1/2 left out) may explain the factor: the
    # diagnosis must still say what the factor is.
    assert "exactly 2 times" in doubled.diagnosis.message, (function, doubled.diagnosis)

    negated = check_answer(exercise, "x", f"-({derivative})")
    assert negated.verdict == "incorrect", (function, negated.message)
    assert negated.diagnosis is not None, function
    assert negated.diagnosis.kind == "sign" or (
        "exactly the opposite of" in negated.diagnosis.message
    ), (function, negated.diagnosis)

    # e^x-like functions are their own derivative: answering with them is right.
    points = sample_points(["x", "y"], {}, 24, 0)
    values = evaluate(from_sympy(sympy.diff(to_sympy(tree), symbol("x"))), points)
    if not np.allclose(values, evaluate(tree, points)):
        itself = check_answer(exercise, "x", function)
        assert itself.verdict == "incorrect", (function, itself.message)
        assert itself.diagnosis is not None, function
        # Unless a more specific mistake gives the same answer (exp(2x) without the inner
        # derivative 2, exp(y − x) in y): that one is named (diagnose.RANKS).
        kind = itself.diagnosis.kind
        assert kind == "function-itself" or RANKS[kind] < RANKS["function-itself"], (
            function,
            itself.diagnosis,
        )
