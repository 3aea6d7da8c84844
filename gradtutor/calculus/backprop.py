"""Backpropagation through the computational graph of an expression, at one point, exactly.

`backpropagate(tree, point)` evaluates every node (forward pass), then walks from the output back to
the inputs: each node's gradient is its local derivative (∂parent/∂node, from the step engine's
rules) times the upstream gradient (∂f/∂parent). A variable that feeds several nodes collects one
contribution per path, and its gradient is their sum. Sums and products are single n-ary nodes, as
the chapter draws the neuron: z = x0·w0 + x1·w1 + x2·w2 + b, then relu(z).

Values are SymPy numbers (exact rationals where the arithmetic allows), so the table prints −3
rather than −2.9999999999999996. The derivative of relu at 0 is 0, as in the code of Neural
Networks from Scratch in Python (chapter 9); a point
on any other kink uses the same strict-indicator convention, and the result says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from gradtutor.calculus.steps import derive, left_chain
from gradtutor.calculus.symbolic import symbol, to_sympy
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.expr import (
    KINKED_FUNCTIONS,
    BinOp,
    Call,
    Compare,
    Indicator,
    Neg,
    Node,
    Var,
    substitute,
    to_ascii,
    to_pretty,
    variables_of,
    walk,
)

Value = Any  # a SymPy number

# Names for intermediate results, in the order the backward pass meets them (z is the chapter's
# pre-activation); names the function already uses are skipped.
_NAMES = ("z", "u", "v", "p", "q", "r", "s", "t", "g", "h", "k", "m", "n")


RELU_CONVENTION = (
    "relu′(z) = 1(z > 0): 1 where z > 0, 0 where z < 0, and 0 at z = 0, as in the code of Neural "
    "Networks from Scratch in Python (chapter 9)."
)


class BadPoint(GradtutorError):
    """An `--at` point that cannot be used: malformed, incomplete, or outside the domain."""


@dataclass(frozen=True)
class Row:
    """One node of the graph, met on the way back from the output."""

    name: str  # the variable's name, or a name given to an intermediate result
    computes: Node  # what the node computes, in terms of its inputs' names
    operation: str  # sum, product, relu, input, ...
    value: Value
    parent: str | None  # the node this one feeds (None for the output)
    local_formula: Node | None  # ∂parent/∂node, in terms of names
    local: Value | None
    upstream: Value | None  # ∂f/∂parent
    gradient: Value  # local · upstream: ∂f/∂node along this path

    @property
    def is_input(self) -> bool:
        return self.operation == "input"


@dataclass(frozen=True)
class InputGradient:
    """∂f/∂variable: the sum of its contributions, one per path from the variable to the output."""

    name: str
    contributions: list[Value]
    total: Value


@dataclass
class Backprop:
    function: Node
    point: dict[str, Value]
    rows: list[Row]
    gradients: list[InputGradient]
    notes: list[str] = field(default_factory=list)
    name: str = "f"  # what the function is called: the output node, ∂L/∂x for L

    @property
    def output(self) -> Value:
        return self.rows[0].value

    def to_json(self) -> dict[str, Any]:
        return {
            "function": to_ascii(self.function),
            "at": {name: exact_text(value) for name, value in self.point.items()},
            "output": exact_text(self.output),
            "rows": [
                {
                    "node": row.name,
                    "computes": to_ascii(row.computes),
                    "operation": row.operation,
                    "value": exact_text(row.value),
                    "into": row.parent,
                    "local_formula": to_ascii(row.local_formula) if row.local_formula else None,
                    "local": exact_text(row.local) if row.local is not None else None,
                    "upstream": exact_text(row.upstream) if row.upstream is not None else None,
                    "gradient": exact_text(row.gradient),
                }
                for row in self.rows
            ],
            "gradient": {g.name: exact_text(g.total) for g in self.gradients},
            "paths": {g.name: [exact_text(c) for c in g.contributions] for g in self.gradients},
            "notes": self.notes,
        }


def exact_text(value: Value) -> str:
    """A value in the math input language: `-3`, `1/3`, `exp(2)`."""
    from gradtutor.calculus.symbolic import UnsupportedExpression, from_sympy

    try:
        return to_ascii(from_sympy(value))
    except UnsupportedExpression:
        return str(sympy.sstr(value))


# --- reading --at ---------------------------------------------------------------------------------


def parse_point(items: Sequence[str], variables: Sequence[str]) -> dict[str, Value]:
    """`["x0=1,w0=-3", "b=1/2"]` as exact values for every one of `variables`."""
    from gradtutor.language.parser import parse

    point: dict[str, Value] = {}
    for item in (part.strip() for text in items for part in text.split(",")):
        name, equals, written = (piece.strip() for piece in item.partition("="))
        if not (name and equals and written):
            raise BadPoint(
                f"--at: cannot read {item!r} as NAME=VALUE", "write values as x0=1,w0=-3,b=1"
            )
        if name not in variables:
            raise BadPoint(
                f"--at: {name!r} is not a variable of the function",
                f"its variables are {', '.join(variables)}",
            )
        try:
            value = to_sympy(parse(written, []))
        except ParseError as error:
            raise BadPoint(f"--at: cannot read the value of {name}: {error.message}") from None
        if not (value.is_real and value.is_finite):
            raise BadPoint(f"--at: the value of {name} is not a real number")
        point[name] = value
    missing = [name for name in variables if name not in point]
    if missing:
        raise BadPoint(
            f"--at gives no value for {', '.join(missing)}",
            "give every variable a value, as in " + ",".join(f"{v}=1" for v in variables),
        )
    return point


# --- the graph ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    """A node as an operation on operands, and how to rebuild it from (renamed) operands."""

    name: str
    operands: list[Node]
    rebuild: Callable[[list[Node]], Node]


def _operation(node: Node) -> _Operation:
    match node:
        case BinOp("+" | "-"):
            terms = left_chain(node, ("+", "-"))
            return _Operation("sum", [t for _, t in terms], lambda ops: _signed(terms, ops))
        case BinOp("*"):
            factors = [f for _, f in left_chain(node, ("*",))]
            return _Operation("product", factors, _product_of)
        case BinOp(op, left, right):
            names = {"/": "quotient", "^": "power"}
            return _Operation(names[op], [left, right], lambda ops: BinOp(op, ops[0], ops[1]))
        case Neg(operand):
            return _Operation("negation", [operand], lambda ops: Neg(ops[0]))
        case Call(func, args):
            return _Operation(func, list(args), lambda ops: Call(func, tuple(ops)))
        case Indicator(Compare(relation, left, right)):
            return _Operation(
                "indicator", [left, right], lambda ops: Indicator(Compare(relation, ops[0], ops[1]))
            )
    return _Operation("input", [], lambda ops: node)


def _signed(terms: list[tuple[int, Node]], operands: list[Node]) -> Node:
    node = operands[0]
    for (sign, _), operand in zip(terms[1:], operands[1:], strict=True):
        node = BinOp("+" if sign > 0 else "-", node, operand)
    return node


def _product_of(operands: list[Node]) -> Node:
    node = operands[0]
    for operand in operands[1:]:
        node = BinOp("*", node, operand)
    return node


@dataclass
class _Visit:
    node: Node
    name: str
    parent: str | None
    local_formula: Node | None
    local: Value | None
    upstream: Value | None


def backpropagate(tree: Node, point: dict[str, Value], name: str = "f") -> Backprop:
    """The forward values and backward gradients of every node of `tree` (the function called
    `name`, which names the output node) at `point`."""
    variables = variables_of(tree)
    substitution = {symbol(name): point[name] for name in variables}
    names = (
        n for n in (*_NAMES, *(f"z{i}" for i in range(1, 1000))) if n not in [*variables, name]
    )
    rows: list[Row] = []
    notes: list[str] = []
    queue = [_Visit(tree, name, None, None, None, None)]
    while queue:
        visit = queue.pop(0)
        value = _value(visit.node, substitution)
        gradient = sympy.Integer(1) if visit.upstream is None else visit.local * visit.upstream
        operation = _operation(visit.node)
        varying = [op for op in operation.operands if variables_of(op)]
        labels = {id(op): (op.name if isinstance(op, Var) else next(names)) for op in varying}
        shown = [Var(labels[id(op)]) if id(op) in labels else op for op in operation.operands]
        rows.append(
            Row(
                visit.name, operation.rebuild(shown), operation.name, value, visit.parent,
                visit.local_formula, visit.local, visit.upstream, gradient,
            )
        )  # fmt: skip
        notes.extend(_kink_note(visit.node, operation, substitution))
        for operand, (formula, local) in zip(
            varying, _local_derivatives(operation, varying, substitution), strict=True
        ):
            if not (local.is_real and local.is_finite):  # sqrt(x) at 0, acos(x) at 1
                raise BadPoint(
                    f"{to_pretty(visit.node)} has no finite derivative with respect to "
                    f"{to_pretty(operand)} at this point",
                    "choose a point where the function is differentiable",
                )
            named = substitute(formula, {f"#{i}": shown[i] for i in range(len(shown))})
            queue.append(_Visit(operand, labels[id(operand)], visit.name, named, local, gradient))
    if any(isinstance(n, Call) and n.func == "relu" for n in walk(tree)):
        notes.insert(0, RELU_CONVENTION)
    # A variable the function does not mention (5 by x) has gradient 0: no path reaches it.
    inputs = [*variables, *(name for name in point if name not in variables)]
    return Backprop(tree, dict(point), rows, _input_gradients(rows, inputs), notes, name)


def _value(node: Node, substitution: dict[Any, Value]) -> Value:
    value = to_sympy(node).xreplace(substitution)
    if not (value.is_real and value.is_finite):
        raise BadPoint(
            f"{to_pretty(node)} is undefined at this point",
            "choose a point inside the function's domain",
        )
    return value


def _local_derivatives(
    operation: _Operation, varying: list[Node], substitution: dict[Any, Value]
) -> list[tuple[Node, Value]]:
    """∂node/∂operand for each varying operand: a formula in placeholders #i, and its value."""
    placeholders = [
        Var(f"#{i}") if variables_of(op) else op for i, op in enumerate(operation.operands)
    ]
    rebuilt = operation.rebuild(placeholders)
    values = {
        symbol(f"#{i}"): to_sympy(op).xreplace(substitution)
        for i, op in enumerate(operation.operands)
        if variables_of(op)
    }
    derivatives = []
    for i, operand in enumerate(operation.operands):
        if not variables_of(operand):
            continue
        formula = derive(rebuilt, f"#{i}", simplify=False).result
        derivatives.append((formula, to_sympy(formula).xreplace(values)))
    assert len(derivatives) == len(varying)
    return derivatives


def _kink_note(node: Node, operation: _Operation, substitution: dict[Any, Value]) -> list[str]:
    """A note when the point sits on a kink of this node, where the derivative does not exist."""
    if operation.name not in KINKED_FUNCTIONS and operation.name != "indicator":
        return []
    values = [to_sympy(op).xreplace(substitution) for op in operation.operands]
    on_kink = (
        len(values) == 1 and values[0] == 0
    ) or (len(values) > 1 and len(set(values)) < len(values))  # fmt: skip
    if not on_kink:
        return []
    if operation.name == "relu":
        return [
            f"{to_pretty(node)}: the input is exactly 0, where relu has no derivative; "
            "gradtutor takes relu′(0) = 0, as the code of Neural Networks from Scratch in Python "
            "(chapter 9) does."
        ]
    return [
        f"{to_pretty(node)}: this point is on a kink, where the derivative does not exist; "
        "the table uses gradtutor's convention (strict indicators, 0 at a tie)."
    ]


def _input_gradients(rows: list[Row], variables: list[str]) -> list[InputGradient]:
    gradients = []
    for name in variables:
        contributions = [row.gradient for row in rows if row.is_input and row.name == name]
        gradients.append(InputGradient(name, contributions, sympy.Add(*contributions)))
    return gradients
