"""The decision on one answer in its exercise's context: correct, incorrect, or the checks disagree.

Two independent checks, both reported:
- numeric: the answer against Richardson finite differences of the *function* at seeded points where
  the function is defined and no kink lies within the step; the tolerance is the estimated error of
  each difference plus the float64 rounding of the answer;
- symbolic: the answer against SymPy's derivative (`checking.symbolic_check`), taken after each
  max/min is written to follow exactly one argument, so that it is right on tie intervals too.

Symbolic equality is proof; a numeric disagreement, confirmed by evaluating both the answer and
SymPy's derivative in high precision at that point (`checking.exact`), is a counterexample; at a
point where two max/min arguments of the function tie, the function's own finite difference
confirms instead. When SymPy cannot settle it quickly but the values agree, more evidence decides:
256 more points against SymPy's derivative, high precision at a few sample points, and points on
the answer's own kinks (`checking.witness`). `simplify` runs only when there is too little numeric
evidence for the values to decide. Decisions are cached by (exercise, variable, seed, the answer as
read), so a class that types the same answer pays once.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from gradtutor.calculus.budget import Budget, BudgetExceeded
from gradtutor.calculus.exact_polynomial import ExactPolynomial, expand
from gradtutor.calculus.numeric import (
    Array,
    evaluate,
    evaluate_precise,
)
from gradtutor.calculus.polynomial import monomials
from gradtutor.checking.context import (
    MIN_POINTS,
    ExerciseContext,
    magnitudes,
    rounding,
)
from gradtutor.checking.diagnose import diagnose
from gradtutor.checking.exact import compare_at, difference_at
from gradtutor.checking.report import (
    Counterexample,
    Diagnosis,
    NumericCheck,
    SymbolicResult,
    Verdict,
)
from gradtutor.checking.symbolic_outcome import UNDECIDED, SymbolicOutcome
from gradtutor.checking.witness import boundary_points
from gradtutor.language.expr import Node, to_ascii, to_pretty

if TYPE_CHECKING:  # SymPy is loaded only for an answer or a function that is not a polynomial
    import sympy

DEFAULT_TIMEOUT = 2.0
# High-precision spot checks of agreeing answers (they catch rounded decimals such as 0.333).
SPOT_CHECKS = 3
# A float64 comparison whose tolerance is wider than this (relative) says nothing: recheck it.
INFORMATIVE = 1e-6
# At most this many doubtful extra points are rechecked in high precision.
MAX_EXTRA_RECHECKS = 12
# Looking for more evidence may overrun a spent budget by this much (it is float64 and mpmath).
EVIDENCE_SECONDS = 0.5
# The symbolic check leaves this share of the budget for the evidence after it.
SYMBOLIC_SHARE = 0.8
EPS = float(np.finfo(np.float64).eps)
VERDICT_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class Decision:
    """Everything of a `Result` that depends only on the exercise, variable, seed and answer."""

    verdict: Verdict
    symbolic: SymbolicResult | None
    numeric: NumericCheck | None
    message: str
    diagnosis: Diagnosis | None = None
    counterexample: Counterexample | None = None


_decisions: OrderedDict[tuple[Any, ...], Decision] = OrderedDict()


def decide(context: ExerciseContext, tree: Node, timeout: float = DEFAULT_TIMEOUT) -> Decision:
    """The cached decision for `tree` as an answer in `context`."""
    key = (context.spec, context.wrt, context.seed, to_ascii(tree), timeout)
    decision = _decisions.get(key)
    if decision is None:
        decision = _Decider(context, tree, Budget(timeout)).decide()
        _decisions[key] = decision
        if len(_decisions) > VERDICT_CACHE_SIZE:
            _decisions.popitem(last=False)
    return decision


def clear_cache() -> None:
    _decisions.clear()


# --- the decision ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recheck:
    """A point rechecked in high precision: a counterexample, or the values shown equal."""

    counterexample: Counterexample | None
    verified: bool
    # The counterexample is a high-precision difference from SymPy's derivative as a tree.
    exact: bool = False


@dataclass(frozen=True)
class _Comparison:
    """The finite-difference check after settling its doubtful points in high precision."""

    check: NumericCheck | None
    counterexample: Counterexample | None
    refuted: int  # outliers that high precision showed to be float64 artefacts
    exact: bool = False  # the counterexample is exact (`_Recheck.exact`)


class _Decider:
    def __init__(self, context: ExerciseContext, tree: Node, budget: Budget) -> None:
        self.context = context
        self.tree = tree
        self.budget = budget
        self.values = evaluate(tree, context.samples.points)
        self.extra_points = 0  # points of the extra evidence that agreed

    @cached_property
    def answer(self) -> sympy.Expr | None:
        """The answer in SymPy, None if building it ran out of time (it is built when needed)."""
        from gradtutor.calculus.symbolic import to_sympy

        try:
            with Budget(max(self.budget.remaining(), EVIDENCE_SECONDS)).limit():
                return to_sympy(self.tree)
        except BudgetExceeded:
            return None

    @cached_property
    def polynomials(self) -> tuple[ExactPolynomial, ExactPolynomial] | None:
        """The answer and SymPy's derivative multiplied out, when both are polynomials: then
        `exact` evaluates them exactly instead of in rising precision."""
        reference = self.context.exact_reference
        answer = None if reference is None else expand(self.tree, self.context.variables)
        return None if answer is None or reference is None else (answer, reference)

    def decide(self) -> Decision:
        comparison = self.numeric()
        if comparison.exact:
            # The answer and SymPy's derivative differ at a point, in high precision: they are
            # not one expression, and SymPy is not needed to say so.
            return self.incorrect("different", comparison.check, comparison.counterexample)
        if self.as_written():
            return self.correct(SymbolicOutcome("equal", "structure"), comparison)
        if comparison.counterexample is not None:
            return self.incorrect("different", comparison.check, comparison.counterexample)
        return self.settle(comparison)

    def as_written(self) -> bool:
        """Whether the answer is SymPy's derivative as written (the same object once built).

        Two sums of monomials are the same SymPy object exactly when their terms are: SymPy
        keeps such a sum in one canonical form. Then SymPy need not build either.
        """
        terms = self.context.reference_terms
        if terms is not None:
            written = monomials(self.tree)
            if written is not None:
                return written == terms
        reference = self.context.reference
        return self.answer is not None and reference is not None and self.answer - reference == 0

    def settle(self, comparison: _Comparison) -> Decision:
        """The values agree (or cannot be compared): SymPy, then more evidence, decide."""
        check = comparison.check
        few = check is None or check.points < MIN_POINTS
        outcome = self.symbolic(thorough=few)
        if outcome.result == "equal":
            return self.correct(outcome, comparison)
        counterexample = self.more_evidence()
        if counterexample is not None:
            return self.incorrect("different", check, counterexample)
        if outcome.result == "different":
            return self.incorrect("different", check, self.anywhere())
        checked = (check.points if check else 0) + self.extra_points
        if checked == 0:
            return Decision(
                "incorrect", outcome.result, check,
                "Could not confirm this answer: the function is undefined at the sample points "
                "of the exercise's domain, and SymPy could not show the answer equal to the "
                "derivative. Check the exercise's domain.",
            )  # fmt: skip
        return self.correct(outcome, comparison)

    # --- the two checks ---------------------------------------------------------------------------

    def symbolic(self, thorough: bool) -> SymbolicOutcome:
        from gradtutor.checking.symbolic_check import compare

        reference = self.context.reference
        if self.answer is None:
            return SymbolicOutcome("timeout")
        if reference is None:
            return UNDECIDED
        budget = Budget(self.budget.remaining() * SYMBOLIC_SHARE)
        return compare(self.answer, reference, self.context.loci, budget, thorough=thorough)

    def numeric(self) -> _Comparison:
        """The finite-difference check; its doubtful points are settled in high precision.

        A point is doubtful when the answer is further from the estimate than the tolerance, or
        when the tolerance is too wide to tell anything (an answer whose float64 evaluation
        cancels huge terms). High precision then finds a counterexample, verifies the point, or
        cannot settle it (the point is dropped).
        """
        samples = self.context.samples
        if samples.size == 0:
            return _Comparison(None, None, 0)
        magnitude = magnitudes(self.tree, samples.points)
        tolerance = samples.error + _finite_or_inf(rounding(self.tree, samples.points, magnitude))
        error = np.abs(self.values - samples.estimate)
        scale = _largest(np.abs(samples.estimate)) or 1.0
        conclusive = tolerance <= INFORMATIVE * np.maximum(np.abs(samples.estimate), 1e-3 * scale)
        doubtful = _worst_first(error, np.where(conclusive, tolerance, 0.0))
        refuted, dropped = 0, []
        try:
            # An alarm set and cleared for nothing to recheck would cost ~15 us an answer.
            with self.budget.limit() if doubtful else nullcontext():
                for index in doubtful:
                    point, estimate = samples.point(index), float(samples.estimate[index])
                    # The size of the terms of both trees, for the recheck's noise bound.
                    terms = magnitude[index] + self.context.reference_magnitude[index]
                    recheck = self.confirm(
                        point, estimate, float(tolerance[index]), _float(terms), index
                    )
                    if recheck.counterexample is not None:
                        check = NumericCheck("disagree", samples.size, _largest(error[conclusive]))
                        return _Comparison(check, recheck.counterexample, refuted, recheck.exact)
                    if not recheck.verified:
                        dropped.append(index)
                    elif conclusive[index]:
                        refuted += 1
        except BudgetExceeded:
            done = refuted + len(dropped)
            real = [i for i in doubtful[done:] if conclusive[i]]
            if real:
                # No time to recheck in high precision: the finite difference's word stands.
                index = real[0]
                counterexample = Counterexample(
                    samples.point(index), float(samples.estimate[index]), _float(self.values[index])
                )
                check = NumericCheck("disagree", samples.size, _largest(error[conclusive]))
                return _Comparison(check, counterexample, refuted)
            dropped.extend(doubtful[done:])
        agreeing = np.ones(samples.size, dtype=bool)
        agreeing[doubtful] = False
        counted = samples.size - len(dropped)
        return _Comparison(NumericCheck("agree", counted, _largest(error[agreeing])), None, refuted)

    def confirm(
        self,
        point: dict[str, float],
        estimate: float,
        tolerance: float,
        magnitude: float | None = None,
        sample: int | None = None,
    ) -> _Recheck:
        """Whether high-precision evaluation shows a difference at `point`, or equality.

        The answer and the derivative are compared in 40 digits or more (`exact`); where the
        derivative has no value, its `estimate` (finite difference or float64) stands, with its
        `tolerance`. Where two max/min arguments of the function tie, the function's own finite
        difference there decides instead: the reference's value at a tie rests on how its steps
        read the tie. A comparison that precision cannot settle is neither. `magnitude`, the size
        of both trees' terms at `point` when float64 knows it, spares `exact` computing it, and
        `sample`, the index of `point` among the sample points, their float64 values.
        """
        reference = self.context.reference_tree
        if self.context.extremes and self.context.tied(point):
            return self.against_difference(point)
        if reference is None:
            got = evaluate_precise(self.tree, point)
            return self.against_estimate(point, got, estimate, tolerance)
        float64 = None
        if sample is not None:
            float64 = (float(self.values[sample]), float(self.context.reference_float64[sample]))
        settled = compare_at(self.tree, reference, point, magnitude, self.polynomials, float64)
        if settled.agreement == "unsure":
            return _Recheck(None, verified=False)
        if settled.reference is None:
            return self.against_estimate(point, settled.answer, estimate, tolerance)
        if settled.agreement == "equal":
            return _Recheck(None, verified=True)
        counterexample = Counterexample(point, settled.reference, settled.answer)
        return _Recheck(counterexample, verified=False, exact=settled.answer is not None)

    def against_difference(self, point: dict[str, float]) -> _Recheck:
        difference = self.context.difference_at(point)
        if difference is None:
            return _Recheck(None, verified=False)
        estimate, tolerance = difference
        return self.against_estimate(point, evaluate_precise(self.tree, point), estimate, tolerance)

    def against_estimate(
        self, point: dict[str, float], got: float | None, estimate: float, tolerance: float
    ) -> _Recheck:
        if not math.isfinite(estimate):
            return _Recheck(None, verified=False)
        if got is not None and abs(got - estimate) <= tolerance:
            return _Recheck(None, verified=True)
        return _Recheck(Counterexample(point, estimate, got), verified=False)

    def precise_reference(self, point: dict[str, float]) -> float | None:
        tree = self.context.reference_tree
        return None if tree is None else evaluate_precise(tree, point)

    def more_evidence(self) -> Counterexample | None:
        """A counterexample found by looking harder, or None.

        SymPy's derivative in float64 at many more points; high precision at a few sample points
        (rounded decimals); and points on the answer's own kinks, which random points miss.
        """
        try:
            with Budget(max(self.budget.remaining(), EVIDENCE_SECONDS)).limit():
                return self._more_evidence()
        except BudgetExceeded:
            return None

    def _more_evidence(self) -> Counterexample | None:
        extra = self.context.extra
        if extra is None:
            return None
        points, reference, reference_rounding = extra
        values = evaluate(self.tree, points)
        tolerance = reference_rounding + _finite_or_inf(rounding(self.tree, points))
        defined = np.isfinite(reference)
        self.extra_points = int(defined.sum())
        error = np.where(defined, np.abs(values - reference), 0.0)
        size = np.abs(np.where(defined, reference, 0.0))
        conclusive = tolerance <= INFORMATIVE * np.maximum(size, 1e-3 * (_largest(size) or 1.0))
        doubtful = _worst_first(error, np.where(defined & conclusive, tolerance, 0.0))
        doubtful = [index for index in doubtful if defined[index]]
        self.extra_points = int((defined & conclusive).sum()) - len(doubtful)
        for index in doubtful[:MAX_EXTRA_RECHECKS]:
            point = {name: float(column[index]) for name, column in points.items()}
            recheck = self.confirm(point, float(reference[index]), float(tolerance[index]))
            if recheck.counterexample is not None:
                return recheck.counterexample
            self.extra_points += recheck.verified
        samples = self.context.samples
        spots = [samples.point(i) for i in range(min(SPOT_CHECKS, samples.size))]
        for point in [*spots, *boundary_points(self.tree, self.context)]:
            recheck = self.confirm(point, math.nan, 0.0)
            if recheck.counterexample is not None:
                return recheck.counterexample
        return None

    def counterexample_text(self, counterexample: Counterexample) -> str:
        """The two values with just enough digits to differ; past float64, the difference."""
        where = _point_text(counterexample.point)
        expected, got = _pair_text(counterexample.expected, counterexample.got)
        if counterexample.got is None:
            return f"your answer is undefined at {where}, where the derivative is {expected}"
        if expected != got:
            return f"at {where} the derivative is {expected} but your answer gives {got}"
        # Equal as doubles (2x + 1e-30 against 2x): only high precision sees the difference.
        shown = _value_text(counterexample.expected)
        reference = self.context.reference_tree
        gap = (
            None if reference is None else difference_at(self.tree, reference, counterexample.point)
        )
        if gap is None:
            return (
                f"at {where} the derivative is {shown} and your answer differs from it beyond "
                "17 significant digits"
            )
        more = "more" if gap > 0 else "less"
        return (
            f"at {where} the derivative is {shown} but your answer gives {abs(gap):.6g} {more} "
            "(a difference past float64 precision)"
        )

    def anywhere(self) -> Counterexample | None:
        samples = self.context.samples
        if samples.size == 0:
            return None
        point = samples.point(0)
        return Counterexample(
            point, self.precise_reference(point), evaluate_precise(self.tree, point)
        )

    # --- verdicts ---------------------------------------------------------------------------------

    def correct(self, outcome: SymbolicOutcome, comparison: _Comparison) -> Decision:
        check = comparison.check
        points = check.points if check else 0
        if outcome.result == "equal":
            message = (
                f"Correct: {_PROOFS.get(outcome.proof, 'SymPy shows it equals the derivative')}"
            )
            if check is not None and check.result == "disagree":
                message += (
                    ". The finite-difference check disagrees (float64 cannot evaluate this form "
                    "accurately at the sample points); the symbolic proof decides."
                )
            elif points:
                message += f", and it agrees with finite differences at {points} points."
            else:
                message += "."
            if comparison.refuted:
                message += (
                    f" ({comparison.refuted} points where float64 differences disagreed were "
                    "rechecked in high precision and agree.)"
                )
        else:
            reason = (
                f"SymPy did not finish within the {self.budget.seconds:g} s budget"
                if outcome.result == "timeout"
                else "SymPy's quick rewrites did not reduce the difference to 0"
            )
            message = (
                f"Correct: it agrees with finite differences at {points} points and with SymPy's "
                f"derivative at {self.extra_points} more; {reason}, so the verdict rests on "
                "these values."
            )
        message += self.convention()
        return Decision("correct", outcome.result, check, message)

    def convention(self) -> str:
        loci = self.context.wrt_loci
        if not loci:
            return ""
        places = " or ".join(_locus_text(locus) for locus in loci[:3])
        return (
            f" The derivative does not exist at the kink ({places}); either value is accepted "
            "there."
        )

    def incorrect(
        self,
        symbolic: SymbolicResult,
        check: NumericCheck | None,
        counterexample: Counterexample | None,
    ) -> Decision:
        message = "Incorrect"
        if counterexample is not None:
            message += f": {self.counterexample_text(counterexample)}."
        else:
            message += ": SymPy shows it differs from the derivative by a nonzero constant."
        if check is not None and check.result == "agree":
            message += (
                " It agrees with finite differences at the sample points: the difference is "
                "small, or only in a narrow region."
            )
        diagnosis = diagnose(self.context, self.tree, self.values)
        return Decision("incorrect", symbolic, check, message, diagnosis, counterexample)


_PROOFS = {
    "structure": "it is SymPy's derivative as written",
    "factor": "it equals the derivative once common factors are taken out",
    "expand": "it expands to the same expression as the derivative",
    "cancel": "it simplifies to the derivative (common denominators cancelled)",
    "cases": "it equals the derivative on each side of every kink",
    "simplify": "SymPy simplifies the difference to 0",
}


def _worst_first(error: Array, tolerance: Array) -> list[int]:
    """Indices where `error` exceeds `tolerance` (or is undefined), the worst first."""
    with np.errstate(all="ignore"):
        ratio = np.where(np.isfinite(error), error / np.maximum(tolerance, 1e-300), np.inf)
    outside = np.flatnonzero(~(ratio <= 1.0))
    return [int(i) for i in outside[np.argsort(-ratio[outside], kind="stable")]]


def _finite_or_inf(values: Array) -> Array:
    return np.where(np.isnan(values), np.inf, values)


def _largest(error: Array) -> float:
    finite = error[np.isfinite(error)]
    return float(finite.max()) if finite.size else 0.0


def _float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _pair_text(expected: float | None, got: float | None) -> tuple[str, str]:
    """Both values with 6 significant digits, or just enough more (up to 17) to differ.

    Two doubles that are not equal always differ at 17 digits; equal ones stay equal.
    """
    for digits in range(6, 18):
        texts = (_value_text(expected, digits), _value_text(got, digits))
        if texts[0] != texts[1]:
            break
    return texts


def _value_text(value: float | None, digits: int = 6) -> str:
    return "undefined" if value is None else f"{value:.{digits}g}"


def _point_text(point: dict[str, float]) -> str:
    return ", ".join(f"{name} = {value:.6g}" for name, value in point.items())


def _locus_text(locus: sympy.Expr) -> str:
    from gradtutor.calculus.symbolic import from_sympy

    if locus.is_Add and len(locus.args) == 2:
        first, second = locus.args
        if second.could_extract_minus_sign():
            return f"{to_pretty(from_sympy(first))} = {to_pretty(from_sympy(-second))}"
        if first.could_extract_minus_sign():
            return f"{to_pretty(from_sympy(second))} = {to_pretty(from_sympy(-first))}"
    return f"{to_pretty(from_sympy(locus))} = 0"
