"""The expression tree: formulas exactly as they were written.

The parser builds these nodes; `calculus.symbolic` turns them into SymPy objects. Keeping our own
tree (not SymPy's evaluated form) lets the step engine explain `3*(2*x^2)^5` as a power of a power,
the way a learner wrote it, and lets every reading be echoed back in the learner's own shape.

Two printers live here: `to_ascii` writes the math input language (it parses back to an equal tree)
and `to_pretty` writes unicode for people (`15·(2·x²)⁴·4·x`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

BinaryOperator = Literal["+", "-", "*", "/", "^"]
ComparisonOperator = Literal[">", ">=", "<", "<="]
ConstantName = Literal["e", "pi"]

# Canonical function names with the number of arguments each takes (None: two or more).
FUNCTIONS: dict[str, int | None] = {
    "exp": 1, "log": 1, "sqrt": 1, "abs": 1, "sign": 1,
    "sin": 1, "cos": 1, "tan": 1, "sec": 1, "csc": 1, "cot": 1,
    "asin": 1, "acos": 1, "atan": 1,
    "sinh": 1, "cosh": 1, "tanh": 1, "sech": 1,
    "sigmoid": 1, "relu": 1, "heaviside": 1,
    "max": None, "min": None,
}  # fmt: skip

# Other spellings a learner may type for the same function.
FUNCTION_ALIASES: dict[str, str] = {
    "ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
    "step": "heaviside", "σ": "sigmoid",
}  # fmt: skip

# What each binary operator computes, for any kind of number (NumPy arrays, SymPy, mpmath).
ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "^": operator.pow,
}  # fmt: skip

# Functions whose derivative jumps: a finite difference across one of their kinks means nothing.
KINKED_FUNCTIONS = frozenset({"abs", "sign", "relu", "heaviside", "max", "min"})


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal, kept exact. `text` is how it was typed (ignored by equality)."""

    value: Fraction
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class Const:
    name: ConstantName


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Node


@dataclass(frozen=True, slots=True)
class BinOp:
    """A binary operation. `implicit` marks a product written without `*` (ignored by equality)."""

    op: BinaryOperator
    left: Node
    right: Node
    implicit: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A whitelisted function applied to its arguments; `func` is a key of `FUNCTIONS`."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    op: ComparisonOperator
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Indicator:
    """1 where the condition holds, 0 elsewhere; written `1(x > y)` or, if `bracket`, `[x > y]`."""

    condition: Compare
    bracket: bool = field(default=False, compare=False)


Node = Num | Var | Const | Neg | BinOp | Call | Indicator


def number(value: int | Fraction) -> Num:
    """A literal for a value computed rather than typed."""
    return Num(Fraction(value), _fraction_text(Fraction(value)))


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Neg(operand):
            return (operand,)
        case BinOp(_, left, right):
            return (left, right)
        case Call(_, args):
            return args
        case Indicator(Compare(_, left, right)):
            return (left, right)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def variables_of(node: Node) -> list[str]:
    """The variable names of a tree, in order of first appearance."""
    return list(dict.fromkeys(n.name for n in walk(node) if isinstance(n, Var)))


def substitute(node: Node, replacements: Mapping[str, Node]) -> Node:
    """The tree with each variable named in `replacements` replaced by its tree."""
    match node:
        case Var(name) if name in replacements:
            return replacements[name]
        case Neg(operand):
            return Neg(substitute(operand, replacements))
        case BinOp(op, left, right):
            return BinOp(
                op, substitute(left, replacements), substitute(right, replacements), node.implicit
            )
        case Call(func, args):
            return Call(func, tuple(substitute(arg, replacements) for arg in args))
        case Indicator(Compare(op, left, right)):
            condition = Compare(op, substitute(left, replacements), substitute(right, replacements))
            return Indicator(condition, node.bracket)
    return node


def has_kink(node: Node) -> bool:
    """Whether the tree contains a function or indicator whose derivative is not continuous."""
    return any(
        isinstance(n, Indicator) or (isinstance(n, Call) and n.func in KINKED_FUNCTIONS)
        for n in walk(node)
    )


# --- printing -------------------------------------------------------------------------------------

# Binding strength: higher binds tighter. Unary minus sits between products and powers, so
# `-x^2` is -(x^2) and `-2*x` needs no parentheses.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4, "atom": 5}

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPERSCRIPTS = str.maketrans("0123456789", SUPERSCRIPT_DIGITS)
_PRETTY_FUNCTIONS = {"sigmoid": "σ"}
_PRETTY_COMPARISONS = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}


def _precedence(node: Node) -> int:
    match node:
        case BinOp(op):
            return _PRECEDENCE[op]
        case Neg():
            return _PRECEDENCE["neg"]
    return _PRECEDENCE["atom"]


def _fraction_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    # Exact decimals print as decimals; anything else as a quotient (only computed values get here).
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        digits = 0
        while (value * 10**digits).denominator != 1:
            digits += 1
        scaled = abs(value.numerator * 10**digits // value.denominator)
        whole, frac = divmod(scaled, 10**digits)
        sign = "-" if value < 0 else ""
        return f"{sign}{whole}.{frac:0{digits}d}"
    return f"{value.numerator}/{value.denominator}"


def _number_text(node: Num) -> str:
    text = node.text or _fraction_text(node.value)
    return "0" + text if text.startswith(".") else text


class _Printer:
    """Shared precedence logic; subclasses choose the symbols."""

    times = "*"
    minus = "-"

    def __call__(self, node: Node) -> str:
        return self.show(node)

    def show(self, node: Node) -> str:
        match node:
            case Num():
                return self.number(node)
            case Var(name):
                return name
            case Const(name):
                return self.constant(name)
            case Neg(operand):
                return self.minus + self.wrap(operand, _PRECEDENCE["neg"], strict=False)
            case BinOp("^", base, exponent):
                return self.power(base, exponent)
            case BinOp(op, left, right):
                return self.binary(op, left, right)
            case Call(func, args):
                return self.call(func, args)
            case Indicator(condition):
                return self.indicator(condition, node.bracket)
        raise TypeError(f"not an expression node: {node!r}")

    def wrap(self, node: Node, outer: int, strict: bool) -> str:
        """Show `node`, in parentheses when it binds more loosely than its context."""
        inner = _precedence(node)
        needs = inner < outer or (strict and inner == outer)
        # A number that prints with a sign, decimal point or slash is not atomic inside a power.
        if isinstance(node, Num) and outer == _PRECEDENCE["^"] and not _number_text(node).isdigit():
            needs = True
        text = self.show(node)
        return f"({text})" if needs else text

    def number(self, node: Num) -> str:
        return _number_text(node)

    def constant(self, name: str) -> str:
        return name

    def binary(self, op: str, left: Node, right: Node) -> str:
        precedence = _PRECEDENCE[op]
        symbol = self.operator(op)
        left_text = self.wrap(left, precedence, strict=False)
        # `(1/2)·x`, not `1/2·x`: the reading is the same, but the eye should not have to know that.
        if op == "*" and isinstance(left, BinOp) and left.op == "/":
            left_text = f"({left_text})"
        # A negation on the right of a binary operator is parenthesised for readability.
        right_text = (
            f"({self.show(right)})"
            if isinstance(right, Neg)
            else self.wrap(right, precedence, strict=True)
        )
        return f"{left_text}{symbol}{right_text}"

    def operator(self, op: str) -> str:
        return {"+": " + ", "-": " - ", "*": self.times, "/": "/"}[op]

    def power(self, base: Node, exponent: Node) -> str:
        base_text = self.wrap(base, _PRECEDENCE["^"], strict=True)
        exponent_text = self.wrap(exponent, _PRECEDENCE["^"], strict=False)
        return f"{base_text}^{exponent_text}"

    def call(self, func: str, args: tuple[Node, ...]) -> str:
        return f"{func}({', '.join(self.show(a) for a in args)})"

    def indicator(self, condition: Compare, bracket: bool) -> str:
        text = (
            f"{self.show(condition.left)} {self.comparison(condition.op)} "
            f"{self.show(condition.right)}"
        )
        return f"[{text}]" if bracket else f"1({text})"

    def comparison(self, op: str) -> str:
        return op


class _AsciiPrinter(_Printer):
    pass


def _without_leading_minus(node: Node) -> Node | None:
    """`4·y` for `−4·y` (a product or quotient whose first factor is negated); else None."""
    if isinstance(node, BinOp) and node.op in ("*", "/"):
        if isinstance(node.left, Neg):
            return BinOp(node.op, node.left.operand, node.right, node.implicit)
        inner = _without_leading_minus(node.left)
        return None if inner is None else BinOp(node.op, inner, node.right, node.implicit)
    return None


class _PrettyPrinter(_Printer):
    times = "·"
    minus = "−"

    def binary(self, op: str, left: Node, right: Node) -> str:
        # `a + −4·y` reads as `a − 4·y`: the same value, shown the way people write it.
        positive = _without_leading_minus(right) if op in ("+", "-") else None
        if positive is not None:
            return super().binary("-" if op == "+" else "+", left, positive)
        return super().binary(op, left, right)

    def constant(self, name: str) -> str:
        return "π" if name == "pi" else name

    def operator(self, op: str) -> str:
        return {"+": " + ", "-": " − ", "*": self.times, "/": "/"}[op]

    def power(self, base: Node, exponent: Node) -> str:
        sign, magnitude = ("⁻", exponent.operand) if isinstance(exponent, Neg) else ("", exponent)
        if isinstance(magnitude, Num) and _number_text(magnitude).isdigit():
            base_text = self.wrap(base, _PRECEDENCE["^"], strict=True)
            return base_text + sign + _number_text(magnitude).translate(_SUPERSCRIPTS)
        return super().power(base, exponent)

    def call(self, func: str, args: tuple[Node, ...]) -> str:
        if func == "abs":
            return f"|{self.show(args[0])}|"
        if func == "sqrt":
            return "√" + self.wrap(args[0], _PRECEDENCE["atom"], strict=False)
        return super().call(_PRETTY_FUNCTIONS.get(func, func), args)

    def comparison(self, op: str) -> str:
        return _PRETTY_COMPARISONS[op]


to_ascii = _AsciiPrinter()
to_pretty = _PrettyPrinter()
