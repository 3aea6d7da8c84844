"""The verdict on a vector or matrix answer: is it the gradient (or Jacobian) of the function?

An exercise with `shapes` is checked here, entry by entry, with the same two independent checks as
a scalar one (`gradtutor.checking.check`):
- numeric: central differences of the function itself with respect to every entry of the variable
  (`gradtutor.calculus.tensor`), at random tensors for two sets of sizes, each dimension name its
  own size and no two alike, so that an answer right only for square matrices is caught; an entry
  whose step crosses a kink is skipped at that point only;
- symbolic: at one set of small sizes, every entry a real symbol (`W_0_1`), each entry of the
  answer against SymPy's derivative of f with respect to that entry, within the time budget.

An answer of the wrong shape is incorrect before any number is computed; an incorrect answer names
the entry (i, j) where it and the slope of f disagree, both values and the sizes, as
`torch.autograd.gradcheck` does, and where one fits, the slip (`matrix_mistakes`).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from gradtutor.calculus.budget import Budget, BudgetExceeded
from gradtutor.calculus.symbolic import UnsupportedExpression
from gradtutor.calculus.tensor import evaluate_tensor
from gradtutor.calculus.tensor_symbolic import Entries, to_sympy_entries
from gradtutor.checking.decision import Decision
from gradtutor.checking.matrix_context import MatrixContext, Trial, entry_text
from gradtutor.checking.matrix_mistakes import diagnose_matrix
from gradtutor.checking.report import (
    Counterexample,
    NumericCheck,
    SymbolicResult,
)
from gradtutor.checking.symbolic_check import MAX_EXPANDED_TERMS, compare, expansion_size
from gradtutor.language.declarations import Formula
from gradtutor.language.expr import Node, to_ascii
from gradtutor.language.shapes import Shape

# Finite-difference error estimates are multiplied by this before use as a tolerance.
SAFETY = 4.0
# Relative slack for rounding in the answer's own float64 evaluation.
RELATIVE_SLACK = 1e-7
# The symbolic check leaves this share of the budget for the rest.
SYMBOLIC_SHARE = 0.8
# At most this long for the entries of one answer: the finite differences of every entry at two
# sets of sizes are strong evidence already, and a class should not wait on SymPy's simplify.
SYMBOLIC_SECONDS = 0.5
# A wrong answer's entries confirmed different in SymPy: at most this many are tried.
QUICK_ENTRIES = 3


# --- one answer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mismatch:
    """The worst entry where the answer and the finite differences disagree."""

    trial: Trial
    point: int
    entry: tuple[int, ...]
    expected: float
    got: float | None


def decide_matrix(context: MatrixContext, answer: Formula, timeout: float) -> Decision:
    """Both checks of an answer already read (its shapes conform); see the module docstring.

    Decisions are cached by the answer as a function of the variables, so `X^T @ G` pays
    nothing once `Xᵀ G` was checked.
    """
    key = (context.spec, context.wrt, context.seed, to_ascii(answer.expanded), timeout)
    decision = _decisions.get(key)
    if decision is None:
        decision = _decide(context, answer, timeout)
        _decisions[key] = decision
        if len(_decisions) > DECISIONS_KEPT:
            _decisions.popitem(last=False)
    return decision


_decisions: OrderedDict[tuple[Any, ...], Decision] = OrderedDict()
DECISIONS_KEPT = 20_000


def clear_cache() -> None:
    _decisions.clear()


def _decide(context: MatrixContext, answer: Formula, timeout: float) -> Decision:
    if not answer.shape.same_as(context.expected):
        return _wrong_shape(context, answer)
    budget = Budget(timeout)
    compared, largest, mismatch = _numeric(context, answer.expanded)
    numeric = NumericCheck("disagree" if mismatch else "agree", compared, largest)
    symbolic, different = _symbolic(context, answer.expanded, budget, quick=mismatch is not None)
    if mismatch is not None or different is not None:
        counterexample, text = _counterexample(context, mismatch, different)
        diagnosis = diagnose_matrix(context, answer)
        return Decision(
            "incorrect", symbolic, numeric, f"Incorrect: {text}.", diagnosis, counterexample
        )
    if compared == 0 and symbolic != "equal":
        return Decision(
            "incorrect", symbolic, numeric,
            "Could not confirm this answer: the function is undefined at the random tensors "
            "tried, and SymPy could not show the answer equal to the derivative. Check the "
            "exercise's domain.",
        )  # fmt: skip
    return Decision("correct", symbolic, numeric, _correct_message(context, symbolic, compared))


def _correct_message(context: MatrixContext, symbolic: SymbolicResult, compared: int) -> str:
    sizes = " and ".join(context.sizes_text(trial.sizes) for trial in context.trials)
    numeric = f"it agrees with finite differences of the function in {compared} entries at {sizes}"
    small = context.sizes_text(context.symbolic_sizes)
    if symbolic == "equal":
        where = f" at {small}" if small else ""
        return f"Correct: SymPy shows every entry equals the derivative{where}, and {numeric}."
    reason = "SymPy ran out of time" if symbolic == "timeout" else "SymPy could not settle it"
    return f"Correct: {numeric} ({reason} entry by entry)."


def _numeric(context: MatrixContext, tree: Node) -> tuple[int, float, _Mismatch | None]:
    """Entries compared, the largest difference, and the worst disagreement (None if none)."""
    compared, largest = 0, 0.0
    worst: tuple[float, _Mismatch] | None = None
    for trial in context.trials:
        values, _ = evaluate_tensor(tree, trial.points, context.shapes, trial.sizes)
        estimate = trial.differences
        tolerance = SAFETY * estimate.error + RELATIVE_SLACK * (1 + np.abs(estimate.values))
        with np.errstate(invalid="ignore"):
            error = np.abs(values - estimate.values)
            ratio = np.where(
                estimate.usable, np.where(np.isfinite(error), error / tolerance, np.inf), 0.0
            )
        usable = estimate.usable
        compared += int(usable.sum())
        agreeing = usable & (ratio <= 1.0)
        if agreeing.any():
            largest = max(largest, float(error[agreeing].max()))
        if (ratio > 1.0).any():
            flat = int(np.argmax(ratio))
            index = np.unravel_index(flat, ratio.shape)
            got = float(values[index])
            mismatch = _Mismatch(
                trial, int(index[0]), tuple(int(i) for i in index[1:]),
                float(estimate.values[index]), got if np.isfinite(got) else None,
            )  # fmt: skip
            if worst is None or ratio[index] > worst[0]:
                worst = (float(ratio[index]), mismatch)
    return compared, largest, None if worst is None else worst[1]


def _symbolic(
    context: MatrixContext, tree: Node, budget: Budget, quick: bool
) -> tuple[SymbolicResult, tuple[int, ...] | None]:
    """Every entry against SymPy's derivative at the symbolic sizes: the result and, when an
    entry is shown to differ, its index. `quick` (the numbers already disagree) tries only the
    cheap proofs."""
    reference = context.reference
    if reference is None:
        return "undecided", None
    entries, loci = reference
    share = Budget(min(budget.remaining() * SYMBOLIC_SHARE, SYMBOLIC_SECONDS))
    try:
        with share.limit():
            answer, _ = to_sympy_entries(tree, context.shapes, context.symbolic_sizes)
            return _compare_entries(answer, entries, loci, context.function_shape, share, quick)
    except BudgetExceeded:
        return "timeout", None
    except (UnsupportedExpression, ValueError, TypeError, ArithmeticError):
        return "undecided", None


def _compare_entries(
    answer: Entries,
    reference: Entries,
    loci: tuple[frozenset[sympy.Expr], ...],
    function_shape: Shape,
    budget: Budget,
    quick: bool,
) -> tuple[SymbolicResult, tuple[int, ...] | None]:
    result: SymbolicResult = "equal"
    outer_rank = function_shape.rank
    if quick:
        # The numbers already disagree: SymPy need only confirm one entry at an exact point.
        for index in itertools.islice(np.ndindex(reference.shape), QUICK_ENTRIES):
            if _differs_somewhere(answer[index] - reference[index]):
                return "different", index
        return "undecided", None
    # Cheap first: every entry whose difference is 0 as built or once expanded.
    pending = [
        i for i in np.ndindex(reference.shape) if not _plainly_equal(answer[i], reference[i])
    ]
    for index in pending:
        outer = (
            int(np.ravel_multi_index(index[:outer_rank], reference.shape[:outer_rank]))
            if outer_rank
            else 0
        )
        outcome = compare(answer[index], reference[index], loci[outer], budget)
        if outcome.result == "different":
            return "different", index
        if outcome.result != "equal":
            result = outcome.result
    return result, None


def _differs_somewhere(difference: sympy.Expr) -> bool:
    """Whether `difference` is clearly not 0 at a point of small rationals (in 30 digits)."""
    symbols = sorted(difference.free_symbols, key=str)
    point = {s: sympy.Rational(7 + 3 * i, 11 + 2 * i) for i, s in enumerate(symbols)}
    value = difference.xreplace(point).evalf(30)
    if not value.is_number or value.is_real is not True:
        return False
    return bool(abs(value) > 1e-20)


def _plainly_equal(answer: sympy.Expr, reference: sympy.Expr) -> bool:
    difference = answer - reference
    if difference == 0:
        return True
    if expansion_size(difference) > MAX_EXPANDED_TERMS:
        return False
    return bool(sympy.expand(difference) == 0)


def _counterexample(
    context: MatrixContext, mismatch: _Mismatch | None, different: tuple[int, ...] | None
) -> tuple[Counterexample | None, str]:
    what = f"∂{context.function_name}/∂{context.wrt}"
    if mismatch is None:
        assert different is not None
        sizes = context.sizes_text(context.symbolic_sizes)
        return Counterexample({}, None, None, different, dict(context.symbolic_sizes)), (
            f"SymPy shows that entry {entry_text(different)} of your answer differs from "
            f"{what} by a constant (at {sizes})"
        )
    trial = mismatch.trial
    point = {
        name: float(values[mismatch.point])
        for name, values in trial.points.items()
        if values.ndim == 1
    }
    counterexample = Counterexample(
        point, mismatch.expected, mismatch.got, mismatch.entry, dict(trial.sizes)
    )
    where = f"with random {', '.join(context.spec.variables)} at {context.sizes_text(trial.sizes)}"
    entry = f"entry {entry_text(mismatch.entry)}" if mismatch.entry else "the value"
    expected = f"{mismatch.expected:.6g}"
    if mismatch.got is None:
        return counterexample, (
            f"{where}, your answer is undefined at {entry}, where {what} is {expected}"
        )
    return counterexample, (
        f"{where}, {entry} of {what} is {expected} but your answer gives {mismatch.got:.6g}"
    )


def _wrong_shape(context: MatrixContext, answer: Formula) -> Decision:
    expected, got = context.expected, answer.shape
    what = f"∂{context.function_name}/∂{context.wrt}"
    of = (
        f"the shape of {context.wrt}"
        if context.function_shape.is_scalar
        else "one row per entry of the function, one column per entry of " + context.wrt
    )
    message = (
        f"Incorrect: {what} is {expected.described()} ({of}), but your answer is {got.described()}."
    )
    diagnosis = diagnose_matrix(context, answer)
    return Decision("incorrect", None, None, message, diagnosis)
