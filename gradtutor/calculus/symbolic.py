"""The bridge between gradtutor's expression trees and SymPy.

`to_sympy` builds SymPy objects from a whitelist, node by node, so no text ever reaches SymPy's own
parsers (which call Python's `eval`). `from_sympy` turns SymPy's results back into trees, so that a
derivative can be printed in the learner's notation and written in the math input language.

Conventions: variables are real; `relu(u)` is `Max(u, 0)`; `heaviside(0)` and the derivative of
relu at 0 are 0, as in the chapter's code; `1(x > y)` is a `Piecewise`.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import cache

import sympy

from gradtutor.errors import GradtutorError
from gradtutor.language.expr import (
    ARITHMETIC,
    BinOp,
    Call,
    Compare,
    ComparisonOperator,
    Const,
    Indicator,
    Neg,
    Node,
    Num,
    Var,
    fold_left,
    negate_leading_factor,
    number,
    rational,
)


class UnsupportedExpression(GradtutorError):
    """A SymPy result that the math input language has no way to write."""


@cache
def symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def _sigmoid(u: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-u))


_SYMPY_FUNCTIONS = {
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
    "sign": sympy.sign, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
    "sec": sympy.sec, "csc": sympy.csc, "cot": sympy.cot, "asin": sympy.asin,
    "acos": sympy.acos, "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh,
    "tanh": sympy.tanh, "sech": sympy.sech, "sigmoid": _sigmoid,
    "relu": lambda u: sympy.Max(u, 0), "heaviside": lambda u: sympy.Heaviside(u, 0),
    "max": sympy.Max, "min": sympy.Min,
}  # fmt: skip

_RELATIONS = {
    ">": sympy.StrictGreaterThan, ">=": sympy.GreaterThan,
    "<": sympy.StrictLessThan, "<=": sympy.LessThan,
}  # fmt: skip


# For the tensor evaluator (`calculus.tensor_symbolic`), which applies them entry by entry.
SYMPY_FUNCTIONS = _SYMPY_FUNCTIONS


def to_sympy(node: Node) -> sympy.Expr:
    """The evaluated SymPy form of a tree (SymPy's automatic simplification applies).

    Raises `UnsupportedExpression` when SymPy refuses the formula, for example `max(x, sqrt(-1))`,
    whose arguments cannot be compared on the real line.
    """
    try:
        return _build(node)
    except (ValueError, TypeError, ArithmeticError) as error:
        raise UnsupportedExpression(
            f"SymPy cannot work with this formula: {error}",
            "check that every part of it has a real value",
        ) from error


def _build(node: Node, in_condition: bool = False) -> sympy.Expr:
    """The SymPy form of `node`; `in_condition` when it is a side of an indicator's comparison."""
    match node:
        case Num(value):
            return sympy.Rational(value.numerator, value.denominator)
        case Var(name):
            return symbol(name)
        case Const(name):
            return sympy.E if name == "e" else sympy.pi
        case Neg(operand):
            return -_build(operand, in_condition)
        case BinOp():  # a sum or product of any length: its left spine in a loop
            return fold_left(
                node,
                lambda bottom: _build(bottom, in_condition),
                lambda link, left: ARITHMETIC[link.op](left, _build(link.right, in_condition)),
            )
        case Call(func, args):
            return _SYMPY_FUNCTIONS[func](*(_build(a, in_condition) for a in args))
        case Indicator(condition) if in_condition:
            return _step(condition)
        case Indicator(condition):
            return sympy.Piecewise((1, _relation(condition)), (0, True))
    raise TypeError(f"not an expression node: {node!r}")


def monomials_to_sympy(terms: Mapping[tuple[tuple[str, int], ...], Fraction]) -> sympy.Expr:
    """A sum of monomials (`polynomial.monomials`) in SymPy: the same object as SymPy's own
    evaluation gives for that sum written out, since SymPy keeps an expanded sum canonically."""
    return sympy.Add(
        *(
            sympy.Mul(
                sympy.Rational(coefficient.numerator, coefficient.denominator),
                *(symbol(name) ** exponent for name, exponent in powers),
            )
            for powers, coefficient in terms.items()
        )
    )


def _relation(condition: Compare) -> sympy.Basic:
    # An indicator inside a comparison is built as a Heaviside step, not a Piecewise: SymPy folds
    # a Piecewise inside a condition into every branch of the one around it (`piecewise_fold`),
    # which doubles with each level: 40 s and a result of 800,000 characters at ten levels.
    left, right = _build(condition.left, True), _build(condition.right, True)
    return _RELATIONS[condition.op](left, right)


# 1(u > v) is H(u − v) with H(0) = 0; 1(u >= v) is H(u − v) with H(0) = 1; < and <= mirrored.
_STEPS: dict[str, tuple[int, int]] = {">": (1, 0), ">=": (1, 1), "<": (-1, 0), "<=": (-1, 1)}


def _step(condition: Compare) -> sympy.Expr:
    sign, at_zero = _STEPS[condition.op]
    difference = _build(condition.left, True) - _build(condition.right, True)
    return sympy.Heaviside(sign * difference, at_zero)


# --- back from SymPy ------------------------------------------------------------------------------

_FUNCTION_NAMES = {
    sympy.exp: "exp", sympy.log: "log", sympy.Abs: "abs", sympy.sign: "sign",
    sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan", sympy.sec: "sec", sympy.csc: "csc",
    sympy.cot: "cot", sympy.asin: "asin", sympy.acos: "acos", sympy.atan: "atan",
    sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.tanh: "tanh", sympy.sech: "sech",
    sympy.Max: "max", sympy.Min: "min",
}  # fmt: skip

_COMPARISONS: dict[type, ComparisonOperator] = {
    sympy.StrictGreaterThan: ">", sympy.GreaterThan: ">=",
    sympy.StrictLessThan: "<", sympy.LessThan: "<=",
}  # fmt: skip
_NEGATED: dict[ComparisonOperator, ComparisonOperator] = {
    ">": "<=", ">=": "<", "<": ">=", "<=": ">",
}  # fmt: skip


def from_sympy(expr: sympy.Basic) -> Node:
    """A tree that prints `expr` readably and parses back to the same value."""
    if expr.is_Rational:
        return rational(Fraction(int(expr.p), int(expr.q)))
    if expr.is_Float:
        return rational(Fraction(str(expr)))
    if expr is sympy.E:
        return Const("e")
    if expr is sympy.pi:
        return Const("pi")
    if expr.is_Symbol:
        return Var(str(expr.name))
    if expr.is_Add:
        return _sum(expr)
    if expr.is_Mul:
        return _product(expr)
    if expr.is_Pow:
        return _power(expr)
    if isinstance(expr, sympy.Heaviside):
        argument = from_sympy(expr.args[0])
        if len(expr.args) > 1 and expr.args[1] == 1:  # 1 at 0 too: an indicator of u >= 0
            return Indicator(Compare(">=", argument, number(0)))
        return Call("heaviside", (argument,))
    if isinstance(expr, sympy.Piecewise):
        return _piecewise(expr)
    if expr.func in _FUNCTION_NAMES:
        return Call(_FUNCTION_NAMES[expr.func], tuple(from_sympy(a) for a in expr.args))
    raise UnsupportedExpression(
        f"the math input language cannot write {sympy.sstr(expr)}",
        "this result has no written form in gradtutor's notation",
    )


def _sum(expr: sympy.Expr) -> Node:
    terms = expr.as_ordered_terms()
    node = from_sympy(terms[0])
    for term in terms[1:]:
        if term.could_extract_minus_sign():
            node = BinOp("-", node, from_sympy(-term))
        else:
            node = BinOp("+", node, from_sympy(term))
    return node


def _chain(op: str, factors: list[Node]) -> Node:
    node = factors[0]
    for factor in factors[1:]:
        node = BinOp(op, node, factor)  # type: ignore[arg-type]
    return node


def _product(expr: sympy.Expr) -> Node:
    if expr.could_extract_minus_sign():
        return negate_leading_factor(from_sympy(-expr))
    coefficient, factors = expr.as_coeff_mul()
    numerator: list[Node] = []
    denominator: list[Node] = []
    if coefficient.p != 1:
        numerator.append(number(int(coefficient.p)))
    if coefficient.q != 1:
        denominator.append(number(int(coefficient.q)))
    for factor in factors:
        base, exponent = factor.as_base_exp()
        if exponent.is_number and exponent.is_negative:
            denominator.append(from_sympy(base**-exponent))
        else:
            numerator.append(from_sympy(factor))
    top = _chain("*", numerator) if numerator else number(1)
    return BinOp("/", top, _chain("*", denominator)) if denominator else top


def _power(expr: sympy.Expr) -> Node:
    base, exponent = expr.args
    if exponent.is_number and exponent.is_negative:
        return BinOp("/", number(1), from_sympy(base ** (-exponent)))
    if exponent == sympy.Rational(1, 2):
        return Call("sqrt", (from_sympy(base),))
    if base is sympy.E:
        return Call("exp", (from_sympy(exponent),))
    return BinOp("^", from_sympy(base), from_sympy(exponent))


def _condition(condition: sympy.Basic, negate: bool = False) -> list[Compare]:
    """Comparisons whose conjunction is `condition` (or its negation, for a single comparison)."""
    if isinstance(condition, sympy.And) and not negate:
        return [c for part in condition.args for c in _condition(part)]
    if type(condition) in _COMPARISONS:
        op = _COMPARISONS[type(condition)]
        left, right = from_sympy(condition.lhs), from_sympy(condition.rhs)
        return [Compare(_NEGATED[op] if negate else op, left, right)]
    raise UnsupportedExpression(
        f"the math input language cannot write the condition {sympy.sstr(condition)}",
        "write conditions as single comparisons",
    )


def _indicated(value: sympy.Expr, comparisons: list[Compare]) -> tuple[bool, Node] | None:
    """`value` where the comparisons hold, as (negative, magnitude); None when value is 0."""
    if value == 0:
        return None
    negative = bool(value.could_extract_minus_sign())
    magnitude = -value if negative else value
    node: Node = _chain("*", [Indicator(c) for c in comparisons])
    return negative, node if magnitude == 1 else BinOp("*", from_sympy(magnitude), node)


def _piecewise(expr: sympy.Piecewise) -> Node:
    pieces = list(expr.args)
    if len(pieces) == 1 and pieces[0].cond == sympy.true:
        return from_sympy(pieces[0].expr)
    if len(pieces) != 2 or pieces[1].cond != sympy.true:
        raise UnsupportedExpression(
            f"the math input language cannot write {sympy.sstr(expr)}",
            "write a case split as a sum of indicators",
        )
    (first, condition), (otherwise, _) = pieces
    parts = [
        _indicated(first, _condition(condition)),
        _indicated(otherwise, _condition(condition, negate=True)),
    ]
    present = [p for p in parts if p is not None]
    if not present:
        return number(0)
    negative, node = present[0]
    result: Node = Neg(node) if negative else node
    for negative, node in present[1:]:
        result = BinOp("-" if negative else "+", result, node)
    return result
