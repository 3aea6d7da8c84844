"""The core of `gradtutor explain`: which partials to derive, and the backward pass at a point.

`explain_formula` reads a formula typed on the command line, `explain_exercise` takes one from the
curriculum; both give an `Explanation`: the derivations (one per partial asked), whether they form
the gradient, and, given `--at`, the backpropagation table. A function of vectors and matrices
(an exercise with `shapes`, or `--shape X=n,d`) is derived by `calculus.layer_steps`, its backward
pass at a point by `calculus.layer_backprop`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradtutor.calculus.backprop import Backprop, backpropagate, parse_point
from gradtutor.calculus.layer_steps import derive_any
from gradtutor.calculus.steps import Derivation
from gradtutor.errors import GradtutorError
from gradtutor.language.declarations import Declarations
from gradtutor.language.expr import Node, to_pretty, variables_of

if TYPE_CHECKING:
    from gradtutor.calculus.layer_backprop import LayerBackprop
    from gradtutor.curriculum.model import Exercise


class UnknownVariable(GradtutorError):
    """A `--wrt` that is not a variable of the function."""


@dataclass
class Explanation:
    function: Node
    variables: list[str]
    derivations: list[Derivation]
    gradient: bool  # the derivations are ∇f: every variable, in order
    backprop: Backprop | None
    name: str = "f"  # what the function is called: ∂L/∂x for L
    layer: LayerBackprop | None = None  # the backward pass of vectors and matrices at a point

    def to_json(self) -> Any:
        """One derivation as an object, several as a list; with `--at`, the backward pass too."""
        found = [d.to_json() for d in self.derivations]
        derivations: Any = found[0] if len(found) == 1 and not self.gradient else found
        at = self.backprop or self.layer
        if at is None:
            return derivations
        if not found:
            return at.to_json()
        return {"derivations": derivations, "backprop": at.to_json()}


def derive_exercise(exercise: Exercise, wrt: str) -> Derivation:
    """The steps `practice` and `explain --exercise` show for one partial of an exercise."""
    return derive_any(exercise.tree, wrt, exercise.declarations, exercise.name)


def explain(
    function: Node,
    variables: Sequence[str] | None = None,
    wrt: Sequence[str] = (),
    gradient: bool = False,
    at: Sequence[str] = (),
    name: str = "f",
    declarations: Declarations | None = None,
) -> Explanation:
    """Derive the partials asked (`wrt`, or every variable for `gradient`) of the function
    called `name` and, given a point (`at`, as NAME=VALUE items), backpropagate through it there.

    With neither `wrt` nor `at`, every partial is derived (the gradient when there are several).
    `declarations` carry the shapes of a function of vectors and matrices.
    """
    # A constant function differentiated by a variable it does not mention (`5` by x) is 0:
    # naming the variable with --wrt declares it.
    names = list(variables) if variables else variables_of(function) or list(dict.fromkeys(wrt))
    if not names:
        raise GradtutorError(
            f"{to_pretty(function)} has no variables, so there is nothing to differentiate",
            "name the variable with --wrt, as in --wrt x",
        )
    for variable in wrt:
        if variable not in names:
            raise UnknownVariable(
                f"--wrt {variable}: {variable} is not a variable of {name} = {to_pretty(function)}",
                f"its variables are {', '.join(names)}",
            )
    everything = gradient or (not wrt and not at)
    asked = names if everything else list(dict.fromkeys(wrt))
    derivations = [derive_any(function, variable, declarations, name) for variable in asked]
    backprop: Backprop | None = None
    layer: LayerBackprop | None = None
    if at and declarations is not None and declarations.tensor:
        from gradtutor.calculus.layer_backprop import layer_backprop, parse_tensor_point

        point = parse_tensor_point(at, declarations)
        layer = layer_backprop(function, declarations, point, name)
    elif at:
        backprop = backpropagate(function, parse_point(at, names), name)
    is_gradient = len(asked) > 1 and asked == names
    return Explanation(function, names, derivations, is_gradient, backprop, name, layer)


def explain_formula(
    text: str,
    variables: Sequence[str] | None = None,
    wrt: Sequence[str] = (),
    gradient: bool = False,
    at: Sequence[str] = (),
    shapes: Sequence[str] = (),
) -> Explanation:
    """`explain` for a formula in the math input language; raises `ParseError` on bad input.
    `shapes` (`X=n,d` items) make it a function of vectors and matrices."""
    from gradtutor.language.parser import parse

    if not shapes:
        return explain(parse(text, variables), variables, wrt, gradient, at)
    from gradtutor.language.declarations import read_formula

    declared = parse_shapes(shapes)
    names = list(variables) if variables else _free_names(text, declared)
    declarations = Declarations.of(names, declared)
    tree = read_formula(text, declarations).expanded
    return explain(tree, names, wrt, gradient, at, declarations=declarations)


def parse_shapes(items: Sequence[str]) -> dict[str, list[str | int]]:
    """`["X=n,d", "b=k"]` as {X: [n, d], b: [k]}; a whole number is a fixed size."""
    shapes: dict[str, list[str | int]] = {}
    for item in items:
        name, equals, dims = (part.strip() for part in item.partition("="))
        sizes = [d.strip() for d in dims.split(",")] if dims else []
        if not (name.isidentifier() and equals and sizes and all(sizes)):
            raise GradtutorError(
                f"--shape: cannot read {item!r} as NAME=SIZE,SIZE",
                "write the dimensions after the name, as in --shape X=n,d --shape b=k",
            )
        shapes[name] = [int(d) if d.isdigit() else d for d in sizes]
    return shapes


def _free_names(text: str, shapes: dict[str, list[str | int]]) -> list[str]:
    """The variables of a shaped formula typed without --var: every name that is not a size."""
    from gradtutor.language.parser import parse

    dimensions = {d for dims in shapes.values() for d in dims if isinstance(d, str)}
    tree = parse(text, None, dimensions=sorted(dimensions))
    return [name for name in variables_of(tree) if name not in dimensions]


def explain_exercise(
    exercise_id: str,
    path: Path | None = None,
    wrt: Sequence[str] = (),
    gradient: bool = False,
    at: Sequence[str] = (),
) -> Explanation:
    """`explain` for an exercise of the curriculum: by default, the partials it asks."""
    from gradtutor.curriculum.loader import load_collection

    exercise = load_collection(path).get(exercise_id)
    asked = wrt if (wrt or gradient) else exercise.ask
    return explain(
        exercise.tree, exercise.variables, asked, gradient, at, exercise.name,
        exercise.declarations,
    )  # fmt: skip


def explain_request(
    formula: str | None,
    exercise_id: str | None = None,
    path: Path | None = None,
    variables: Sequence[str] | None = None,
    wrt: Sequence[str] = (),
    gradient: bool = False,
    at: Sequence[str] = (),
    shapes: Sequence[str] = (),
) -> Explanation:
    """What `gradtutor explain` asks for: a formula, or an exercise by id (exactly one)."""
    if (formula is None) == (exercise_id is None):
        raise GradtutorError(
            "explain needs a formula or --exercise ID (one of the two)",
            "for example: gradtutor explain '3*(2*x^2)^5' --wrt x",
        )
    if exercise_id is not None:
        return explain_exercise(exercise_id, path, wrt, gradient, at)
    assert formula is not None
    _refuse_an_exercise_id(formula, path)
    return explain_formula(formula, variables, wrt, gradient, at, shapes)


# An exercise id: words joined by hyphens, which also reads as a formula (net − first − weights).
_EXERCISE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*(-[A-Za-z0-9_]+)+")


def _refuse_an_exercise_id(formula: str, path: Path | None) -> None:
    """Refuse a formula that is written exactly as an exercise's id: explaining it as a
    difference of names is never what was meant."""
    if not _EXERCISE_ID.fullmatch(formula):
        return
    from gradtutor.curriculum.loader import load_collection

    try:
        known = {exercise.id for exercise in load_collection(path).exercises}
    except GradtutorError:
        return  # the curriculum cannot be read: the formula is explained as a formula
    if formula in known:
        spaced = formula.replace("-", " - ")
        raise GradtutorError(
            f"'{formula}' is the id of an exercise, and as a formula it would read {spaced}",
            f"to explain the exercise: gradtutor explain --exercise {formula}; "
            f"to differentiate the formula, write it with spaces: gradtutor explain '{spaced}'",
        )
