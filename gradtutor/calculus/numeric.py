"""Numbers from expression trees: vectorised evaluation, and finite differences of the function.

The checker compares an answer with finite differences of the exercise's *function*, not with
SymPy's derivative, so that the two checks are independent. Everything here walks gradtutor's own
tree with NumPy (no code generation per answer), in float64, and falls back to mpmath's higher
precision only at the points where float64 cannot give a trustworthy difference.

A kink (abs, sign, relu, heaviside, max, min, an indicator) inside the difference step makes the
difference meaningless, so every evaluation also records which branch each kink took; a point is
usable only when the branches agree across the whole step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt
from mpmath import libmp

from gradtutor.calculus.exact_polynomial import ExactPolynomial, expand
from gradtutor.language.expr import (
    ARITHMETIC,
    BinOp,
    Call,
    Compare,
    Const,
    Indicator,
    Neg,
    Node,
    Num,
    Var,
    fold_left,
    left_spine,
    walk,
)

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Points = Mapping[str, Array]

DEFAULT_INTERVAL = (-3.0, 3.0)
# Relative step of the float64 central difference; with Richardson extrapolation the error falls
# as h⁴, so a fairly large step keeps rounding error small.
RELATIVE_STEP = 1e-3
# A float64 estimate whose error exceeds this (relative to the value) is redone with mpmath.
TRUSTED_RELATIVE_ERROR = 1e-7
HIGH_PRECISION_DIGITS = 40
HIGH_PRECISION_STEP = 1e-15


def sample_points(
    variables: Sequence[str],
    domain: Mapping[str, tuple[float, float]],
    count: int,
    seed: int,
) -> dict[str, Array]:
    """`count` points drawn uniformly from each variable's interval, reproducible from `seed`.

    A question bank asks for the same draw (variables, intervals, size, seed) exercise after
    exercise, and seeding a generator costs more than drawing: each draw is made once and handed
    out as copies, so that no caller can change another's points.
    """
    intervals = tuple((name, _interval(domain.get(name, DEFAULT_INTERVAL))) for name in variables)
    return {name: column.copy() for name, column in _draw(intervals, count, seed).items()}


def _interval(bounds: tuple[float, float]) -> tuple[float, float]:
    low, high = bounds
    return float(low), float(high)


@lru_cache(maxsize=64)
def _draw(
    intervals: tuple[tuple[str, tuple[float, float]], ...], count: int, seed: int
) -> dict[str, Array]:
    generator = np.random.default_rng(seed)
    return {name: generator.uniform(low, high, count) for name, (low, high) in intervals}


# --- float64 evaluation ---------------------------------------------------------------------------


def _only_where(condition: Mask, function: Callable[[Array], Array], x: Array) -> Array:
    """`function(x)` where `condition` holds, NaN elsewhere, without evaluating outside it."""
    safe = np.where(condition, x, 1.0)
    return np.where(condition, function(safe), np.nan)


def _sigmoid(x: Array) -> Array:
    # Two forms, each stable on its own side, so that large |x| neither overflows nor loses digits.
    positive = 1.0 / (1.0 + np.exp(-np.abs(x)))
    return np.where(x >= 0, positive, 1.0 - positive)


_NUMPY_FUNCTIONS: dict[str, Callable[[Array], Array]] = {
    "exp": np.exp,
    "log": lambda x: _only_where(x > 0, np.log, x),
    "sqrt": lambda x: _only_where(x >= 0, np.sqrt, x),
    "abs": np.abs,
    "sign": np.sign,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "sec": lambda x: 1.0 / np.cos(x),
    "csc": lambda x: 1.0 / np.sin(x),
    "cot": lambda x: np.cos(x) / np.sin(x),
    "asin": lambda x: _only_where(np.abs(x) <= 1, np.arcsin, x),
    "acos": lambda x: _only_where(np.abs(x) <= 1, np.arccos, x),
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "sech": lambda x: 1.0 / np.cosh(x),
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "heaviside": lambda x: np.where(x > 0, 1.0, 0.0),
}

# For the tensor evaluator (`gradtutor.calculus.tensor`), which applies them entry by entry.
NUMPY_FUNCTIONS = _NUMPY_FUNCTIONS
only_where = _only_where

_COMPARE: dict[str, Callable[[Array, Array], Mask]] = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
}


def _number(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


class _Evaluator:
    """One pass over a tree at many points; `branches` collects the side each kink took."""

    def __init__(self, points: Points, size: int) -> None:
        self.points = points
        self.size = size
        self.branches: list[Array] = []

    def __call__(self, node: Node) -> Array:
        match node:
            case Num(value):
                return np.full(self.size, _number(value))
            case Var(name):
                return np.asarray(self.points[name], dtype=np.float64)
            case Const(name):
                return np.full(self.size, np.e if name == "e" else np.pi)
            case Neg(operand):
                return -self(operand)
            case BinOp():  # a sum or product of any length: its left spine in a loop
                return fold_left(node, self, self.link)
            case Call(func, args):
                return self.call(func, [self(a) for a in args])
            case Indicator(Compare(op, left, right)):
                holds = _COMPARE[op](self(left), self(right))
                self.branches.append(holds.astype(np.float64))
                return holds.astype(np.float64)
        raise TypeError(f"not an expression node: {node!r}")

    def link(self, node: BinOp, left: Array) -> Array:
        """The value of `node`, given that of its left operand."""
        right = self(node.right)
        if node.op == "^" and isinstance(node.right, Num) and node.right.value.denominator == 1:
            # A whole number as exponent (x^2): every base has its power, so `binary`'s test of
            # the exponent and its mask would change nothing.
            power: Array = np.power(left, right)
            return power
        return self.binary(node.op, left, right)

    def binary(self, op: str, a: Array, b: Array) -> Array:
        if op != "^":
            result: Array = ARITHMETIC[op](a, b)
            return result
        # A negative base has a real power only for an integer exponent (SymPy agrees).
        integral = b == np.round(b)
        if integral.all():  # x^2 and the like: every base has its power, nothing to mask
            power: Array = np.power(a, b)
            return power
        return _only_where((a >= 0) | integral, lambda base: np.power(base, b), a)

    def call(self, func: str, args: list[Array]) -> Array:
        if func in ("max", "min"):
            stacked = np.vstack(args)
            choose = np.argmax if func == "max" else np.argmin
            self.branches.append(choose(stacked, axis=0).astype(np.float64))
            extreme: Array = stacked.max(axis=0) if func == "max" else stacked.min(axis=0)
            return extreme
        (x,) = args
        if func in ("abs", "sign", "relu", "heaviside"):
            self.branches.append(np.sign(x))
        return _NUMPY_FUNCTIONS[func](x)


def _evaluate_with_branches(node: Node, points: Points) -> tuple[Array, list[Array]]:
    size = len(next(iter(points.values()))) if points else 1
    evaluator = _Evaluator(points, size)
    with np.errstate(all="ignore"):
        values = evaluator(node)
    values = np.where(np.isfinite(values), values, np.nan)
    return values, evaluator.branches


def evaluate(node: Node, points: Points) -> Array:
    """The tree's value at every point, in float64; NaN where it is undefined or overflows."""
    return _evaluate_with_branches(node, points)[0]


def term_magnitudes(node: Node, points: Points) -> Array:
    """The value of `checking.context.magnitude_tree(node)` at every point, without building it.

    The same float64 operations in the same order, so the same numbers (they set tolerances);
    one walk instead of building a tree, then walking it, saves most of the time.
    """
    size = len(next(iter(points.values()))) if points else 1
    with np.errstate(all="ignore"):
        values = _Magnitudes(points, size)(node)
    return np.where(np.isfinite(values), values, np.nan)


class _Magnitudes:
    """The sizes of the terms of a value: |terms| added where the value adds or subtracts them."""

    def __init__(self, points: Points, size: int) -> None:
        self.value = _Evaluator(points, size)
        self.size = size
        # A sum of monomials repeats its variables and powers: each is worked out once. (No
        # operation here writes into an array it was given, so they can be shared.)
        self.known: dict[Node, Array] = {}

    def __call__(self, node: Node) -> Array:
        match node:
            case Num(value):
                return np.full(self.size, _number(abs(value)))
            case Var():
                return self.absolute(node)
            case Neg(operand):
                return self(operand)
            case BinOp():  # a sum or product of any length: its left spine in a loop
                return fold_left(node, self, self.link)
            case Call(_, args) if len(args) == 1:
                # f(u) carries the error of u, scaled by about |f|, plus its own.
                outer = np.abs(self.value(node))
                inner = self(args[0])
                carried: Array = outer + inner * (np.full(self.size, 1.0) + outer)
                return carried
            case Indicator(Compare()):
                return np.full(self.size, 1.0)
        return np.abs(self.value(node))  # a variable, a constant, a max or a min

    def link(self, link: BinOp, left: Array) -> Array:
        """The magnitude of `link`, given that of its left operand."""
        match link.op:
            case "+" | "-":
                return left + self(link.right)
            case "*":
                return left * self(link.right)
            case "/":
                return left / np.abs(self.value(link.right))
        return self.absolute(link)

    def absolute(self, node: Var | BinOp) -> Array:
        """|value| of a variable or a power (of a variable, mostly), kept for the walk."""
        known = self.known.get(node)
        if known is None:
            known = self.known[node] = np.abs(self.value(node))
        return known


def kink_free(node: Node, points: Points, wrt: str, step: Array) -> Mask:
    """Whether every kink of the tree stays on one side over [x - step, x + step] in `wrt`."""
    _, branches = _shifted(node, points, wrt, step, (0.0, *_KINK_PROBES))
    return _same_side(branches, range(1, 1 + len(_KINK_PROBES)), len(points[wrt]))


# Where `kink_free` looks, in steps from the point: a kink between them is seen as a branch that
# differs from the point's own.
_KINK_PROBES = (-1.0, -0.5, 0.5, 1.0)


def _shifted(
    node: Node, points: Points, wrt: str, step: Array, offsets: Sequence[float]
) -> tuple[list[Array], list[list[Array]]]:
    """The tree's values and branches at x + offset·step, for each offset, in one pass.

    The time of an evaluation goes to walking the tree, one NumPy call per node, more than to
    the arithmetic: seven sets of points evaluated as one cost little more than one set.
    """
    count = len(offsets)
    x = np.asarray(points[wrt], dtype=np.float64)
    stacked = {name: np.concatenate([np.asarray(column, dtype=np.float64)] * count)
               for name, column in points.items()}  # fmt: skip
    stacked[wrt] = np.concatenate([x if offset == 0 else x + offset * step for offset in offsets])
    values, branches = _evaluate_with_branches(node, stacked)
    return _pieces(values, count), [_pieces(branch, count) for branch in branches]


def _pieces(values: Array, count: int) -> list[Array]:
    """`values` cut into `count` equal consecutive views (what np.split does, with less
    overhead)."""
    size = len(values) // count
    return [values[index * size : (index + 1) * size] for index in range(count)]


def _same_side(branches: list[list[Array]], probes: Iterable[int], size: int) -> Mask:
    """Where every branch at each probe (an index of `_shifted`'s offsets) is the one at offset
    index 0, and is known there (a branch that could not be evaluated, NaN, is not trusted)."""
    probes = list(probes)
    same = np.ones(size, dtype=bool)
    for branch in branches:
        here = branch[0]
        for probe in probes:
            same &= here == branch[probe]
        same &= np.isfinite(here)
    return same


# --- high precision -------------------------------------------------------------------------------

_MP_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "exp": mpmath.exp,
    "log": lambda x: mpmath.log(x) if x > 0 else None,
    "sqrt": lambda x: mpmath.sqrt(x) if x >= 0 else None,
    "abs": mpmath.fabs,
    "sign": mpmath.sign,
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "tan": mpmath.tan,
    "sec": mpmath.sec,
    "csc": mpmath.csc,
    "cot": mpmath.cot,
    "asin": lambda x: mpmath.asin(x) if abs(x) <= 1 else None,
    "acos": lambda x: mpmath.acos(x) if abs(x) <= 1 else None,
    "atan": mpmath.atan,
    "sinh": mpmath.sinh,
    "cosh": mpmath.cosh,
    "tanh": mpmath.tanh,
    "sech": mpmath.sech,
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "relu": lambda x: max(x, 0),
    "heaviside": lambda x: mpmath.mpf(1) if x > 0 else mpmath.mpf(0),
}
_MP_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


class _Undefined(Exception):
    """The tree has no real value at this point."""


def _mp(node: Node, point: Mapping[str, Any]) -> Any:
    match node:
        case Num(value):
            return mpmath.mpf(value.numerator) / value.denominator
        case Var(name):
            return point[name]
        case Const(name):
            return mpmath.e if name == "e" else mpmath.pi
        case Neg(operand):
            return -_mp(operand, point)
        case BinOp():  # a sum or product of any length: its left spine in a loop
            return fold_left(
                node,
                lambda bottom: _mp(bottom, point),
                lambda link, a: _mp_binary(link.op, a, _mp(link.right, point)),
            )
        case Call(func, args):
            values = [_mp(a, point) for a in args]
            if func in ("max", "min"):
                return max(values) if func == "max" else min(values)
            result = _MP_FUNCTIONS[func](values[0])
            if result is None:
                raise _Undefined
            return result
        case Indicator(Compare(op, left, right)):
            holds = _MP_COMPARE[op](_mp(left, point), _mp(right, point))
            return mpmath.mpf(1 if holds else 0)
    raise TypeError(f"not an expression node: {node!r}")


def _mp_binary(op: str, a: Any, b: Any) -> Any:
    if op in "+-*":
        return ARITHMETIC[op](a, b)
    if op == "/":
        if b == 0:
            raise _Undefined
        return a / b
    if a < 0 and b != mpmath.nint(b):
        raise _Undefined
    if a == 0 and b <= 0:
        raise _Undefined
    return mpmath.power(a, b)


def evaluate_precise(node: Node, point: Mapping[str, float], digits: int = 40) -> float | None:
    """The value at one point, computed with `digits` significant digits; None if undefined."""
    with mpmath.workdps(digits):
        try:
            value = _mp(node, {name: mpmath.mpf(v) for name, v in point.items()})
        except (_Undefined, ZeroDivisionError, ValueError, OverflowError):
            return None
        if not mpmath.isfinite(value) or isinstance(value, mpmath.mpc):
            return None
        return float(value)


def _precise_difference(
    node: Node,
    point: Mapping[str, float],
    wrt: str,
    raw: bool = False,
    exact: ExactPolynomial | None = None,
) -> tuple[float, float]:
    """A central difference in high precision: (value, error estimate); NaN if undefined.

    `exact`, the tree multiplied out: the difference is computed exactly (what mpmath's digits
    approximate). Else `raw`: the tree is one `_RawEvaluator` takes, which computes mpmath's
    digits faster.
    """
    found = None if exact is None else exact.central_difference(point, wrt, HIGH_PRECISION_STEP)
    if found is None:
        found = _raw_difference(node, point, wrt) if raw else _mp_difference(node, point, wrt)
    if found is None:
        return float("nan"), float("inf")
    value, truncation = found
    # The float64 result carries at least its own rounding, whatever mpmath achieved.
    return value, truncation + 4 * np.finfo(np.float64).eps * abs(value)


def _mp_difference(
    node: Node, point: Mapping[str, float], wrt: str, digits: int = HIGH_PRECISION_DIGITS
) -> tuple[float, float] | None:
    """Central differences at h and h/2 in `digits` digits, extrapolated: (value, |value − the
    difference at h/2|); None if undefined."""
    with mpmath.workdps(digits):
        x = mpmath.mpf(point[wrt])
        h = HIGH_PRECISION_STEP * max(1, abs(x))
        base = {name: mpmath.mpf(v) for name, v in point.items()}
        try:

            def difference(step: Any) -> Any:
                above = _mp(node, {**base, wrt: x + step})
                below = _mp(node, {**base, wrt: x - step})
                return (above - below) / (2 * step)

            coarse, fine = difference(h), difference(h / 2)
        except (_Undefined, ZeroDivisionError, ValueError, OverflowError):
            return None
        if isinstance(coarse, mpmath.mpc) or isinstance(fine, mpmath.mpc):
            return None
        extrapolated = (4 * fine - coarse) / 3
        return float(extrapolated), float(abs(extrapolated - fine))


# --- high precision on mpmath's raw numbers -------------------------------------------------------

# mpmath's number without its object: a tuple (sign, mantissa, exponent, bit count), from libmp,
# which has no type annotations.
Raw = Any


def raw_supported(node: Node) -> bool:
    """Whether `_RawEvaluator` takes the tree: numbers, variables, negation, + − · /, and powers
    to a whole number (the polynomials, and quotients of them)."""
    for part in walk(node):
        match part:
            case Num() | Var() | Neg() | BinOp("+" | "-" | "*" | "/"):
                continue
            case BinOp("^", _, Num(value)) if value.denominator == 1:
                continue
        return False
    return True


class _RawEvaluator:
    """`_mp` of a `raw_supported` tree, digit for digit, several times faster.

    An operator on mpmath numbers creates an object and dispatches on its operand's type, then
    calls a libmp function on the raw tuples (`mpf_add`, `mpf_mul`, `mpf_pow`, …) at the working
    precision and rounding. This calls those same functions with the same arguments in the same
    order, on the tuples themselves, so every result is the same.

    A difference evaluates the tree four times at points that differ in one coordinate, so the
    tree is first `specialised` to that coordinate: what does not move with it is computed once.
    """

    def __init__(self, prec: int, rounding: str) -> None:
        self.prec, self.rounding = prec, rounding
        self.numbers: dict[Fraction, Raw] = {}

    def specialised(self, node: Node, point: Mapping[str, Raw], moving: str) -> Moving:
        """The tree at `point` as a function of the coordinate `moving`, or its value when it
        does not move with it."""
        match node:
            case Num(value):
                return self.number(value)
            case Var(name):
                return _unchanged if name == moving else point[name]
            case Neg(operand):
                inner = self.specialised(operand, point, moving)
                if callable(inner):
                    return lambda x: libmp.mpf_neg(inner(x), self.prec, self.rounding)
                return libmp.mpf_neg(inner, self.prec, self.rounding)
            case BinOp():
                return self.chain(node, point, moving)
        raise TypeError(f"not a raw-supported node: {node!r}")

    def chain(self, node: BinOp, point: Mapping[str, Raw], moving: str) -> Moving:
        """A sum or product of any length, its left spine in a loop: the links before the moving
        coordinate first appears are computed now, the others each time."""
        bottom, links = left_spine(node)
        start = self.specialised(bottom, point, moving)
        later: list[tuple[str, Moving]] = []
        for link in links:
            right = self.specialised(link.right, point, moving)
            if later or callable(start) or callable(right):
                later.append((link.op, right))
            else:
                start = self.binary(link.op, start, right)
        if not later:
            return start

        def at(x: Raw) -> Raw:
            value = start(x) if callable(start) else start
            for op, right in later:
                value = self.binary(op, value, right(x) if callable(right) else right)
            return value

        return at

    def number(self, value: Fraction) -> Raw:
        """mpf(numerator) / denominator, as `_mp` writes a number."""
        known = self.numbers.get(value)
        if known is None:
            numerator = libmp.mpf_pos(libmp.from_int(value.numerator), self.prec, self.rounding)
            denominator = libmp.from_int(value.denominator)
            known = libmp.mpf_div(numerator, denominator, self.prec, self.rounding)
            self.numbers[value] = known
        return known

    def binary(self, op: str, a: Raw, b: Raw) -> Raw:
        prec, rounding = self.prec, self.rounding
        if op == "+":
            return libmp.mpf_add(a, b, prec, rounding)
        if op == "-":
            return libmp.mpf_sub(a, b, prec, rounding)
        if op == "*":
            return libmp.mpf_mul(a, b, prec, rounding)
        zero = libmp.fzero
        if op == "/":
            if libmp.mpf_eq(b, zero):
                raise _Undefined
            return libmp.mpf_div(a, b, prec, rounding)
        # A whole exponent (`raw_supported`): only 0 to a power ≤ 0 is undefined.
        if libmp.mpf_eq(a, zero) and libmp.mpf_le(b, zero):
            raise _Undefined
        return libmp.mpf_pow(a, b, prec, rounding)


# A tree specialised to one coordinate: its value, or a function of that coordinate.
Moving = Raw | Callable[[Raw], Raw]


def _unchanged(x: Raw) -> Raw:
    return x


def _raw_difference(node: Node, point: Mapping[str, float], wrt: str) -> tuple[float, float] | None:
    """`_mp_difference` at HIGH_PRECISION_DIGITS, step for step on raw numbers (same digits)."""
    with mpmath.workdps(HIGH_PRECISION_DIGITS):
        prec, rounding = mpmath.mp._prec_rounding
    evaluator = _RawEvaluator(prec, rounding)
    base = {name: libmp.mpf_pos(libmp.from_float(v), prec, rounding) for name, v in point.items()}
    x = base[wrt]
    # h = step · max(1, |x|): a float times |x| when |x| > 1, else the float itself.
    size = libmp.mpf_abs(x, prec, rounding)
    step = libmp.from_float(HIGH_PRECISION_STEP)
    h = libmp.mpf_mul(size, step, prec, rounding) if libmp.mpf_gt(size, libmp.fone) else step
    try:
        tree = evaluator.specialised(node, base, wrt)
        at = tree if callable(tree) else lambda _: tree

        def difference(step: Raw) -> Raw:
            above = at(libmp.mpf_add(x, step, prec, rounding))
            below = at(libmp.mpf_sub(x, step, prec, rounding))
            width = libmp.mpf_mul_int(step, 2, prec, rounding)
            return libmp.mpf_div(libmp.mpf_sub(above, below, prec, rounding), width, prec, rounding)

        half = libmp.mpf_div(h, libmp.from_int(2), prec, rounding)
        coarse, fine = difference(h), difference(half)
    except (_Undefined, ZeroDivisionError, ValueError, OverflowError):
        return None
    four_fine = libmp.mpf_mul_int(fine, 4, prec, rounding)
    extrapolated = libmp.mpf_div(
        libmp.mpf_sub(four_fine, coarse, prec, rounding), libmp.from_int(3), prec, rounding
    )
    gap = libmp.mpf_abs(libmp.mpf_sub(extrapolated, fine, prec, rounding), prec, rounding)
    return libmp.to_float(extrapolated, rnd=rounding), libmp.to_float(gap, rnd=rounding)


# --- finite differences ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FiniteDifferences:
    """∂f/∂wrt estimated at each point, with an estimate of its absolute error.

    `usable` is False where the function is undefined near the point, where a kink lies within the
    step, or where no trustworthy estimate could be made; `values` there are NaN.
    """

    points: dict[str, Array]
    values: Array
    error: Array
    usable: Mask
    step: Array


_DIFFERENCE_OFFSETS = (0.0, 1.0, -1.0, 0.5, -0.5, 0.25, -0.25)
_KINK_PROBE_INDICES = [_DIFFERENCE_OFFSETS.index(offset) for offset in _KINK_PROBES]


def finite_differences(node: Node, wrt: str, points: Points) -> FiniteDifferences:
    """Richardson-extrapolated central differences of `node` in `wrt`, with error estimates."""
    with np.errstate(all="ignore"):  # overflow and NaN are expected and masked by `usable`
        return _finite_differences(node, wrt, points)


def _finite_differences(node: Node, wrt: str, points: Points) -> FiniteDifferences:
    points = {name: np.asarray(values, dtype=np.float64) for name, values in points.items()}
    x = points[wrt]
    step = RELATIVE_STEP * np.maximum(1.0, np.abs(x))
    # The point itself, then x ± h, x ± h/2, x ± h/4: the kink probes are among them.
    shifted, branches = _shifted(node, points, wrt, step, _DIFFERENCE_OFFSETS)
    at_points = shifted[0]
    # Central differences at h, h/2 and h/4, then two Richardson extrapolations from them; the
    # difference of the two bounds the error.
    d1, d2, d4 = (
        (shifted[above] - shifted[above + 1]) / (2 * (step / k))
        for above, k in ((1, 1), (3, 2), (5, 4))
    )
    first, second = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
    values = second
    # Rounding in f(x ± h) is about eps·|f|, divided by the smallest step.
    magnitude = np.fmax(np.abs(at_points), np.abs(d4) * step)
    rounding = 16 * np.finfo(np.float64).eps * magnitude / (step / 4)
    error = np.abs(second - first) + rounding
    defined = np.isfinite(values) & np.isfinite(at_points)
    usable = defined & _same_side(branches, _KINK_PROBE_INDICES, len(x))
    values, error = _refine(node, wrt, points, values, error, usable)
    usable &= np.isfinite(values) & np.isfinite(error)
    return FiniteDifferences(
        points=dict(points),
        values=np.where(usable, values, np.nan),
        error=np.where(usable, error, np.inf),
        usable=usable,
        step=step,
    )


def _refine(
    node: Node,
    wrt: str,
    points: dict[str, Array],
    values: Array,
    error: Array,
    usable: Mask,
) -> tuple[Array, Array]:
    """Redo, in high precision, the usable points whose float64 estimate is not trustworthy."""
    doubtful = usable & (error > TRUSTED_RELATIVE_ERROR * np.maximum(1.0, np.abs(values)))
    values, error = values.copy(), error.copy()
    indices = np.flatnonzero(doubtful)
    raw = bool(indices.size) and raw_supported(node)
    exact = expand(node, list(points)) if raw else None
    for index in indices:
        point = {name: float(column[index]) for name, column in points.items()}
        values[index], error[index] = _precise_difference(node, point, wrt, raw, exact)
    return values, error
