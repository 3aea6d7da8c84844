"""What a formula was read as: the core of `gradtutor parse`, shared by every echo of input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.declarations import shape_option
from gradtutor.language.expr import Node, to_ascii, to_pretty, variables_of
from gradtutor.language.parser import parse
from gradtutor.language.shapes import Shape, annotate


@dataclass(frozen=True)
class Reading:
    text: str
    tree: Node
    pretty: str
    ascii: str
    variables: list[str]
    shape: str | None = None  # with shapes declared: the value's shape, `d×k`

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "input": self.text,
            "read_as": self.pretty,
            "ascii": self.ascii,
            "variables": self.variables,
        }
        if self.shape is not None:
            data["shape"] = self.shape
        return data


def read(text: str, variables: Sequence[str] | None = None, shapes: Sequence[str] = ()) -> Reading:
    """Parse `text` and describe the reading; raises `ParseError` (a `ShapeError` where the
    shapes declared as `X=n,d` do not conform) and `GradtutorError` for a bad shape."""
    if not shapes:
        tree = parse(text, variables)
        return Reading(text, tree, to_pretty(tree), to_ascii(tree), variables_of(tree))
    declared = dict(shape_option(item) for item in shapes)
    dimensions = list(
        dict.fromkeys(d for dims in declared.values() for d in dims if isinstance(d, str))
    )
    tree = parse(text, variables, dimensions=dimensions)
    annotated = annotate(tree, {name: Shape(dims) for name, dims in declared.items()})
    settled = annotated.tree
    return Reading(
        text, settled, to_pretty(settled), to_ascii(settled), variables_of(settled),
        annotated.shape.short(),
    )  # fmt: skip


@dataclass(frozen=True)
class FunctionRequest:
    """A function given on the command line, its variables and the partial derivatives asked."""

    function: str
    tree: Node
    variables: list[str]
    ask: list[str]


def read_function(
    function: str,
    wrt: str | Sequence[str] | None = None,
    variables: Sequence[str] | None = None,
) -> FunctionRequest:
    """Read `function` and check that every variable in `wrt` is one of its variables.

    `variables` declares the names (else every free name is one); without `wrt`, every variable
    is asked. Raises `ParseError` when the formula does not parse and `GradtutorError` when it
    has no variables or `wrt` names something that is not a variable of it.
    """
    tree = parse(function, variables)
    asked = [wrt] if isinstance(wrt, str) else list(wrt or [])
    # A constant function (`5`) by a variable it does not mention: --wrt declares that variable.
    names = list(variables) if variables else variables_of(tree) or list(dict.fromkeys(asked))
    if not names:
        raise GradtutorError(
            f"'{function}' has no variables",
            "name the variable of the derivative, as in --wrt x",
        )
    ask = asked or names
    for name in ask:
        if name not in names:
            raise GradtutorError(
                f"'{name}' is not a variable of {function}",
                f"its variables are {', '.join(names)}; declare more with --var",
            )
    return FunctionRequest(function, tree, names, ask)


def parse_error_json(text: str, error: ParseError) -> dict[str, Any]:
    return {
        "input": text,
        "error": {"message": error.message, "column": error.column, "hint": error.hint},
    }
