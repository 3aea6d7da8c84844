"""Derivatives of polynomial trees, by forward differentiation in float64 with a rounding bound.

A finite difference needs seven evaluations of the tree and, when float64 cannot trust it, a
high-precision difference point by point. For a polynomial (numbers, variables, e and π, `+ − ·`,
division by a number, whole powers) the derivative follows exactly from the rules of sums,
products and powers, carried along the evaluation (forward-mode differentiation): no truncation
error, only rounding, and a bound on that rounding is carried too (the same computation on the
absolute values of every term, times the number of operations).

The diagnosis differentiates dozens of trees that differ from the function in one place (a factor
dropped, a sign lost, a subtree replaced by a hole); they share every other subtree with it by
identity. So results are kept by node identity: a changed tree costs only the nodes on the path
that changed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from gradtutor.calculus.numeric import Array, Points
from gradtutor.language.expr import (
    BinOp,
    Const,
    Neg,
    Node,
    Num,
    Var,
    left_spine,
    negate_leading_factor,
    number,
    rational,
    signed_terms,
    walk,
)

EPS = float(np.finfo(np.float64).eps)
# A whole power with a larger exponent is left to the general path (its rounding grows with it).
MAX_EXPONENT = 64

Value = Array | np.float64 | float


class NotPolynomial(Exception):
    """The tree has a node that is not a polynomial operation."""


def is_polynomial(node: Node) -> bool:
    """Whether every node is a number, a variable, e, π, `+ − ·`, a division by a nonzero
    number or a whole power (at most MAX_EXPONENT): a function defined and smooth everywhere."""
    return all(_is_polynomial_node(part) for part in walk(node))


def _is_polynomial_node(node: Node) -> bool:
    match node:
        case Num() | Var() | Const() | Neg() | BinOp("+" | "-" | "*"):
            return True
        case BinOp("/", _, Num(value)):
            return value != 0
        case BinOp("^", _, Num(value)):
            return value.denominator == 1 and 0 <= value <= MAX_EXPONENT
    return False


class _Entry(NamedTuple):
    value: Value
    gradient: Value  # one row per direction (`Derivatives.directions`), or 0
    # The same computation on absolute values: it bounds the terms that the rounding scales with.
    value_size: Value
    gradient_size: Value
    operations: int
    pure: bool  # uses only the base points (no extra variable such as a hole)


class Derivatives:
    """Values and gradients of polynomial trees at fixed points, kept by node identity.

    The gradient has a row for each variable of the points and each name in `extra_names`
    (a hole standing for a subtree, whose values are given per call): one pass over a tree gives
    its derivative in every variable. Subtrees without an extra variable share their results
    with every later call.
    """

    def __init__(self, points: Points, extra_names: Sequence[str] = ()) -> None:
        self.points = {n: np.asarray(column, dtype=np.float64) for n, column in points.items()}
        self.size = len(next(iter(self.points.values()))) if self.points else 1
        self.directions = (*self.points, *extra_names)
        self._row = {name: index for index, name in enumerate(self.directions)}
        self._units: dict[str, Array] = {}
        self._known: dict[int, tuple[Node, _Entry]] = {}

    def derivatives(
        self, node: Node, variables: Sequence[str], extra: Mapping[str, Array] | None = None
    ) -> list[tuple[Array, Array]]:
        """∂node/∂v for each v of `variables` at the points (NaN where it overflows), each with a
        bound on its rounding. Raises `NotPolynomial` for a tree that is not a polynomial."""
        shape = (len(self.directions), self.size)
        with np.errstate(all="ignore"):
            entry = self._entry(node, extra or {})
            gradient = np.broadcast_to(np.asarray(entry.gradient, dtype=np.float64), shape)
            size = np.broadcast_to(np.asarray(entry.gradient_size, dtype=np.float64), shape)
            found = []
            for variable in variables:
                row = self._row[variable]
                slope, bound = gradient[row], (entry.operations + 2) * EPS * size[row]
                finite = np.isfinite(slope) & np.isfinite(bound)
                found.append((np.where(finite, slope, np.nan), np.where(finite, bound, np.inf)))
        return found

    def value(self, node: Node, extra: Mapping[str, Array] | None = None) -> Array:
        """The tree's value at the points (NaN where it overflows)."""
        with np.errstate(all="ignore"):
            entry = self._entry(node, extra or {})
            value = np.broadcast_to(np.asarray(entry.value, dtype=np.float64), (self.size,))
        return np.where(np.isfinite(value), value, np.nan)

    def _entry(self, node: Node, extra: Mapping[str, Array]) -> _Entry:
        known = self._known.get(id(node))
        if known is not None:
            return known[1]
        if isinstance(node, BinOp):
            return self._chain(node, extra)
        return self._keep(node, self._compute(node, extra))

    def _keep(self, node: Node, entry: _Entry) -> _Entry:
        if entry.pure:
            # The node is kept alive with its results, so that its id is not reused.
            self._known[id(node)] = (node, entry)
        return entry

    def _chain(self, node: BinOp, extra: Mapping[str, Array]) -> _Entry:
        """A sum or product of any length: its left spine in a loop, from the highest link
        already known (each link is kept, as if computed alone)."""
        bottom, links = left_spine(node)
        start, entry = 0, None
        for index in reversed(range(len(links))):
            known = self._known.get(id(links[index]))
            if known is not None:
                start, entry = index + 1, known[1]
                break
        if entry is None:
            entry = self._entry(bottom, extra)
        for link in links[start:]:
            entry = self._keep(link, self._link(link, entry, extra))
        return entry

    def _link(self, node: BinOp, left: _Entry, extra: Mapping[str, Array]) -> _Entry:
        """The entry of `node`, given that of its left operand."""
        match node:
            case BinOp("+" | "-" | "*" as op, _, right):
                return _combine(op, left, self._entry(right, extra))
            case BinOp("/", _, Num(value)) if value != 0:
                divisor = _float(value)
                return _Entry(
                    left.value / divisor, left.gradient / divisor,
                    left.value_size / abs(divisor), left.gradient_size / abs(divisor),
                    left.operations + 1, left.pure,
                )  # fmt: skip
            case BinOp("^", _, Num(value)) if value.denominator == 1 and (
                0 <= value <= MAX_EXPONENT
            ):
                return _power(left, int(value))
        raise NotPolynomial(type(node).__name__)

    def _unit(self, name: str) -> Array:
        """The gradient of a variable: 1 in its own row, 0 elsewhere."""
        unit = self._units.get(name)
        if unit is None:
            unit = np.zeros((len(self.directions), self.size))
            if name in self._row:
                unit[self._row[name]] = 1.0
            self._units[name] = unit
        return unit

    def _compute(self, node: Node, extra: Mapping[str, Array]) -> _Entry:
        match node:
            case Num(value):
                number = np.float64(_float(value))
                return _Entry(number, 0.0, abs(number), 0.0, 1, True)
            case Const(name):
                number = np.float64(math.e if name == "e" else math.pi)
                return _Entry(number, 0.0, number, 0.0, 1, True)
            case Var(name):
                column = extra[name] if name in extra else self.points[name]
                unit = self._unit(name)
                return _Entry(column, unit, np.abs(column), unit, 1, name not in extra)
            case Neg(operand):
                inner = self._entry(operand, extra)
                return _Entry(
                    -inner.value, -inner.gradient, inner.value_size, inner.gradient_size,
                    inner.operations + 1, inner.pure,
                )  # fmt: skip
        raise NotPolynomial(type(node).__name__)


def _combine(op: str, a: _Entry, b: _Entry) -> _Entry:
    operations = a.operations + b.operations + 1
    pure = a.pure and b.pure
    if op == "*":
        # A constant factor (a number, e, π) has no gradient: half the arithmetic.
        if isinstance(a.gradient, float):
            return _Entry(
                a.value * b.value, a.value * b.gradient, a.value_size * b.value_size,
                a.value_size * b.gradient_size, operations + 2, pure,
            )  # fmt: skip
        if isinstance(b.gradient, float):
            return _Entry(
                a.value * b.value, a.gradient * b.value, a.value_size * b.value_size,
                a.gradient_size * b.value_size, operations + 2, pure,
            )  # fmt: skip
        return _Entry(
            a.value * b.value,
            a.gradient * b.value + a.value * b.gradient,
            a.value_size * b.value_size,
            a.gradient_size * b.value_size + a.value_size * b.gradient_size,
            operations + 2,
            pure,
        )
    if op == "+":
        gradient, value = a.gradient + b.gradient, a.value + b.value
    else:
        gradient, value = a.gradient - b.gradient, a.value - b.value
    return _Entry(
        value,
        gradient,
        a.value_size + b.value_size,
        a.gradient_size + b.gradient_size,
        operations,
        pure,
    )


def _power(base: _Entry, exponent: int) -> _Entry:
    if exponent == 0:
        return _Entry(np.float64(1.0), 0.0, np.float64(1.0), 0.0, base.operations + 1, base.pure)
    lower = base.value ** (exponent - 1)
    lower_size = base.value_size ** (exponent - 1)
    return _Entry(
        lower * base.value,
        exponent * lower * base.gradient,
        lower_size * base.value_size,
        exponent * lower_size * base.gradient_size,
        base.operations + 2 * exponent,
        base.pure,
    )


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]


# --- sums of monomials, exactly -------------------------------------------------------------------

# A monomial: (variable, exponent ≥ 1) pairs in name order; () is the constant term.
Monomial = tuple[tuple[str, int], ...]


def monomials(tree: Node) -> dict[Monomial, Fraction] | None:
    """The tree as a sum of monomials with exact coefficients, when it is written as one.

    Terms joined by `+` and `−` (and signs), each a product of numbers, variables and whole powers
    of variables, divided by numbers only. A product of sums, a power of a sum, e or π, a function:
    None (SymPy would keep such a form as written, so it is not "expanded").
    """
    found: dict[Monomial, Fraction] = {}
    for sign, term in signed_terms(tree):
        product = _monomial(term)
        if product is None:
            return None
        coefficient, powers = product
        key = tuple(sorted(powers.items()))
        found[key] = found.get(key, Fraction(0)) + sign * coefficient
    return {key: value for key, value in found.items() if value != 0}


def differentiate(terms: Mapping[Monomial, Fraction], variable: str) -> dict[Monomial, Fraction]:
    """∂/∂variable of a sum of monomials, term by term."""
    result: dict[Monomial, Fraction] = {}
    for powers, coefficient in terms.items():
        exponents = dict(powers)
        exponent = exponents.pop(variable, 0)
        if exponent:
            if exponent > 1:
                exponents[variable] = exponent - 1
            result[tuple(sorted(exponents.items()))] = coefficient * exponent
    return result


def _monomial(node: Node) -> tuple[Fraction, dict[str, int]] | None:
    coefficient = Fraction(1)
    powers: dict[str, int] = {}
    stack = [node]  # the factors, in a loop: a product may have hundreds of them
    while stack:
        match stack.pop():
            case Num(value):
                coefficient *= value
            case Var(name):
                powers[name] = powers.get(name, 0) + 1
            case BinOp("^", Var(name), Num(value)) if value.denominator == 1 and value >= 0:
                if value:
                    powers[name] = powers.get(name, 0) + int(value)
            case Neg(operand):
                coefficient = -coefficient
                stack.append(operand)
            case BinOp("*", left, right):
                stack.extend((right, left))
            case BinOp("/", left, Num(value)) if value != 0:
                coefficient /= value
                stack.append(left)
            case _:
                return None
    return coefficient, powers


def monomials_to_tree(terms: Mapping[Monomial, Fraction]) -> Node:
    """A sum of monomials as a tree, exactly as `symbolic.from_sympy` writes SymPy's form of it.

    SymPy prints the terms in lexicographic order of their exponents (the variables in name
    order), highest first, and each term as its coefficient, then the variables to the power 1,
    then the powers, each group in name order; a negative term is subtracted.
    """
    names = sorted({name for powers in terms for name, _ in powers})
    ordered = sorted(
        terms.items(),
        key=lambda item: tuple(-dict(item[0]).get(name, 0) for name in names),
    )
    if _number_first(ordered):
        ordered.reverse()
    if not ordered:
        return number(0)
    powers, coefficient = ordered[0]
    node = _term_tree(powers, coefficient)
    for powers, coefficient in ordered[1:]:
        if coefficient < 0:
            node = BinOp("-", node, _term_tree(powers, -coefficient))
        else:
            node = BinOp("+", node, _term_tree(powers, coefficient))
    return node


def _number_first(ordered: list[tuple[Monomial, Fraction]]) -> bool:
    """SymPy's one exception to that order: a positive number and a negative multiple of one
    variable or power (7 − 3·x, 1 − x²) keep the number first."""
    if len(ordered) != 2:
        return False
    (powers, coefficient), (constant, number_) = ordered
    return not constant and number_ > 0 and len(powers) == 1 and coefficient < 0


def _term_tree(powers: Monomial, coefficient: Fraction) -> Node:
    if not powers:
        return rational(coefficient)
    if coefficient < 0:
        return negate_leading_factor(_term_tree(powers, -coefficient))
    factors: list[Node] = [Var(name) for name, exponent in powers if exponent == 1]
    factors += [
        BinOp("^", Var(name), number(exponent)) for name, exponent in powers if exponent > 1
    ]
    if coefficient.numerator != 1:
        factors.insert(0, number(coefficient.numerator))
    top = factors[0]
    for factor in factors[1:]:
        top = BinOp("*", top, factor)
    return top if coefficient.denominator == 1 else BinOp("/", top, number(coefficient.denominator))
