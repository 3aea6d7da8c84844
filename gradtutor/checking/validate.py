"""`gradtutor validate`: everything the loader checks, then each exercise, numerically, for authors.

Each function must be defined at most sample points of its domain, and SymPy's derivative must
agree there with finite differences of the function; this catches a domain that misses where the
function is defined. Points inside a domain where SymPy finds the function undefined are warnings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradtutor.curriculum.loader import Problem, exercise_files, load_paths
from gradtutor.curriculum.model import Exercise
from gradtutor.curriculum.yamlnodes import YamlMapping
from gradtutor.errors import GradtutorError
from gradtutor.language.expr import Node

VALIDATION_SAMPLES = 64
# A function may be undefined on a thin set (a pole, a kink); beyond this share of sample points
# the domain is probably wrong.
MAX_UNDEFINED_SHARE = 0.1
# SymPy's derivative and the finite differences must agree to this relative tolerance, on top of
# the difference's own error estimate.
AGREEMENT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Validation:
    """What `validate_paths` found: every problem and warning, and what was checked.

    A warning (a point inside a domain where the function is undefined) does not fail a
    validation unless it is `strict`: the checker skips such points, so the exercise works.
    """

    problems: list[Problem]
    files: int
    sets: int
    exercises: int
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    strict: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not (self.strict and self.warnings)


def validate_paths(
    paths: Sequence[Path],
    *,
    seed: int = 0,
    samples: int = VALIDATION_SAMPLES,
    strict: bool = False,
) -> Validation:
    """Everything the loader checks, and then, numerically, each valid exercise.

    Each function must be defined at most sample points of its domain, and SymPy's derivative must
    agree there with finite differences of the function. An exercise that passes is warned about
    where SymPy finds its function undefined inside its domain (`strict`: warnings fail too).
    Raises `UnreadableExercises`.
    """
    loaded = load_paths(paths)
    problems = list(loaded.problems)
    warnings: list[Problem] = []
    for read in loaded.sets:
        for exercise in read.set.exercises:
            node = read.nodes[exercise.id]
            if exercise.declarations.tensor:
                problems.extend(_matrix_problems(exercise, node, read.file, seed))
                continue
            found = list(_numeric_problems(exercise, node, read.file, seed, samples))
            problems.extend(found)
            if not found:
                warnings.extend(_domain_warnings(exercise, node, read.file))
    files = len({file.resolve() for path in paths for file in exercise_files(path)})
    exercises = sum(len(read.set.exercises) for read in loaded.sets)
    return Validation(problems, files, len(loaded.sets), exercises, warnings, strict)


def _domain_warnings(exercise: Exercise, node: YamlMapping, file: Path) -> Iterator[Problem]:
    """Points (or thin stretches) of the domain where the function is undefined."""
    from gradtutor.calculus.singularities import undefined_inside

    at = (node.key_node("domain") or node.get("function") or node).start
    for undefined in undefined_inside(exercise.tree, exercise.domain):
        name = undefined.variable
        places = [f"at {name} = {_short(point)}" for point in undefined.points]
        places += [f"for {name} in [{_short(a)}, {_short(b)}]" for a, b in undefined.stretches]
        low, high = undefined.interval
        one = len(places) == 1 and not undefined.stretches
        yield Problem(
            str(file),
            at.line,
            at.column,
            f"exercise '{exercise.id}': f is undefined {_joined(places)}, inside the domain "
            f"[{_short(low)}, {_short(high)}]; the checker skips such points, but consider a "
            f"domain that excludes {'it' if one else 'them'}",
        )


def _short(value: float) -> str:
    return f"{value + 0.0:.4g}"  # + 0.0: no "-0"


def _joined(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _numeric_problems(
    exercise: Exercise, node: YamlMapping, file: Path, seed: int, samples: int
) -> Iterator[Problem]:
    import numpy as np

    from gradtutor.calculus.numeric import evaluate, sample_points

    points = sample_points(exercise.variables, exercise.domain, samples, seed)
    defined = np.isfinite(evaluate(exercise.tree, points))
    domain_node = node.key_node("domain") or node.get("function") or node
    at = domain_node.start
    undefined = int(samples - defined.sum())
    if undefined > MAX_UNDEFINED_SHARE * samples:
        example = _point_text(points, int(np.flatnonzero(~defined)[0]))
        yield Problem(
            str(file),
            at.line,
            at.column,
            f"exercise '{exercise.id}': the function is undefined at {undefined} of {samples} "
            f"sample points of its domain, e.g. at {example}",
            _narrowing_hint(exercise, points, defined),
        )
        return
    for wrt in exercise.ask:
        message = _derivative_disagreement(exercise, wrt, points, defined)
        if message is not None:
            yield Problem(
                str(file),
                at.line,
                at.column,
                f"exercise '{exercise.id}': {message}",
                "keep 'domain' inside the region where the function is defined and smooth",
            )


def _matrix_problems(
    exercise: Exercise, node: YamlMapping, file: Path, seed: int
) -> Iterator[Problem]:
    """An exercise with shapes, checked as its answers will be (`checking.matrix_check`)."""
    from gradtutor.checking.context import ExerciseSpec
    from gradtutor.checking.matrix_context import matrix_context

    at = (node.key_node("domain") or node.get("function") or node).start
    for wrt in exercise.ask:
        message = matrix_context(ExerciseSpec.of(exercise), wrt, seed).self_check()
        if message is not None:
            yield Problem(
                str(file),
                at.line,
                at.column,
                f"exercise '{exercise.id}': {message}",
                "keep 'domain' inside the region where the function is defined and smooth",
            )


def _reference_derivative(tree: Node, wrt: str) -> Node:
    """The checker's ∂tree/∂wrt (right on max/min tie intervals, DiracDelta taken as 0 off the
    kinks, the only places sampled), as a tree that `gradtutor.calculus.numeric` evaluates."""
    from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
    from gradtutor.checking.symbolic_check import derivative

    return from_sympy(derivative(to_sympy(tree), symbol(wrt)))


def _derivative_disagreement(
    exercise: Exercise, wrt: str, points: dict[str, Any], defined: Any
) -> str | None:
    """Why SymPy's ∂f/∂wrt and finite differences of f disagree on the samples, or None."""
    import numpy as np

    from gradtutor.calculus.numeric import evaluate, finite_differences

    try:
        exact = evaluate(_reference_derivative(exercise.tree, wrt), points)
    except GradtutorError as error:
        return f"SymPy's ∂{exercise.name}/∂{wrt} cannot be evaluated: {error.message}"
    estimate = finite_differences(exercise.tree, wrt, points)
    undefined = defined & ~np.isfinite(exact)
    if undefined.sum() > MAX_UNDEFINED_SHARE * len(defined):
        example = _point_text(points, int(np.flatnonzero(undefined)[0]))
        return (
            f"∂{exercise.name}/∂{wrt} is undefined at {int(undefined.sum())} sample points where "
            "the function "
            f"is defined, e.g. at {example}"
        )
    usable = estimate.usable & np.isfinite(exact)
    tolerance = AGREEMENT_TOLERANCE * np.maximum(1.0, np.abs(exact)) + 10 * estimate.error
    wrong = usable & (np.abs(exact - estimate.values) > tolerance)
    if not wrong.any():
        return None
    first = int(np.flatnonzero(wrong)[0])
    return (
        f"SymPy's ∂{exercise.name}/∂{wrt} disagrees with finite differences of the function at "
        f"{int(wrong.sum())} of {int(usable.sum())} sample points, e.g. at "
        f"{_point_text(points, first)}: {exact[first]:.6g} against {estimate.values[first]:.6g}"
    )


def _narrowing_hint(exercise: Exercise, points: Mapping[str, Any], defined: Any) -> str:
    """Advice to narrow the domain, with the range of each variable where f was defined."""
    ranges = []
    for name in exercise.variables:
        low, high = exercise.domain[name]
        values = points[name][defined]
        if len(values) and values.max() - values.min() < 0.9 * (high - low):
            ranges.append(f"{name} from {values.min():.3g} to {values.max():.3g}")
    found = f" (defined at the samples with {', '.join(ranges)})" if ranges else ""
    return f"narrow 'domain' to where the function is defined{found}, e.g. domain: {{x: [0.1, 3]}}"


def _point_text(points: Mapping[str, Any], index: int) -> str:
    return ", ".join(f"{name} = {float(values[index]):.4g}" for name, values in points.items())
