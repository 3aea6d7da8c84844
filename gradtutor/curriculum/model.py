"""The exercise model: what an exercise, a set and a collection are, once read and checked.

`Exercise` is frozen (pydantic), so the loader (`curriculum.loader`) is the only place that makes
one from a file; `exercise_from_function` makes one on the spot from a formula typed at the command
line. `RULES` is the vocabulary of rules an exercise may practise, named as the step engine names
them.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict

from gradtutor.errors import GradtutorError
from gradtutor.language.declarations import Declarations, read_formula
from gradtutor.language.expr import Node, to_pretty
from gradtutor.language.reading import read_function
from gradtutor.language.shapes import Shape

DEFAULT_INTERVAL = (-3.0, 3.0)

# The rules of differentiation, named as the step engine names them.
RULES: tuple[str, ...] = (
    "constant",
    "variable",
    "held-constant",
    "constant-multiple",
    "sum",
    "power",
    "product",
    "quotient",
    "chain",
    "exp",
    "log",
    "trig",
    "inverse-trig",
    "hyperbolic",
    "sigmoid",
    "abs",
    "max",
    "min",
    "relu",
    "indicator",
    "general-power",
    # Vectors and matrices: the backward pass of a layer (`calculus.layer_steps`).
    "matrix-product",
    "transpose",
    "elementwise",
    "broadcast-sum",
    "jacobian",
)


# --- the model ------------------------------------------------------------------------------------


class Exercise(BaseModel):
    """One exercise: a function, the partial derivatives asked of it, and help along the way."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    prompt: str
    function: str
    variables: list[str]
    ask: list[str]
    domain: dict[str, tuple[float, float]]
    hints: list[str] = []
    points: float = 1.0  # per partial derivative asked
    rules: list[str] = []
    name: str = "f"  # what the function is called in questions: ∂L/∂x for name L
    set: str = ""
    source: str | None = None  # the file it was read from
    line: int | None = None  # where it starts in that file
    # Per-student variants (curriculum.variants): `params` are the declared integer ranges,
    # `template` the function as written with them, `variant` the values that give `function`;
    # `prompt_template` and `hint_templates` the texts as written, with `{name}` placeholders.
    params: dict[str, tuple[int, int]] = {}
    template: str | None = None
    prompt_template: str | None = None
    hint_templates: list[str] = []
    variant: dict[str, int] = {}
    # Vectors and matrices: the dimensions of each non-scalar variable (`X: [n, d]`), and named
    # intermediates usable in the function, prompts, hints and answers (`z: w*x + b`).
    shapes: dict[str, list[str | int]] = {}
    where: dict[str, str] = {}

    @cached_property
    def declarations(self) -> Declarations:
        """How formulas of this exercise read: its variables, shapes and intermediates."""
        return Declarations.of(self.variables, self.shapes, self.where)

    @cached_property
    def tree(self) -> Node:
        """The function as an expression tree of the variables (parsed once)."""
        return read_formula(self.function, self.declarations).expanded

    @property
    def function_shape(self) -> Shape:
        return read_formula(self.function, self.declarations).shape

    def answer_shape(self, wrt: str) -> Shape:
        """The shape of ∂f/∂wrt: wrt's for a number f; [len f, len wrt] (the Jacobian) for a
        vector f."""
        return Shape(self.function_shape.dims + self.declarations.shape_of(wrt).dims)

    @property
    def written(self) -> Node:
        """The function as written, intermediates by name and products settled (for people)."""
        return read_formula(self.function, self.declarations).tree

    def declared_texts(self) -> list[tuple[str, str]]:
        """`("shapes", "X: n×d, W: d×k")` and `("where", "Z = X @ W + b")`, when declared."""
        texts: list[tuple[str, str]] = []
        if self.shapes:
            shown = ", ".join(
                f"{name}: {Shape(tuple(dims)).short()}" for name, dims in self.shapes.items()
            )
            texts.append(("shapes", shown))
        for name, formula in self.declarations.definitions.items():
            texts.append(("where", f"{name} = {to_pretty(formula.tree)}"))
        return texts

    def shape_text(self, wrt: str) -> str | None:
        """`d×k` for a matrix answer, `k` for a vector, None for a number."""
        shape = self.answer_shape(wrt)
        return None if shape.is_scalar else shape.short()

    @property
    def max_points(self) -> float:
        return self.points * len(self.ask)

    def for_student(self, student: str | None, secret: str | None = None) -> Exercise:
        """This student's variant (the base one without a student); see `curriculum.variants`."""
        from gradtutor.curriculum.variants import for_student

        return for_student(self, student, secret)

    def to_json(self) -> dict[str, Any]:
        """The summary `gradtutor list --format json` gives of each exercise."""
        return {
            "id": self.id,
            "set": self.set,
            "title": self.title,
            "function": self.function,
            "ask": list(self.ask),
            "rules": list(self.rules),
            "points": self.points,
            **self.shapes_json(),
            "name": self.name,
        }

    def shapes_json(self) -> dict[str, Any]:
        """`{"shapes": {W: "d×k"}}`: each asked derivative's shape, for an exercise with shapes."""
        if not self.declarations.tensor:
            return {}
        return {"shapes": {wrt: self.answer_shape(wrt).short() for wrt in self.ask}}

    @property
    def place(self) -> str:
        """`file:line` where the exercise is written, or its id when it has no file."""
        if self.source is None:
            return self.id
        return f"{self.source}:{self.line}" if self.line is not None else self.source


class ExerciseSet(BaseModel):
    """The exercises of one file, in the order written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    order: int | None = None
    description: str | None = None
    exercises: list[Exercise]
    source: str | None = None


class Collection(BaseModel):
    """Every set of a file or folder, in curriculum order; ids are unique across it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sets: list[ExerciseSet]
    source: str | None = None

    @property
    def exercises(self) -> list[Exercise]:
        return [exercise for exercise_set in self.sets for exercise in exercise_set.exercises]

    def get(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise UnknownExercise(exercise_id, [exercise.id for exercise in self.exercises])

    def get_set(self, set_id: str) -> ExerciseSet:
        for exercise_set in self.sets:
            if exercise_set.id == set_id:
                return exercise_set
        known = [exercise_set.id for exercise_set in self.sets]
        raise UnknownSet(set_id, known)


# --- errors ---------------------------------------------------------------------------------------


def close_match_hint(name: str, known: Sequence[str], listing: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? {listing}" if close else listing


class UnknownExercise(GradtutorError):
    """An exercise id that the collection does not have."""

    def __init__(self, exercise_id: str, known: Sequence[str]) -> None:
        hint = close_match_hint(exercise_id, known, "`gradtutor list` shows every exercise id")
        super().__init__(f"there is no exercise '{exercise_id}'", hint)
        self.exercise_id = exercise_id


class UnknownSet(GradtutorError):
    """A set id that the collection does not have."""

    def __init__(self, set_id: str, known: Sequence[str]) -> None:
        hint = close_match_hint(set_id, known, f"the sets are: {', '.join(known)}")
        super().__init__(f"there is no set '{set_id}'", hint)
        self.set_id = set_id


# --- ad-hoc exercises -----------------------------------------------------------------------------


def exercise_from_function(
    function: str,
    wrt: str | Sequence[str] | None = None,
    variables: Sequence[str] | None = None,
) -> Exercise:
    """An exercise made on the spot from a formula (`check --function`, `explain EXPR`).

    Raises `ParseError` when the formula does not parse and `GradtutorError` when `wrt` names
    something that is not a variable of it.
    """
    request = read_function(function, wrt, variables)
    exercise = Exercise(
        id="function",
        title=function,
        prompt=f"Differentiate f = {function}.",
        function=function,
        variables=request.variables,
        ask=request.ask,
        domain=dict.fromkeys(request.variables, DEFAULT_INTERVAL),
    )
    exercise.__dict__["tree"] = request.tree  # already parsed: seed the cache
    return exercise
