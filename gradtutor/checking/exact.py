"""Deciding, at one point, whether an answer and the derivative have the same value.

float64 can be fooled (an answer that overflows, or cancels `(x+y+1)^200` against itself), and so
can a fixed precision: the two trees are evaluated in float64, then with mpmath at 40 digits, 80,
160 and 320, until the change from one precision to the next (the noise) is small enough to say
whether they agree to float64 precision. A value that keeps moving is `unsure`, never a
counterexample. Starting from float64 settles a plain counterexample with one mpmath evaluation of
each tree; agreement needs two mpmath precisions, since float64's own noise is too large for it.

Two polynomials (`exact_polynomial`) are evaluated exactly instead, once: every precision would
tend to those values, so they stand for all of them, at a fraction of mpmath's cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gradtutor.calculus.exact_polynomial import ExactPolynomial
from gradtutor.calculus.numeric import evaluate, evaluate_precise
from gradtutor.checking.context import magnitude_tree
from gradtutor.language.expr import BinOp, Node

PRECISIONS = (40, 80, 160, 320)
EPS = float(np.finfo(np.float64).eps)
# Noise this small (relative to the values, or absolute near 0) cannot hide a float64 difference.
SETTLED_NOISE = 1e-25

Agreement = Literal["equal", "different", "unsure"]


@dataclass(frozen=True)
class Settled:
    """The verdict at a point, with the values (None where a tree is undefined there)."""

    agreement: Agreement
    answer: float | None
    reference: float | None


def compare_at(
    answer: Node,
    reference: Node,
    point: Mapping[str, float],
    magnitude: float | None = None,
    polynomials: tuple[ExactPolynomial, ExactPolynomial] | None = None,
    float64: tuple[float, float] | None = None,
) -> Settled:
    """Whether `answer` and `reference` agree at `point`, in rising precision.

    `magnitude` is the size of the terms of both trees there (`context.magnitudes`), if known;
    `polynomials`, both trees multiplied out (`exact_polynomial.expand`), if they are polynomials;
    `float64`, their values from `numeric.evaluate` there (NaN where undefined), if known.
    """
    # Terms this large cancel to noise of this size at d digits: |terms| · 10^(2 − d).
    if magnitude is None:
        magnitude = sum(
            abs(evaluate_precise(magnitude_tree(tree), point) or 0.0)
            for tree in (answer, reference)
        )
    if float64 is None:
        float64 = (_float64(answer, point), _float64(reference, point))
    previous = (_finite(float64[0]), _finite(float64[1]))
    exact = None if polynomials is None else _exact_values(polynomials, point)
    for digits in PRECISIONS:
        current = exact if exact is not None else _values(answer, reference, point, digits)
        settled = _settle(previous, current, magnitude * 10.0 ** (2 - digits))
        if settled is not None:
            return settled
        previous = current
    return Settled("unsure", *previous)


def _float64(tree: Node, point: Mapping[str, float]) -> float:
    return float(evaluate(tree, {name: np.array([x]) for name, x in point.items()})[0])


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _values(
    answer: Node, reference: Node, point: Mapping[str, float], digits: int
) -> tuple[float | None, float | None]:
    return evaluate_precise(answer, point, digits), evaluate_precise(reference, point, digits)


def _exact_values(
    polynomials: tuple[ExactPolynomial, ExactPolynomial], point: Mapping[str, float]
) -> tuple[float, float] | None:
    answer, reference = (polynomial.value(point) for polynomial in polynomials)
    return None if answer is None or reference is None else (answer, reference)


def _settle(
    previous: tuple[float | None, float | None],
    current: tuple[float | None, float | None],
    cancellation: float,
) -> Settled | None:
    (answer, reference), (answer_before, reference_before) = current, previous
    if (answer is None) != (answer_before is None) or (reference is None) != (
        reference_before is None
    ):
        return None  # defined at one precision only: on an edge, not settled
    if answer is None or reference is None:
        agreement: Agreement = "equal" if answer is None and reference is None else "different"
        return Settled(agreement, answer, reference)
    assert answer_before is not None and reference_before is not None
    noise = max(abs(answer - answer_before) + abs(reference - reference_before), cancellation)
    if noise != noise:  # an infinite magnitude: nothing can be settled
        return None
    size = max(abs(answer), abs(reference))
    difference = abs(answer - reference)
    if difference > 4 * EPS * size + 2 * noise and noise <= 0.1 * difference:
        # A value within the noise of 0 is 0 (terms that cancel exactly leave ±1e-41 at 40 digits),
        # but only its own noise: beside an answer of 1e60, a derivative of 1e36 is no noise.
        return Settled(
            "different",
            _zero_within(answer, min(noise, abs(answer - answer_before))),
            _zero_within(reference, min(noise, abs(reference - reference_before))),
        )
    if difference <= 4 * EPS * size + 2 * noise and noise <= SETTLED_NOISE * (1.0 + size):
        return Settled("equal", answer, reference)
    return None


def _zero_within(value: float, noise: float) -> float:
    return 0.0 if abs(value) <= noise else value


def difference_at(answer: Node, reference: Node, point: Mapping[str, float]) -> float | None:
    """answer − reference at `point`, computed in rising precision until it stops moving.

    For a difference that float64 cannot show (2x + 1e-30 against 2x: both round to the same
    double), so that a message can state it. None where it is undefined or never settles.
    """
    gap = BinOp("-", answer, reference)
    previous = evaluate_precise(gap, point, PRECISIONS[0])
    for digits in PRECISIONS[1:]:
        current = evaluate_precise(gap, point, digits)
        if _steady(previous, current):
            return current
        previous = current
    return None


def _steady(previous: float | None, current: float | None) -> bool:
    """Whether a nonzero value kept its first six digits from one precision to the next."""
    if previous is None or current is None or current == 0:
        return False
    return abs(current - previous) <= 1e-6 * abs(current)
