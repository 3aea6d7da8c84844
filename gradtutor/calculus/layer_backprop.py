"""The backward pass of a layer at a point: every node's value and gradient, with its shape.

`layer_backprop(tree, declarations, point)` evaluates a function of vectors and matrices at given
values (`--at X=[[1, 2], [3, 4]],b=[0.5, -1]`): the forward table gives each node's value and
shape, the backward table each node's gradient ∂L/∂node, from the output back, by the same rules
as the step engine (`calculus.layer_steps`), and a variable that feeds several nodes adds its
paths. Values are NumPy floats (the tables print them as decimals); relu′(0) is taken as 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradtutor.calculus.backprop import BadPoint
from gradtutor.calculus.layer_steps import Backward, Context, children, names_for
from gradtutor.calculus.tensor import evaluate_tensor
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.declarations import Declarations
from gradtutor.language.expr import KINKED_FUNCTIONS, Call, Dim, Node, Num, Var, walk
from gradtutor.language.shapes import Shape

Array = Any  # a NumPy array of floats (0-d for a number)


@dataclass(frozen=True)
class LayerRow:
    """One node of the graph: what it computes (with the names of intermediates), its value or
    its gradient ∂L/∂node, and its shape."""

    node: Node
    shown: Node
    shape: str
    value: Array


@dataclass
class LayerBackprop:
    function: Node
    name: str  # what the function is called (L)
    point: dict[str, Array]
    sizes: dict[str, int]
    intermediates: list[tuple[str, Node, str]]
    forward: list[LayerRow]
    backward: list[LayerRow]
    gradients: list[tuple[str, Array, str]]
    notes: list[str] = field(default_factory=list)

    @property
    def output(self) -> Array:
        return self.forward[-1].value

    def to_json(self) -> dict[str, Any]:
        from gradtutor.language.expr import to_ascii

        def rows(table: list[LayerRow], key: str) -> list[dict[str, Any]]:
            return [
                {"node": to_ascii(r.shown), "shape": r.shape, key: _plain(r.value)} for r in table
            ]

        return {
            "function": to_ascii(self.function),
            "at": {name: _plain(value) for name, value in self.point.items()},
            "sizes": dict(self.sizes),
            "output": _plain(self.output),
            "forward": rows(self.forward, "value"),
            "backward": rows(self.backward, "gradient"),
            "gradient": {name: _plain(value) for name, value, _ in self.gradients},
            "notes": self.notes,
        }


def _plain(value: Array) -> Any:
    """A value for JSON: nested lists of floats (integers where they are whole)."""
    listed = np.asarray(value, dtype=float).tolist()
    return _whole(listed)


def _whole(value: Any) -> Any:
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


# --- reading --at -------------------------------------------------------------------------------


def parse_tensor_point(items: Sequence[str], declarations: Declarations) -> dict[str, Array]:
    """`["X=[[1, 2], [3, 4]],b=[0.5, -1]", "c=2"]` as an array for every variable."""
    point: dict[str, Array] = {}
    for item in (piece for text in items for piece in _top_level(text)):
        name, equals, written = (part.strip() for part in item.partition("="))
        if not (name and equals and written):
            raise BadPoint(
                f"--at: cannot read {item!r} as NAME=VALUE",
                "write matrices as nested lists: --at 'X=[[1, 2], [3, 4]],b=[0.5, -1]'",
            )
        if name not in declarations.variables:
            raise BadPoint(
                f"--at: {name!r} is not a variable of the function",
                f"its variables are {', '.join(declarations.variables)}",
            )
        point[name] = _value(name, written)
    missing = [name for name in declarations.variables if name not in point]
    if missing:
        raise BadPoint(
            f"--at gives no value for {', '.join(missing)}",
            "give every variable a value; a matrix as a nested list, such as [[1, 2], [3, 4]]",
        )
    return point


def _top_level(text: str) -> list[str]:
    """The items of `text`, split at the commas outside brackets."""
    pieces, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            pieces.append(current)
            current = ""
        else:
            current += char
    pieces.append(current)
    return [piece.strip() for piece in pieces if piece.strip()]


def _value(name: str, written: str) -> Array:
    text = written.replace("−", "-")
    if not text.startswith("["):
        from gradtutor.calculus.symbolic import to_sympy
        from gradtutor.language.parser import parse

        try:
            number = float(to_sympy(parse(text, [])))
        except (ParseError, TypeError) as error:
            raise BadPoint(f"--at: cannot read the value of {name}: {error}") from None
        return _finite(name, np.array(number))
    try:
        listed = json.loads(text)  # a parser of data: nothing in the text is run
    except json.JSONDecodeError:
        raise BadPoint(
            f"--at: cannot read the value of {name} as a list of numbers: {written}",
            "write a vector as [1, 2, 3] and a matrix as [[1, 2], [3, 4]] (decimals allowed)",
        ) from None
    try:
        array = np.array(listed, dtype=float)
    except (ValueError, TypeError):
        raise BadPoint(
            f"--at: the rows of {name} are not all numbers of the same length: {written}",
            "every row of a matrix needs the same number of entries",
        ) from None
    if array.ndim == 0 or array.ndim > 2 or array.size == 0:
        raise BadPoint(f"--at: {name} must be a vector or a matrix, not {written}")
    return _finite(name, array)


def _finite(name: str, array: Array) -> Array:
    if not np.isfinite(array).all():
        raise BadPoint(f"--at: the value of {name} is not a finite number")
    return array


def _sizes(point: dict[str, Array], declarations: Declarations) -> dict[str, int]:
    """Each dimension's size, read off the values; the same name must have the same size."""
    sizes: dict[str, int] = {}
    for name in declarations.variables:
        shape = declarations.shape_of(name)
        value = point[name]
        if value.ndim != shape.rank:
            wanted = shape.described()
            raise BadPoint(
                f"--at: {name} is {wanted}, but the value given has {value.ndim} dimensions",
                "a vector is [1, 2, 3], a matrix [[1, 2], [3, 4]], a number 2",
            )
        for dim, size in zip(shape.dims, value.shape, strict=True):
            if isinstance(dim, int) and dim != size:
                raise BadPoint(f"--at: {name} must have {dim} where its value has {size}")
            if isinstance(dim, str) and sizes.setdefault(dim, size) != size:
                raise BadPoint(
                    f"--at: the size {dim} is {sizes[dim]} in one value and {size} in {name}",
                    f"give every value with the dimension {dim} the same size",
                )
    return sizes


# --- the passes -----------------------------------------------------------------------------------


def layer_backprop(
    tree: Node, declarations: Declarations, point: dict[str, Array], name: str = "L"
) -> LayerBackprop:
    """The forward and backward tables of `tree` at `point`."""
    shapes = {n: Shape(dims) for n, dims in declarations.shapes}
    sizes = _sizes(point, declarations)
    context = Context("", shapes, names_for(tree, "", declarations, shapes), every_variable=True)
    if not context.shape_of(tree).is_scalar:
        raise GradtutorError(
            "--at with vectors and matrices needs a function whose value is a number (a loss)",
            "sum it first, as in sum(G ⊙ …)",
        )
    values = {n: np.asarray(v, dtype=float)[None, ...] for n, v in point.items()}

    def value(node: Node) -> Array:
        result, _ = evaluate_tensor(node, values, shapes, sizes)
        array = np.asarray(result, dtype=float)[0]
        if not np.isfinite(array).all():
            raise BadPoint(
                f"{context.names.show(node)} is undefined at this point",
                "choose values inside the function's domain",
            )
        return array

    forward = [
        LayerRow(node, context.names.show_inside(node), context.shape_of(node).short(), value(node))
        for node in _evaluation_order(tree)
    ]
    backward_pass = Backward(context, name)
    edges = backward_pass.raw_edges(tree)
    backward = [
        LayerRow(node, context.names.show(node), context.shape_of(node).short(), value(gradient))
        for node, gradient in edges
    ]
    gradients = []
    for variable in declarations.variables:
        total = backward_pass.arrival(variable)
        gradients.append((variable, value(total), context.shape_of(Var(variable)).short()))
    notes = _kink_notes(tree, value)
    return LayerBackprop(
        tree, name, point, sizes, context.names.intermediates(tree, context.shape_of),
        forward, backward, gradients, notes,
    )  # fmt: skip


def _evaluation_order(tree: Node) -> list[Node]:
    """Every node with a variable in it, children before parents, each once."""
    seen: dict[Node, None] = {}

    def visit(node: Node) -> None:
        for child in children(node):
            visit(child)
        if any(isinstance(n, Var) for n in walk(node)) and node not in seen:
            seen[node] = None

    visit(tree)
    return list(seen)


def _kink_notes(tree: Node, value: Any) -> list[str]:
    notes = []
    for node in walk(tree):
        if isinstance(node, Call) and node.func in KINKED_FUNCTIONS | {"relu"}:
            argument = node.args[0]
            if isinstance(argument, Num | Dim):
                continue
            if np.any(value(argument) == 0):
                notes.append(
                    f"{node.func} meets an input of exactly 0: gradtutor takes its slope there "
                    "as 0, as the code of Neural Networks from Scratch in Python (chapter 9) does."
                )
    return notes


def show_array(value: Array) -> str:
    """A value in decimals: `2.5`, `[1, −0.3333]`, `[[1, 2], [3, 4]]` (4 significant digits)."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return _decimal(float(array))
    if array.ndim == 1:
        return "[" + ", ".join(_decimal(float(x)) for x in array) + "]"
    return "[" + ", ".join(show_array(row) for row in array) + "]"


def _decimal(number: float) -> str:
    if number == 0:
        return "0"
    if number.is_integer() and abs(number) < 1e15:
        text = str(int(number))
    else:
        text = f"{number:.4g}"
        if "e" not in text and "." in text:
            text = text.rstrip("0").rstrip(".")
    if not math.isfinite(number):
        text = str(number)
    return "−" + text[1:] if text.startswith("-") else text
