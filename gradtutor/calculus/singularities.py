"""Where a function is undefined inside the domain of one of its variables, found by SymPy.

`gradtutor validate` warns an author about a pole such as `1/x` at 0 on the default domain
[-3, 3]: the checker skips sample points where the function is undefined, so the exercise still
works, but such a domain is usually an oversight. The sampling check of `validate` finds a domain
that is mostly undefined; a single point (or a thin stretch) slips between the samples, and this
module finds it exactly.

Each piece of the function that can be undefined is looked at on its own: a denominator or a
negative power (where its base is 0), a fractional power (where its base is negative), a
logarithm (where its argument is not positive), `asin`/`acos` (outside [-1, 1]), `tan`/`sec` and
`cot`/`csc` (where the cosine or the sine is 0). A piece is solved for one variable over that
variable's interval only when it depends on that variable alone, so every point found is
undefined whatever the other variables are ("one variable at a time"). Solving is bounded: small
pieces only, each within a time budget; what SymPy cannot solve cheaply is left out, so the
result may miss points but never invents one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gradtutor.calculus.budget import Budget, BudgetExceeded
from gradtutor.language.expr import Node

# Pieces bigger than this (in SymPy operations) are not solved: solving could take long.
MAX_PIECE_OPERATIONS = 30
# Wall time for the whole analysis of one function, and for one piece of it.
TOTAL_SECONDS = 1.0
PIECE_SECONDS = 0.25


@dataclass(frozen=True)
class Undefined:
    """Where the function is undefined inside `interval`, the domain of `variable`.

    `points` are isolated points strictly inside the interval; `stretches` are intervals of
    positive length (within the domain) where it is undefined.
    """

    variable: str
    interval: tuple[float, float]
    points: tuple[float, ...]
    stretches: tuple[tuple[float, float], ...]


def undefined_inside(
    tree: Node,
    domain: Mapping[str, tuple[float, float]],
    *,
    seconds: float = TOTAL_SECONDS,
    piece_seconds: float = PIECE_SECONDS,
) -> list[Undefined]:
    """For each variable of `domain`, where the function `tree` is undefined inside its interval.

    Variables where nothing was found are left out. Without a way to stop SymPy (a thread other
    than the main one), nothing is solved and the answer is empty. `seconds` bounds the whole
    analysis and `piece_seconds` each condition solved.
    """
    budget = Budget(seconds)
    if not budget.interruptible:
        return []
    from gradtutor.calculus.symbolic import to_sympy

    try:
        with budget.limit():
            conditions = list(_conditions(to_sympy(tree)))
    except (Exception, BudgetExceeded):
        return []
    found = []
    for variable, interval in domain.items():
        undefined = _undefined_for(variable, interval, conditions, budget, piece_seconds)
        if undefined is not None:
            found.append(undefined)
    return found


# --- the pieces that can be undefined -------------------------------------------------------------

# A condition (g, relation) says: the function is undefined where `g relation 0`
# ("=": g = 0, "<": g < 0, "<=": g <= 0, "|>1|": |g| > 1).
Condition = tuple[Any, str]


def _pieces(expression: Any) -> Iterator[Any]:
    """Every subexpression, except the conditions of a piecewise function (an indicator): a
    comparison with an undefined side is just false there (`[x > 1/x]` is 0 at x = 0)."""
    import sympy

    yield expression
    if isinstance(expression, sympy.Piecewise):
        children = [branch for branch, _condition in expression.args]
    else:
        children = list(expression.args)
    for child in children:
        yield from _pieces(child)


def _conditions(expression: Any) -> Iterator[Condition]:
    import sympy

    for piece in _pieces(expression):
        if isinstance(piece, sympy.Pow):
            base, exponent = piece.args
            if exponent.is_number and exponent.is_negative:
                yield from _zeros(base)
            if exponent.is_number and not exponent.is_integer:
                yield base, "<"
        elif isinstance(piece, sympy.log):
            yield piece.args[0], "<="
        elif isinstance(piece, (sympy.asin, sympy.acos)):
            yield piece.args[0], "|>1|"
        elif isinstance(piece, (sympy.tan, sympy.sec)):
            yield sympy.cos(piece.args[0]), "="
        elif isinstance(piece, (sympy.cot, sympy.csc)):
            yield sympy.sin(piece.args[0]), "="


def _zeros(expression: Any) -> Iterator[Condition]:
    """A product is 0 where one of its factors is: each factor alone (x·y is 0 at x = 0)."""
    import sympy

    for factor in sympy.Mul.make_args(expression):
        if isinstance(factor, sympy.Pow) and factor.exp.is_number and factor.exp.is_positive:
            factor = factor.base
        if not factor.is_number:
            yield factor, "="


# --- solving, one variable at a time ------------------------------------------------------------


def _undefined_for(
    variable: str,
    interval: tuple[float, float],
    conditions: Sequence[Condition],
    budget: Budget,
    piece_seconds: float,
) -> Undefined | None:
    import sympy

    from gradtutor.calculus.symbolic import symbol

    name = symbol(variable)
    low, high = interval
    span = sympy.Interval(sympy.nsimplify(low), sympy.nsimplify(high))
    points: set[float] = set()
    stretches: list[tuple[float, float]] = []
    for expression, relation in conditions:
        if expression.free_symbols != {name} or sympy.count_ops(expression) > MAX_PIECE_OPERATIONS:
            continue
        if budget.expired():
            break
        try:
            with budget.limit(piece_seconds):
                solution = _solve(expression, relation, name, span)
                parts = _parts(solution, low, high)
        except (Exception, BudgetExceeded):
            continue  # not solvable cheaply: leave it out
        if parts is not None:
            points.update(parts[0])
            stretches.extend(parts[1])
    stretches = _merged(stretches)
    lone = tuple(sorted(p for p in points if not any(a <= p <= b for a, b in stretches)))
    if not lone and not stretches:
        return None
    return Undefined(variable, interval, lone, tuple(stretches))


def _solve(expression: Any, relation: str, name: Any, span: Any) -> Any:
    import sympy

    if relation == "=":
        return sympy.solveset(sympy.Eq(expression, 0), name, span)
    if relation == "<":
        return sympy.solveset(expression < 0, name, span)
    if relation == "<=":
        return sympy.solveset(expression <= 0, name, span)
    return sympy.Union(
        sympy.solveset(expression > 1, name, span), sympy.solveset(expression < -1, name, span)
    )


def _parts(
    solution: Any, low: float, high: float
) -> tuple[list[float], list[tuple[float, float]]] | None:
    """Isolated points strictly inside (low, high), and stretches of positive length; None when
    the solution is not a plain union of points and intervals (an unsolved condition set)."""
    import sympy

    pieces = solution.args if isinstance(solution, sympy.Union) else (solution,)
    points: list[float] = []
    stretches: list[tuple[float, float]] = []
    for piece in pieces:
        if piece is sympy.S.EmptySet:
            continue
        if isinstance(piece, sympy.FiniteSet):
            values = [float(point) for point in piece.args]  # raises for a symbolic point
            points.extend(value for value in values if low < value < high)
        elif isinstance(piece, sympy.Interval):
            start, end = max(float(piece.start), low), min(float(piece.end), high)
            if end > start:
                stretches.append((start, end))
        else:
            return None
    return points, stretches


def _merged(stretches: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(stretches):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
