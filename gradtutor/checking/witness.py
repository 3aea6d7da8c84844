"""Where to look for a counterexample that random points miss: on the answer's own kinks.

An answer such as `y·[x > 0.001]` for ∂(relu(x)·y)/∂x, or `2x + [x ≥ 1]·[x ≤ 1]` for ∂x²/∂x,
is wrong only on a thin set bounded by a kink the *answer* introduces. Random points almost never
land there, so this module finds those boundaries: for each kink locus of the answer (an
indicator's l − r, the argument of abs/sign/relu/heaviside, the difference of two max/min
arguments), it scans the variable of the derivative across the exercise's interval, brackets each
sign change and bisects it to a root. The points on, just below and just above each root are
returned unless the *function* itself has a kink there (where any value is accepted).
"""

from __future__ import annotations

import itertools

import numpy as np

from gradtutor.calculus.numeric import Array, evaluate, kink_free
from gradtutor.checking.context import ExerciseContext
from gradtutor.language.expr import BinOp, Call, Compare, Indicator, Node, variables_of, walk

# Points on the scan of one locus, and bisection steps to a root.
SCAN_POINTS = 2001
BISECTIONS = 60
MAX_LOCI = 6
MAX_ROOTS = 4


def answer_loci(tree: Node, wrt: str) -> list[Node]:
    """Expressions whose zeros are the answer's kinks in `wrt`."""
    loci: list[Node] = []
    for node in walk(tree):
        match node:
            case Indicator(Compare(_, left, right)):
                loci.append(BinOp("-", left, right))
            case Call("abs" | "sign" | "relu" | "heaviside", (argument,)):
                loci.append(argument)
            case Call("max" | "min", args):
                loci.extend(BinOp("-", a, b) for a, b in itertools.combinations(args, 2))
    unique = list(dict.fromkeys(locus for locus in loci if wrt in variables_of(locus)))
    return unique[:MAX_LOCI]


def boundary_points(tree: Node, context: ExerciseContext) -> list[dict[str, float]]:
    """Points on and beside the answer's kinks where the function is smooth, at most a few dozen."""
    loci = answer_loci(tree, context.wrt)
    if not loci or context.samples.size == 0:
        return []
    base = context.samples.point(0)
    low, high = context.spec.domain_map.get(context.wrt, (-3.0, 3.0))
    points: list[dict[str, float]] = []
    for locus in loci:
        for root in _roots(locus, context.wrt, base, low, high)[:MAX_ROOTS]:
            offset = 1e-7 * max(1.0, abs(root))
            for x in (root, root - offset, root + offset):
                if low <= x <= high:
                    points.append({**base, context.wrt: float(x)})
    return [point for point in points if _smooth(context, point)]


def _column(base: dict[str, float], wrt: str, xs: Array) -> dict[str, Array]:
    columns = {name: np.full(xs.shape, value) for name, value in base.items()}
    columns[wrt] = xs
    return columns


def _roots(locus: Node, wrt: str, base: dict[str, float], low: float, high: float) -> list[float]:
    xs = np.linspace(low, high, SCAN_POINTS)
    values = evaluate(locus, _column(base, wrt, xs))
    exact = [float(x) for x, v in zip(xs, values, strict=True) if v == 0]
    sign = np.sign(values)
    changes = np.flatnonzero(
        np.isfinite(values[:-1]) & np.isfinite(values[1:]) & (sign[:-1] * sign[1:] < 0)
    )
    left, right = xs[changes], xs[changes + 1]
    left_sign = sign[changes]
    for _ in range(BISECTIONS):
        middle = (left + right) / 2
        middle_sign = np.sign(evaluate(locus, _column(base, wrt, middle)))
        same = middle_sign == left_sign
        left = np.where(same, middle, left)
        right = np.where(same, right, middle)
    return exact + [float(x) for x in (left + right) / 2]


def _smooth(context: ExerciseContext, point: dict[str, float]) -> bool:
    """Whether the function is defined near `point` with no kink (else no derivative is asked)."""
    columns = {name: np.array([value]) for name, value in point.items()}
    step = np.array([1e-6 * max(1.0, abs(point[context.wrt]))])
    for shift in (-step, step):
        moved = {**columns, context.wrt: columns[context.wrt] + shift}
        if not np.isfinite(evaluate(context.tree, moved)[0]):
            return False
    return bool(kink_free(context.tree, columns, context.wrt, step)[0])
