"""The core of `gradtutor explain`: which partials to derive, and the backward pass at a point.

`explain_formula` reads a formula typed on the command line, `explain_exercise` takes one from the
curriculum; both give an `Explanation`: the derivations (one per partial asked), whether they form
the gradient, and, given `--at`, the backpropagation table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradtutor.calculus.backprop import Backprop, backpropagate, parse_point
from gradtutor.calculus.steps import Derivation, derive
from gradtutor.errors import GradtutorError
from gradtutor.language.expr import Node, to_pretty, variables_of


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

    def to_json(self) -> Any:
        """One derivation as an object, several as a list; with `--at`, the backward pass too."""
        found = [d.to_json() for d in self.derivations]
        derivations: Any = found[0] if len(found) == 1 and not self.gradient else found
        if self.backprop is None:
            return derivations
        if not found:
            return self.backprop.to_json()
        return {"derivations": derivations, "backprop": self.backprop.to_json()}


def explain(
    function: Node,
    variables: Sequence[str] | None = None,
    wrt: Sequence[str] = (),
    gradient: bool = False,
    at: Sequence[str] = (),
    name: str = "f",
) -> Explanation:
    """Derive the partials asked (`wrt`, or every variable for `gradient`) of the function
    called `name` and, given a point (`at`, as NAME=VALUE items), backpropagate through it there.

    With neither `wrt` nor `at`, every partial is derived (the gradient when there are several).
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
    derivations = [derive(function, variable, name=name) for variable in asked]
    backprop = backpropagate(function, parse_point(at, names), name) if at else None
    is_gradient = len(asked) > 1 and asked == names
    return Explanation(function, names, derivations, is_gradient, backprop, name)


def explain_formula(
    text: str,
    variables: Sequence[str] | None = None,
    wrt: Sequence[str] = (),
    gradient: bool = False,
    at: Sequence[str] = (),
) -> Explanation:
    """`explain` for a formula in the math input language; raises `ParseError` on bad input."""
    from gradtutor.language.parser import parse

    return explain(parse(text, variables), variables, wrt, gradient, at)


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
    return explain(exercise.tree, exercise.variables, asked, gradient, at, exercise.name)


def explain_request(
    formula: str | None,
    exercise_id: str | None = None,
    path: Path | None = None,
    variables: Sequence[str] | None = None,
    wrt: Sequence[str] = (),
    gradient: bool = False,
    at: Sequence[str] = (),
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
    return explain_formula(formula, variables, wrt, gradient, at)
