"""One answer checked: `check_answer` for an exercise, `check_inline` for a function typed inline.

The answer is read with the one parser; one that cannot be read is `invalid`. Otherwise the decision
(`checking.decision`) is taken against the work done once per exercise, variable and seed
(`checking.context`). Results are cached by what they depend on, so a class that types the same
answer pays once, and `--jobs` workers hand theirs back through `remember_results`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from gradtutor.calculus.numeric import (
    DEFAULT_INTERVAL,
    evaluate,
    sample_points,
)
from gradtutor.checking.context import (
    ExerciseSpec,
    context_for,
)
from gradtutor.checking.decision import DEFAULT_TIMEOUT, VERDICT_CACHE_SIZE, Decision, decide
from gradtutor.checking.report import (
    Report,
    Result,
    Submission,
)
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.declarations import Declarations, Formula, read_formula, shape_option
from gradtutor.language.expr import Node, to_pretty, variables_of
from gradtutor.language.parser import parse
from gradtutor.language.reading import read_function
from gradtutor.language.shapes import Shape

if TYPE_CHECKING:  # answers files (and YAML) are read only when there are some
    pass

# --- one answer -----------------------------------------------------------------------------------


def check_answer(
    exercise: Any,
    wrt: str,
    answer: str | None,
    *,
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    line: int | None = None,
) -> Result:
    """Check one answer for ∂f/∂`wrt` of `exercise` (an `Exercise` or an `ExerciseSpec`).

    Never raises for the answer; raises `GradtutorError` only for a bad request (`wrt` not a
    variable, a negative seed).
    """
    started = time.perf_counter()
    if seed < 0:
        raise GradtutorError(f"the seed must be 0 or more, not {seed}")
    spec = ExerciseSpec.of(exercise)
    if wrt not in spec.variables:
        raise GradtutorError(
            f"'{wrt}' is not a variable of exercise {spec.id}",
            f"its variables are {', '.join(spec.variables)}",
        )
    if answer is not None and answer.strip():
        key = (spec, spec.points, wrt, answer, seed, timeout)
        known = _results.get(key)
        if known is None:
            checked = _check_text(spec, wrt, answer, seed, timeout)
            known = replace(checked, line=None, seconds=time.perf_counter() - started)
            remember_results([(key, known)])
        # A repeat reports what checking the answer took, not the lookup: the same in any order
        # and with --jobs, whose workers' results are all looked up here.
        return replace(known, line=line)
    return Result(
        exercise=spec.id, wrt=wrt, verdict="missing", points=0.0,
        max_points=spec.points, line=line, message="No answer was given.",
        exercise_set=spec.exercise_set, seconds=time.perf_counter() - started,
        shape=answer_shape_text(spec, wrt),
    )  # fmt: skip


def answer_key(
    exercise: Any, wrt: str, answer: str, *, seed: int = 0, timeout: float = DEFAULT_TIMEOUT
) -> tuple[Any, ...]:
    """What `check_answer`'s result depends on, apart from the answer's line."""
    spec = ExerciseSpec.of(exercise)
    return (spec, spec.points, wrt, answer, seed, timeout)


# Results by `answer_key`: a class types the same answers many times, and `--jobs` workers
# hand back the results of the answers they were given to check.
_results: OrderedDict[tuple[Any, ...], Result] = OrderedDict()


def remember_results(results: Iterable[tuple[tuple[Any, ...], Result]]) -> None:
    for key, result in results:
        _results[key] = result
        if len(_results) > VERDICT_CACHE_SIZE:
            _results.popitem(last=False)


def _check_text(spec: ExerciseSpec, wrt: str, answer: str, seed: int, timeout: float) -> Result:
    started = time.perf_counter()
    result = Result(
        exercise=spec.id,
        wrt=wrt,
        verdict="missing",
        points=0.0,
        max_points=spec.points,
        answer=answer,
        exercise_set=spec.exercise_set,
        shape=answer_shape_text(spec, wrt),
    )
    try:
        formula = read_formula(answer, spec.declarations)
    except ParseError as error:
        message = f"The answer could not be read: {error.message} (column {error.column})."
        if error.hint:
            message += f" Hint: {error.hint}."
        return replace(
            result, verdict="invalid", message=message, error_column=error.column,
            seconds=time.perf_counter() - started,
        )  # fmt: skip
    if spec.declarations.tensor:
        decision = _matrix_decision(spec, wrt, formula, seed, timeout)
    else:
        decision = decide(context_for(spec, wrt, seed, timeout), formula.expanded, timeout)
    return replace(
        result,
        verdict=decision.verdict,
        points=result.max_points if decision.verdict == "correct" else 0.0,
        read_as=to_pretty(formula.tree),
        symbolic=decision.symbolic,
        numeric=decision.numeric,
        message=decision.message,
        diagnosis=decision.diagnosis,
        counterexample=decision.counterexample,
        seconds=time.perf_counter() - started,
    )


def answer_shape_text(spec: ExerciseSpec, wrt: str) -> str | None:
    """The shape of ∂f/∂wrt (`d×k`) for an exercise with shapes, else None (a number)."""
    declarations = spec.declarations
    if not declarations.tensor:
        return None
    function = read_formula(spec.function, declarations).shape
    shape = Shape(function.dims + declarations.shape_of(wrt).dims)
    return None if shape.is_scalar else shape.short()


def _matrix_decision(
    spec: ExerciseSpec, wrt: str, formula: Formula, seed: int, timeout: float
) -> Decision:
    """A vector or matrix answer, entry by entry (`checking.matrix_check`)."""
    from gradtutor.checking.matrix_check import decide_matrix
    from gradtutor.checking.matrix_context import matrix_context

    return decide_matrix(matrix_context(spec, wrt, seed), formula, timeout)


def clear_caches() -> None:
    from gradtutor.checking import context, decision, matrix_check, matrix_context, symbolic_check

    matrix_check.clear_cache()
    matrix_context.clear_caches()
    decision.clear_cache()
    _results.clear()
    context.clear_caches()
    symbolic_check.clear_cache()


# An inline function has no domain of its own: it is sampled on the default interval, widened
# tenfold and a hundredfold when the function is undefined on most of it (log(x − 10)).
_INLINE_WIDENING = (1.0, 10.0, 100.0)
_INLINE_DEFINED_SHARE = 0.25
_INLINE_PROBES = 64


def inline_domain(tree: Node, variables: Sequence[str]) -> tuple[tuple[str, float, float], ...]:
    """The interval of every variable for a function given inline: the first of the default
    interval and its widenings on which the function is defined at a quarter of the points or
    more, else the one where it is defined most (the default one if nowhere)."""
    low, high = DEFAULT_INTERVAL
    best, best_share = 1.0, 0.0
    for factor in _INLINE_WIDENING:
        domain = dict.fromkeys(variables, (low * factor, high * factor))
        points = sample_points(variables, domain, _INLINE_PROBES, seed=0)
        share = float(np.isfinite(evaluate(tree, points)).mean())
        if share > best_share:
            best, best_share = factor, share
        if share >= _INLINE_DEFINED_SHARE:
            break
    return tuple((name, low * best, high * best) for name in sorted(variables))


def check_inline(
    function: str,
    wrt: str | None,
    answer: str,
    variables: Iterable[str] | None = None,
    *,
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    shapes: Sequence[str] = (),
) -> Report:
    """`gradtutor check --function F --wrt x --answer A`: a one-answer report.

    `wrt` may be left out for a function of one variable. Raises `ParseError` for a function
    that cannot be read and `GradtutorError` for a variable that is not one of it.
    """
    if shapes:
        return _check_inline_shaped(
            function, wrt, answer, variables, shapes, seed=seed, timeout=timeout
        )
    request = read_function(function, wrt, list(variables) if variables else None)
    if wrt is None:
        if len(request.variables) != 1:
            raise GradtutorError(
                f"{function} has several variables ({', '.join(request.variables)})",
                "say which partial derivative the answer is with --wrt NAME",
            )
        wrt = request.variables[0]
    # A spec, not an `Exercise`: the one-answer check should not pay for loading pydantic models.
    exercise = ExerciseSpec(
        id="function",
        function=function,
        variables=tuple(request.variables),
        domain=inline_domain(request.tree, request.variables),
        tree=request.tree,
    )
    result = check_answer(exercise, wrt, answer, seed=seed, timeout=timeout)
    if result.verdict in ("correct", "incorrect"):
        # Only --reveal shows it; an inline function has no exercise to derive it from later.
        reference = context_for(exercise, wrt, seed, timeout).reference_text
        result = replace(result, reference=reference)
    return Report(seed, [Submission("(inline)", None, [result])])


def checked_reference(exercise: Any, wrt: str, seed: int) -> str | None:
    """The derivative the checker compared answers with, printed (for `--reveal`); None for
    vectors and matrices, or out of reach."""
    spec = ExerciseSpec.of(exercise)
    if spec.declarations.tensor:
        return None
    return context_for(spec, wrt, seed, DEFAULT_TIMEOUT).reference_text


def _check_inline_shaped(
    function: str,
    wrt: str | None,
    answer: str,
    variables: Iterable[str] | None,
    shapes: Sequence[str],
    *,
    seed: int,
    timeout: float,
) -> Report:
    """An inline check with `--shape X=n,d`: the variables are every free name (or `--var`)."""
    declared = dict(shape_option(text) for text in shapes)
    dimensions = [d for dims in declared.values() for d in dims if isinstance(d, str)]
    tree = parse(function, list(variables) if variables else None, dimensions=dimensions)
    names = list(variables) if variables else variables_of(tree)
    for name in declared:
        if name not in names:
            raise GradtutorError(
                f"--shape gives a shape for '{name}', which is not a variable of {function}",
                f"its variables are {', '.join(names) or 'none'}",
            )
        if name in dimensions:
            raise GradtutorError(
                f"'{name}' is both a variable and a dimension", "give the dimension its own name"
            )
    shape = read_formula(function, Declarations.of(names, declared)).shape
    if shape.rank > 1:
        raise GradtutorError(
            f"{function} is {shape.described()}; gradtutor differentiates a number or a vector",
            "sum it into a number, for example sum(G ⊙ (X @ W))",
        )
    if wrt is None:
        if len(names) != 1:
            raise GradtutorError(
                f"{function} has several variables ({', '.join(names)})",
                "say which derivative the answer is with --wrt NAME",
            )
        wrt = names[0]
    if wrt not in names:
        raise GradtutorError(
            f"'{wrt}' is not a variable of {function}", f"its variables are {', '.join(names)}"
        )
    exercise = ExerciseSpec(
        id="function",
        function=function,
        variables=tuple(names),
        domain=(),
        shapes=tuple(declared.items()),
    )
    result = check_answer(exercise, wrt, answer, seed=seed, timeout=timeout)
    return Report(seed, [Submission("(inline)", None, [result])])
