"""Polynomials evaluated exactly at floating-point points, with Python's integers.

A float is an integer times a power of two. So at a point of floats, a polynomial with rational
coefficients has a rational value: scaled by one power of two, every coordinate is an integer and
the whole evaluation is integer arithmetic. Python's `int / int` rounds the quotient correctly, so
the float obtained is the exact value's nearest double. mpmath's evaluation in rising precision
(`checking.exact`) tends to that same number, at many times the cost: it rounds after every
operation and allocates an object per number.

`expand` multiplies a tree out into monomials. It gives None for a tree that is not a polynomial
with rational coefficients (e or π, a function, a kink, a division by anything but a nonzero
number, a power that is not a small whole number), and for one whose expansion would grow past
`MAX_TERMS` terms or `MAX_DEGREE` (`(x + y + z)^40`): there mpmath stays the cheaper way.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from gradtutor.language.expr import BinOp, Neg, Node, Num, Var, fold_left, variables_of

# A whole power above this is not expanded (its integers grow with the exponent).
MAX_EXPONENT = 64
# An expansion stops (None) past this many monomials, or this many pairs multiplied at once.
MAX_TERMS = 512
MAX_PAIRS = 4096
# ... or past this total degree: integers of degree × ~150 bits stay cheap below it.
MAX_DEGREE = 256

Coefficient = int | Fraction
# The exponent of each variable of the polynomial (`ExactPolynomial.names` order).
Exponents = tuple[int, ...]
Terms = dict[Exponents, Coefficient]
# A monomial as `polynomial.Monomial` writes it: (variable, exponent ≥ 1) pairs.
NamedMonomial = tuple[tuple[str, int], ...]


class _NotExpandable(Exception):
    """The tree is not a polynomial with rational coefficients, or too large to multiply out."""


@dataclass(frozen=True)
class ExactPolynomial:
    """Σ coefficient · Π name^exponent / denominator, with integer coefficients.

    Each term keeps its total degree: at a point scaled by 2^s, a term of degree d is an integer
    over 2^(s·d), brought to the common 2^(s·degree) by a shift.
    """

    names: tuple[str, ...]
    terms: tuple[tuple[int, Exponents, int], ...]  # (coefficient, exponents, total degree)
    denominator: int
    degree: int

    @classmethod
    def of_terms(cls, names: tuple[str, ...], terms: Terms) -> ExactPolynomial:
        denominator = math.lcm(*(Fraction(c).denominator for c in terms.values()))
        rows = tuple(
            (int(coefficient * denominator), exponents, sum(exponents))
            for exponents, coefficient in terms.items()
        )
        degree = max((row[2] for row in rows), default=0)
        return cls(names, rows, denominator, degree)

    @classmethod
    def of_monomials(cls, monomials: Mapping[NamedMonomial, Fraction]) -> ExactPolynomial:
        """From `polynomial.monomials`' form of a sum of monomials."""
        names = tuple(sorted({name for powers in monomials for name, _ in powers}))
        index = {name: position for position, name in enumerate(names)}
        terms: Terms = {}
        for powers, coefficient in monomials.items():
            exponents = [0] * len(names)
            for name, exponent in powers:
                exponents[index[name]] += exponent
            terms[tuple(exponents)] = coefficient
        return cls.of_terms(names, terms)

    def value(self, point: Mapping[str, float]) -> float | None:
        """The value at `point`, correctly rounded (±inf beyond float64's range); None where a
        coordinate is not finite."""
        coordinates = [point[name] for name in self.names]
        if not all(math.isfinite(x) for x in coordinates):
            return None
        shift, scaled = _common_scale([x.as_integer_ratio() for x in coordinates])
        total = 0
        for coefficient, exponents, degree in self.terms:
            term = coefficient * _product(scaled, exponents)
            total += term << (shift * (self.degree - degree))
        return _to_float(total, self.denominator << (shift * self.degree))

    def central_difference(
        self, point: Mapping[str, float], wrt: str, relative_step: float
    ) -> tuple[float, float] | None:
        """∂/∂wrt at `point` as `numeric`'s high-precision difference computes it, exactly.

        The central differences at h = relative_step · max(1, |x|) and at h/2, extrapolated:
        (value, |extrapolated − finer difference|), each correctly rounded. None where a
        coordinate is not finite.
        """
        others = [point[name] for name in self.names if name != wrt]
        x = point[wrt]
        if not all(math.isfinite(v) for v in (x, *others)):
            return None
        if wrt not in self.names:
            return 0.0, 0.0  # the polynomial does not move with `wrt`
        # h is the product of two doubles, so exactly a rational: half of it is (n1·n2)/(2·d1·d2).
        step_numerator, step_denominator = relative_step.as_integer_ratio()
        size_numerator, size_denominator = max(1.0, abs(x)).as_integer_ratio()
        half_step = (step_numerator * size_numerator, 2 * step_denominator * size_denominator)
        ratios = [x.as_integer_ratio(), half_step, *(v.as_integer_ratio() for v in others)]
        shift, (scaled_x, half, *scaled_others) = _common_scale(ratios)
        coefficients = self._in_one_variable(self.names.index(wrt), shift, scaled_others)
        step = 2 * half
        coarse = _horner(coefficients, scaled_x + step) - _horner(coefficients, scaled_x - step)
        fine = _horner(coefficients, scaled_x + half) - _horner(coefficients, scaled_x - half)
        # With K = 2^s / (2·L·H·2^(s·degree)) (L the denominator, H the scaled step), the
        # difference at h is coarse·K and at h/2 it is 2·fine·K: Richardson's (4·fine − coarse)/3
        # and its distance from the difference at h/2 follow.
        denominator = (6 * self.denominator * step) << (shift * self.degree)
        value = _to_float((8 * fine - coarse) << shift, denominator)
        truncation = _to_float(abs(2 * fine - coarse) << shift, denominator)
        return value, truncation

    def _in_one_variable(self, wrt: int, shift: int, others: list[int]) -> list[int]:
        """The scaled polynomial as Σ A_n · X^n in the scaled `wrt` coordinate X, with the
        other coordinates (scaled) put in: lowest power first."""
        coefficients = [0] * (
            1 + max((exponents[wrt] for _, exponents, _ in self.terms), default=0)
        )
        for coefficient, exponents, degree in self.terms:
            rest = exponents[:wrt] + exponents[wrt + 1 :]
            term = coefficient * _product(others, rest)
            coefficients[exponents[wrt]] += term << (shift * (self.degree - degree))
        return coefficients


def expand(tree: Node, names: Sequence[str] | None = None) -> ExactPolynomial | None:
    """The tree multiplied out exactly, or None (see the module's docstring).

    `names`, the variables it may use, spare a walk to find them (a name outside them: None).
    """
    known = tuple(variables_of(tree) if names is None else names)
    try:
        terms = _Expander(known)(tree)
    except (_NotExpandable, KeyError):
        return None
    return ExactPolynomial.of_terms(known, terms)


def _common_scale(ratios: list[tuple[int, int]]) -> tuple[int, list[int]]:
    """s and each numerator/denominator times 2^s, for the smallest s that makes them all
    integers (every denominator is a power of two, as `float.as_integer_ratio` gives)."""
    powers = [denominator.bit_length() - 1 for _, denominator in ratios]
    shift = max(powers, default=0)
    return shift, [n << (shift - p) for (n, _), p in zip(ratios, powers, strict=True)]


def _product(scaled: list[int], exponents: Exponents) -> int:
    product = 1
    for base, exponent in zip(scaled, exponents, strict=True):
        if exponent:
            product *= base if exponent == 1 else base**exponent
    return product


def _horner(coefficients: list[int], x: int) -> int:
    """Σ coefficients[n] · x^n."""
    total = 0
    for coefficient in reversed(coefficients):
        total = total * x + coefficient
    return total


def _to_float(numerator: int, denominator: int) -> float:
    """numerator / denominator (denominator > 0) as the nearest double, ±inf past the range."""
    try:
        return numerator / denominator
    except OverflowError:
        return math.inf if numerator > 0 else -math.inf


class _Expander:
    """A tree to its terms, by the rules of sums, products and whole powers."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.index = {name: position for position, name in enumerate(names)}
        self.constant: Exponents = (0,) * len(names)

    def __call__(self, node: Node) -> Terms:
        term = self.term(node)
        if term is not None:
            coefficient, exponents = term
            return {exponents: coefficient} if coefficient else {}
        match node:
            case Neg(operand):
                return {exponents: -c for exponents, c in self(operand).items()}
            case BinOp():  # a sum or product of any length: its left spine in a loop
                return fold_left(node, self, self.link)
        raise _NotExpandable(type(node).__name__)

    def term(self, node: Node) -> tuple[Coefficient, Exponents] | None:
        """A product of numbers, variables and their positive whole powers as one term, in a
        loop: the common case, many times cheaper than multiplying one-term sums. None for
        anything else (a sum inside, say)."""
        coefficient: Coefficient = 1
        exponents = list(self.constant)
        stack = [node]
        while stack:
            match stack.pop():
                case Num(value):
                    coefficient = _coefficient(coefficient * _coefficient(value))
                case Var(name):
                    exponents[self.index[name]] += 1
                case BinOp("^", Var(name), Num(value)) if (
                    value.denominator == 1 and 0 < value <= MAX_EXPONENT
                ):
                    exponents[self.index[name]] += int(value)
                case BinOp("*", left, right):
                    stack.extend((right, left))
                case BinOp("/", left, Num(value)) if value != 0:
                    coefficient = _coefficient(coefficient / value)
                    stack.append(left)
                case Neg(operand):
                    coefficient = -coefficient
                    stack.append(operand)
                case _:
                    return None
        if sum(exponents) > MAX_DEGREE:
            raise _NotExpandable("too large")
        return coefficient, tuple(exponents)

    def link(self, node: BinOp, left: Terms) -> Terms:
        """The terms of `node`, given those of its left operand (which it may reuse)."""
        match node:
            case BinOp("+" | "-" as op, _, right):
                return _add(left, self(right), 1 if op == "+" else -1)
            case BinOp("*", _, right):
                return _multiply(left, self(right))
            case BinOp("/", _, Num(value)) if value != 0:
                return {exponents: _coefficient(c / value) for exponents, c in left.items()}
            case BinOp("^", _, Num(value)) if value.denominator == 1 and 0 <= value <= MAX_EXPONENT:
                return _power(left, int(value), self.constant)
        raise _NotExpandable(node.op)


def _coefficient(value: Fraction | int) -> Coefficient:
    """Integers stay `int`: their arithmetic is many times faster than `Fraction`'s."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def _add(left: Terms, right: Terms, sign: int) -> Terms:
    for exponents, coefficient in right.items():
        total = left.get(exponents, 0) + sign * coefficient
        if total:
            left[exponents] = total
        else:
            left.pop(exponents, None)
    return left


def _multiply(left: Terms, right: Terms) -> Terms:
    if len(left) * len(right) > MAX_PAIRS:
        raise _NotExpandable("too many products")
    product: Terms = {}
    for a, coefficient_a in left.items():
        for b, coefficient_b in right.items():
            exponents = tuple(map(operator.add, a, b))
            total = product.get(exponents, 0) + coefficient_a * coefficient_b
            if total:
                product[exponents] = _coefficient(total)
            else:
                product.pop(exponents, None)
    if len(product) > MAX_TERMS or any(sum(e) > MAX_DEGREE for e in product):
        raise _NotExpandable("too large")
    return product


def _power(base: Terms, exponent: int, constant: Exponents) -> Terms:
    if exponent == 0:
        # 0^0 has no value in the high-precision evaluation this replaces: only a nonzero
        # number to the power 0 is 1 at every point.
        if set(base) != {constant}:
            raise _NotExpandable("a power 0 of what may be 0")
        return {constant: 1}
    if len(base) == 1:  # a monomial: its exponents scale, no products to expand
        ((exponents, coefficient),) = base.items()
        powered = tuple(e * exponent for e in exponents)
        if sum(powered) > MAX_DEGREE:
            raise _NotExpandable("too large")
        return {powered: _coefficient(coefficient**exponent)}
    result: Terms = {constant: 1}
    for _ in range(exponent):
        result = _multiply(result, base)
    return result
