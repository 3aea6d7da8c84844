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
from typing import Any, Literal, TypeVar

BinaryOperator = Literal["+", "-", "*", "/", "^"]
ComparisonOperator = Literal[">", ">=", "<", "<="]
ConstantName = Literal["e", "pi"]
ReductionName = Literal["sum", "mean"]

# Canonical function names with the number of arguments each takes (None: two or more).
FUNCTIONS: dict[str, int | None] = {
    "exp": 1, "log": 1, "sqrt": 1, "abs": 1, "sign": 1,
    "sin": 1, "cos": 1, "tan": 1, "sec": 1, "csc": 1, "cot": 1,
    "asin": 1, "acos": 1, "atan": 1,
    "sinh": 1, "cosh": 1, "tanh": 1, "sech": 1,
    "sigmoid": 1, "relu": 1, "heaviside": 1,
    "max": None, "min": None,
}  # fmt: skip

# Functions of vectors and matrices, with their smallest and largest number of arguments. `ones`
# and `eye` take sizes (a dimension's name or a whole number), the others values.
TENSOR_FUNCTIONS: dict[str, tuple[int, int]] = {
    "softmax": (1, 1), "diag": (1, 1), "outer": (2, 2), "tr": (1, 1), "norm": (1, 1),
    "ones": (1, 2), "eye": (1, 1),
}  # fmt: skip
# Spelled as functions, read as operations of the tree: sum and mean (`Reduce`), dot (`MatMul`),
# transpose (`Transpose`).
TENSOR_OPERATIONS = frozenset({"sum", "mean", "dot", "transpose"})

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
    """A binary operation. `implicit` marks a product written without `*` (juxtaposed, or with
    `·`), which between two vectors or matrices is their matrix product; `column` is where the
    operator stands (1-based; 0 when computed). Both are ignored by equality."""

    op: BinaryOperator
    left: Node
    right: Node
    implicit: bool = field(default=False, compare=False)
    column: int = field(default=0, compare=False)
    # Computed once, from the left operand's own: hashing a sum of 500 terms must neither
    # recurse 500 deep nor walk all of it again each time it is looked up.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.op, self.left, self.right)))

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        # The dataclass's repr, written along the left spine in a loop.
        return fold_left(
            self,
            repr,
            lambda link, left: (
                f"BinOp(op={link.op!r}, left={left}, right={link.right!r}, "
                f"implicit={link.implicit!r}, column={link.column!r})"
            ),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its left spine, flat (pickle would recurse once per term), and rebuilt rather
        # than restored: a string's hash differs from one process to the next.
        bottom, links = left_spine(self)
        flat = [(link.op, link.right, link.implicit, link.column) for link in links]
        return (_rebuilt_chain, (bottom, flat))

    def __eq__(self, other: object) -> bool:
        """Equal trees, compared along the left spine in a loop (as long as a formula can be)."""
        if not isinstance(other, BinOp):
            return NotImplemented
        mine: Node = self
        theirs: Node = other
        while isinstance(mine, BinOp) and isinstance(theirs, BinOp):
            if mine is theirs:
                return True
            if mine._hash != theirs._hash or mine.op != theirs.op or mine.right != theirs.right:
                return False
            mine, theirs = mine.left, theirs.left
        return mine == theirs


@dataclass(frozen=True, slots=True)
class Call:
    """A whitelisted function applied to its arguments; `func` is a key of `FUNCTIONS` or of
    `TENSOR_FUNCTIONS`."""

    func: str
    args: tuple[Node, ...]
    column: int = field(default=0, compare=False)


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


# --- vectors and matrices -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dim:
    """A dimension's name standing for its size: the n of `sum(G, axis=0)/n`."""

    name: str


@dataclass(frozen=True, slots=True)
class MatMul:
    """The matrix product; `written` is how: `@`, `·`, juxtaposition (``) or `dot`."""

    left: Node
    right: Node
    column: int = field(default=0, compare=False)
    written: str = field(default="@", compare=False)


@dataclass(frozen=True, slots=True)
class Hadamard:
    """The elementwise product of two vectors or matrices (NumPy's broadcasting); written `⊙`,
    `.*` or `*`."""

    left: Node
    right: Node
    column: int = field(default=0, compare=False)
    written: str = field(default="⊙", compare=False)


@dataclass(frozen=True, slots=True)
class Transpose:
    """Aᵀ; `written` is how: `ᵀ`, `^T`, `.T`, `'` or `transpose`."""

    operand: Node
    column: int = field(default=0, compare=False)
    written: str = field(default="ᵀ", compare=False)


@dataclass(frozen=True, slots=True)
class Reduce:
    """`sum(A)` or `mean(A)`, over one axis or all, as NumPy's with `axis=` and `keepdims=`."""

    func: ReductionName
    operand: Node
    axis: int | None = None
    keepdims: bool = False
    column: int = field(default=0, compare=False)


Node = (
    Num
    | Var
    | Const
    | Neg
    | BinOp
    | Call
    | Indicator
    | Dim
    | MatMul
    | Hadamard
    | Transpose
    | Reduce
)


def _rebuilt_chain(bottom: Node, links: list[tuple[BinaryOperator, Node, bool, int]]) -> Node:
    """A chain of binary operations from its bottom operand up (unpickling, see `BinOp`)."""
    node = bottom
    for op, right, implicit, column in links:
        node = BinOp(op, node, right, implicit, column)
    return node


def number(value: int | Fraction) -> Num:
    """A literal for a value computed rather than typed."""
    return Num(Fraction(value), _fraction_text(Fraction(value)))


def rational(value: Fraction) -> Node:
    """A computed rational as a tree: a whole number, or a quotient of two, with its sign."""
    if value < 0:
        return Neg(rational(-value))
    if value.denominator == 1:
        return number(value)
    return BinOp("/", number(value.numerator), number(value.denominator))


def negate_leading_factor(node: Node) -> Node:
    """-(2·x/y) written as −2·x/y: the sign rides on the first factor."""
    if isinstance(node, BinOp) and node.op in ("*", "/"):
        return BinOp(node.op, negate_leading_factor(node.left), node.right)
    return Neg(node)


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
        case MatMul(left, right) | Hadamard(left, right):
            return (left, right)
        case Transpose(operand) | Reduce(_, operand):
            return (operand,)
    return ()


def signed_terms(tree: Node) -> list[tuple[int, Node]]:
    """The terms of a sum with their signs, ±1 (a tree that is no sum is its one term)."""
    terms: list[tuple[int, Node]] = []
    stack = [(1, tree)]  # a stack, not recursion: a sum may have hundreds of terms
    while stack:
        sign, node = stack.pop()
        match node:
            case BinOp("+" | "-" as op, left, right):
                stack.append((sign if op == "+" else -sign, right))
                stack.append((sign, left))
            case Neg(operand):
                stack.append((-sign, operand))
            case _:
                terms.append((sign, node))
    return terms


def left_spine(node: Node) -> tuple[Node, list[BinOp]]:
    """A chain of binary operations followed down its left operands, in a loop.

    `a - b + c`, which the parser builds as `(a - b) + c`, gives `(a, [a - b, (a - b) + c])`: the
    operand at the bottom, then each operation from the innermost out. The parser builds every
    sum, product, run of names (`xxxx`) and run of superscripts this way, however long, so code
    that walks a chain here instead of recursing on `left` spends no stack frame per term.
    """
    links: list[BinOp] = []
    while isinstance(node, BinOp):
        links.append(node)
        node = node.left
    links.reverse()
    return node, links


_Value = TypeVar("_Value")


def fold_left(
    node: Node, leaf: Callable[[Node], _Value], link: Callable[[BinOp, _Value], _Value]
) -> _Value:
    """`leaf` of the bottom of `node`'s left spine, then `link(operation, value so far)` upward.

    `link` works out the right operand itself (its depth is bounded by the parser's nesting
    limit); the left spine, whose length is not, costs no recursion.
    """
    bottom, links = left_spine(node)
    value = leaf(bottom)
    for operation in links:
        value = link(operation, value)
    return value


def map_spine(node: BinOp, change: Callable[[Node], Node]) -> Node:
    """`node` rebuilt with `change` applied to the bottom of its left spine and to each right
    operand, in a loop (see `left_spine`)."""
    return fold_left(
        node,
        change,
        lambda link, left: BinOp(link.op, left, change(link.right), link.implicit, link.column),
    )


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
        case BinOp():
            return map_spine(node, lambda operand: substitute(operand, replacements))
        case Call(func, args):
            return Call(func, tuple(substitute(arg, replacements) for arg in args), node.column)
        case Indicator(Compare(op, left, right)):
            condition = Compare(op, substitute(left, replacements), substitute(right, replacements))
            return Indicator(condition, node.bracket)
        case MatMul(left, right):
            return MatMul(
                substitute(left, replacements), substitute(right, replacements), node.column,
                node.written,
            )  # fmt: skip
        case Hadamard(left, right):
            return Hadamard(
                substitute(left, replacements), substitute(right, replacements), node.column,
                node.written,
            )  # fmt: skip
        case Transpose(operand):
            return Transpose(substitute(operand, replacements), node.column, node.written)
        case Reduce(func, operand, axis, keepdims):
            return Reduce(func, substitute(operand, replacements), axis, keepdims, node.column)
    return node


def has_tensor_operations(node: Node) -> bool:
    """Whether the tree uses an operation of vectors and matrices (a product, a transpose, a
    reduction, a tensor function, a dimension's size)."""
    tensor_nodes = (Dim, MatMul, Hadamard, Transpose, Reduce)
    return any(
        isinstance(n, tensor_nodes) or (isinstance(n, Call) and n.func in TENSOR_FUNCTIONS)
        for n in walk(node)
    )


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
        case MatMul() | Hadamard():
            return _PRECEDENCE["*"]
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
    matmul_symbol = " @ "
    hadamard_symbol = " * "
    transpose_mark = ".T"

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
            case BinOp():
                # A sum or product of any length is a left spine: printed in a loop.
                return fold_left(node, self.show, self.link)
            case Call(func, args):
                return self.call(func, args)
            case Indicator(condition):
                return self.indicator(condition, node.bracket)
            case Dim(name):
                return name
            case MatMul(left, right):
                return self.product(node, self.matmul_symbol, left, right)
            case Hadamard(left, right):
                return self.product(node, self.hadamard_symbol, left, right)
            case Transpose(operand):
                return self.wrap(operand, _PRECEDENCE["atom"], strict=False) + self.transpose_mark
            case Reduce(func, operand, axis, keepdims):
                options = "" if axis is None else f", axis={axis}"
                options += ", keepdims=True" if keepdims else ""
                return f"{func}({self.show(operand)}{options})"
        raise TypeError(f"not an expression node: {node!r}")

    def product(self, node: Node, symbol: str, left: Node, right: Node) -> str:
        """A matrix or elementwise product, which binds like `*`.

        A matrix product of an elementwise one, or the other way round, is bracketed although
        it reads the same without: `(G @ Wᵀ) ⊙ M`, not `G @ Wᵀ ⊙ M`, which few readers parse
        without looking up the precedence.
        """
        precedence = _PRECEDENCE["*"]
        left_text = self.wrap(left, precedence, strict=False)
        mixed = isinstance(left, (MatMul, Hadamard)) and type(left) is not type(node)
        if mixed or (isinstance(left, BinOp) and left.op == "/"):
            left_text = f"({left_text})"
        return f"{left_text}{symbol}{self.wrap(right, precedence, strict=True)}"

    def link(self, node: BinOp, left_text: str) -> str:
        """The text of `node`, given the text of its left operand."""
        if node.op == "^":
            return self.power(node.left, left_text, node.right)
        return self.binary(node.op, node.left, left_text, node.right)

    def wrap(self, node: Node, outer: int, strict: bool) -> str:
        """Show `node`, in parentheses when it binds more loosely than its context."""
        return self.enclose(node, self.show(node), outer, strict)

    def enclose(self, node: Node, text: str, outer: int, strict: bool) -> str:
        """`text` (the text of `node`) in parentheses when `node` binds looser than `outer`."""
        inner = _precedence(node)
        needs = inner < outer or (strict and inner == outer)
        # A number that prints with a sign, decimal point or slash is not atomic inside a power.
        if isinstance(node, Num) and outer == _PRECEDENCE["^"] and not _number_text(node).isdigit():
            needs = True
        return f"({text})" if needs else text

    def number(self, node: Num) -> str:
        return _number_text(node)

    def constant(self, name: str) -> str:
        return name

    def binary(self, op: str, left: Node, left_text: str, right: Node) -> str:
        precedence = _PRECEDENCE[op]
        symbol = self.operator(op)
        left_text = self.enclose(left, left_text, precedence, strict=False)
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

    def power(self, base: Node, base_text: str, exponent: Node) -> str:
        base_text = self.enclose(base, base_text, _PRECEDENCE["^"], strict=True)
        # A power in the exponent is bracketed: 2^(x²), not 2^x², which reads two ways.
        exponent_text = self.wrap(exponent, _PRECEDENCE["^"], strict=True)
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
    links: list[BinOp] = []
    while isinstance(node, BinOp) and node.op in ("*", "/"):
        links.append(node)
        node = node.left
    if not links or not isinstance(node, Neg):
        return None
    positive = node.operand
    for link in reversed(links):  # rebuilt in a loop: a product may have hundreds of factors
        positive = BinOp(link.op, positive, link.right, link.implicit, link.column)
    return positive


class _PrettyPrinter(_Printer):
    times = "·"
    minus = "−"
    hadamard_symbol = " ⊙ "
    transpose_mark = "ᵀ"

    def binary(self, op: str, left: Node, left_text: str, right: Node) -> str:
        # `a + −4·y` reads as `a − 4·y`: the same value, shown the way people write it.
        positive = _without_leading_minus(right) if op in ("+", "-") else None
        if positive is not None:
            return super().binary("-" if op == "+" else "+", left, left_text, positive)
        return super().binary(op, left, left_text, right)

    def constant(self, name: str) -> str:
        return "π" if name == "pi" else name

    def operator(self, op: str) -> str:
        return {"+": " + ", "-": " − ", "*": self.times, "/": "/"}[op]

    def power(self, base: Node, base_text: str, exponent: Node) -> str:
        sign, magnitude = ("⁻", exponent.operand) if isinstance(exponent, Neg) else ("", exponent)
        if isinstance(magnitude, Num) and _number_text(magnitude).isdigit():
            base_text = self.enclose(base, base_text, _PRECEDENCE["^"], strict=True)
            return base_text + sign + _number_text(magnitude).translate(_SUPERSCRIPTS)
        return super().power(base, base_text, exponent)

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
