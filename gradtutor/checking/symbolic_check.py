"""The symbolic half of the verdict: is the answer SymPy's derivative, as a function of real inputs?

Cheap proofs first: the difference is zero as built, after `expand`, after `cancel`; then, when
kinks are involved, a case analysis on the sides of every kink; `simplify` last, and only when the
caller says the budget is worth spending (`thorough`). Each step runs under the time budget, and
`expand`/`cancel` are skipped when a size estimate says they would build a huge polynomial (so that
`(x + y + 1)^1000` costs nothing even where no alarm can stop SymPy).

Kinks and the tie convention: an answer may differ from the derivative on the set where the
derivative does not exist (`1(x > 0)` against `1(x >= 0)` for relu). The case analysis proves
equality on every open region between kink loci; it counts as a proof only when each locus it
relies on is a kink locus of the *function* (a boundary written by the answer elsewhere would be a
real difference at points where the derivative exists), and only when no locus is 0 on a whole
region (a tie of max/min arguments that SymPy does not see), which the analysis would skip.

The reference itself comes from `derivative`: SymPy's, with each max/min first written to follow
exactly one argument at every point, so that it is right on tie intervals.

Never `Expr.equals`: it substitutes 0 first and so rejects indicator answers.
"""

from __future__ import annotations

import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import sympy
from sympy.core.relational import Relational

from gradtutor.calculus.budget import Budget, BudgetExceeded
from gradtutor.checking.symbolic_outcome import EQUAL, TIMEOUT, UNDECIDED, SymbolicOutcome

# expand() and cancel() are skipped when their result would have more terms than this.
MAX_EXPANDED_TERMS = 2000
# The case analysis tries 2^n sign patterns; beyond this many loci it is not attempted.
MAX_KINK_LOCI = 5
# A locus this close to 0 (in 30 digits) at a generic point is 0 on a whole region.
PROBE_ZERO = 1e-20
_PROBE = sympy.Rational(7131, 10000)
_PROBE_STEP = sympy.Rational(5437, 10000)

_KINKED = (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min)


def without_dirac(expr: sympy.Expr) -> sympy.Expr:
    """The derivative off its kink set: DiracDelta (from differentiating a step) is 0 there."""
    deltas = expr.atoms(sympy.DiracDelta)
    return expr.xreplace(dict.fromkeys(deltas, sympy.Integer(0))) if deltas else expr


def derivative(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """∂expr/∂variable, right wherever it exists, tie intervals of max/min included.

    SymPy differentiates Max(a, b) to a′·Heaviside(a − b) + b′·Heaviside(b − a): on an interval
    where a = b (max(x, |x|) for x > 0) that follows both arguments by half, or neither, and the
    slope comes out wrong. Each max/min is first written to follow exactly one argument at every
    point (`one_selected`); off the kink set, DiracDelta is 0.
    """
    return without_dirac(sympy.diff(one_selected(expr, variable), variable))


def one_selected(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """`expr` with each max/min that moves with `variable` as a sum of its arguments, each times a
    product of steps that selects exactly one argument at every point.

    Wherever the max is differentiable, every tied argument has its slope, so following any one
    of them is right. At a tie the argument without `variable` is followed (then the first in
    SymPy's order): max(x, 0) gives heaviside(x) and ∂max(x, y)/∂x gives heaviside(x − y), the
    chapter's 1(x > y), with gradtutor's heaviside(0) = 0 (`Heaviside(u, 0)`).
    """
    if not expr.has(sympy.Max, sympy.Min):
        return expr
    return expr.replace(
        lambda node: isinstance(node, sympy.Max | sympy.Min) and variable in node.free_symbols,
        lambda node: _selection(node, variable),
    )


def _selection(extreme: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    arguments = sorted(extreme.args, key=lambda argument: variable in argument.free_symbols)
    sign = 1 if isinstance(extreme, sympy.Max) else -1

    def beats(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        """1 where `a` is strictly more extreme than `b`, else 0 (a tie included)."""
        return sympy.Heaviside(sign * (a - b), 0)

    terms = []
    for i, argument in enumerate(arguments):
        # Selected: strictly better than every argument before it, not beaten by one after it.
        steps = [beats(argument, other) for other in arguments[:i]]
        steps += [1 - beats(other, argument) for other in arguments[i + 1 :]]
        terms.append(argument * sympy.Mul(*steps))
    return sympy.Add(*terms)


def kink_loci(expr: sympy.Expr) -> frozenset[sympy.Expr]:
    """Canonical expressions p whose zero sets hold the kinks of `expr` (p = 0 at a kink)."""
    rewritten = _as_piecewise(expr)
    return frozenset(_locus(r)[1] for r in _relations(rewritten))


# Outcomes already found, by (answer, reference, loci, thorough, interruptible). Answers that
# SymPy reads as one expression (2z − 2y and −2y + 2z, (2(x + y))/2 and x + y) are compared
# once: a class writes few forms that differ after SymPy's own evaluation. Timeouts are not kept,
# so that a later answer gets its own budget.
_outcomes: OrderedDict[tuple[Any, ...], SymbolicOutcome] = OrderedDict()
_OUTCOMES_KEPT = 4096


def compare(
    answer: sympy.Expr,
    reference: sympy.Expr,
    loci: frozenset[sympy.Expr],
    budget: Budget,
    *,
    thorough: bool = False,
) -> SymbolicOutcome:
    """Compare `answer` with `reference` (the derivative) within `budget`.

    `loci` are the kink loci of the function; `thorough` allows `simplify` with what is left of
    the budget. "different" is returned only for a difference that is a nonzero number.
    """
    if budget.expired():
        return TIMEOUT
    key = (answer, reference, loci, thorough, budget.interruptible)
    outcome = _outcomes.get(key)
    if outcome is None:
        outcome = _compare_within(answer, reference, loci, budget, thorough)
        if outcome.result != "timeout":
            _outcomes[key] = outcome
            if len(_outcomes) > _OUTCOMES_KEPT:
                _outcomes.popitem(last=False)
    return outcome


def clear_cache() -> None:
    _outcomes.clear()


def _compare_within(
    answer: sympy.Expr,
    reference: sympy.Expr,
    loci: frozenset[sympy.Expr],
    budget: Budget,
    thorough: bool,
) -> SymbolicOutcome:
    try:
        with budget.limit():
            return _compare(answer, reference, loci, budget, thorough)
    except BudgetExceeded:
        return TIMEOUT
    except Exception:
        # A SymPy rewrite gave up (polynomial errors, unsupported cases: many unrelated types):
        # that proves nothing either way, and the values still decide.
        return UNDECIDED


def _compare(
    answer: sympy.Expr,
    reference: sympy.Expr,
    loci: frozenset[sympy.Expr],
    budget: Budget,
    thorough: bool,
) -> SymbolicOutcome:
    difference = answer - reference
    if difference == 0:
        return EQUAL
    small = expansion_size(difference) <= MAX_EXPANDED_TERMS
    steps: list[tuple[str, Callable[[sympy.Expr], sympy.Expr]]]
    if not small:
        # Too large to expand: factor_terms pulls out common factors without expanding.
        steps = [("factor", sympy.factor_terms)]
    elif _has_denominator(difference):
        # Over one denominator, a numerator that expands to 0 is the same proof as cancel()'s,
        # at a fraction of its cost (no polynomial gcd); cancel() is left for the rest. Plain
        # expand() proves nothing here that these do not.
        steps = [("cancel", _numerator_expanded), ("cancel", sympy.cancel)]
    else:
        # Without a quotient, cancel() would only expand (and it is slow on Piecewise). A
        # difference that factor_terms shows to be 0 also expands to 0, and expand() is the
        # faster of the two on the small differences a class writes.
        steps = [("expand", sympy.expand)]
    for name, step in steps:
        reduced = step(difference)
        if reduced == 0:
            return SymbolicOutcome("equal", name)
        if reduced.is_number and reduced.is_zero is False:
            return SymbolicOutcome("different", name)
    if difference.has(*_KINKED, sympy.Piecewise) and small:
        outcome = _by_cases(answer, reference, loci)
        if outcome is not None:
            return outcome
    if thorough and budget.interruptible:
        if sympy.simplify(difference) == 0:
            return SymbolicOutcome("equal", "simplify")
        if sympy.simplify(_as_piecewise(difference)) == 0:
            return SymbolicOutcome("equal", "simplify")
    return UNDECIDED


def _numerator_expanded(expr: sympy.Expr) -> sympy.Expr:
    """`expr` over a common denominator, with its numerator expanded."""
    numerator, denominator = sympy.fraction(sympy.together(expr))
    return sympy.expand(numerator) / denominator


def _has_denominator(expr: sympy.Expr) -> bool:
    """Whether a power that may be negative (a quotient) appears anywhere in `expr`."""
    return any(power.exp.is_nonnegative is not True for power in expr.atoms(sympy.Pow))


# --- cost estimate --------------------------------------------------------------------------------


def expansion_size(expr: sympy.Basic) -> int:
    """An upper estimate of how many terms `expand(expr)` builds, capped just past the limit."""
    cap = MAX_EXPANDED_TERMS + 1
    if not expr.args:
        return 1
    if expr.is_Add:
        return min(cap, sum(expansion_size(a) for a in expr.args))
    if expr.is_Mul:
        return min(cap, math.prod(expansion_size(a) for a in expr.args))
    if expr.is_Pow:
        base, exponent = expr.args
        terms = expansion_size(base)
        if exponent.is_Integer and abs(int(exponent)) > 1 and terms > 1:
            # Monomials of degree n in k terms: C(n + k − 1, k − 1).
            n = abs(int(exponent))
            return min(cap, math.comb(n + terms - 1, terms - 1))
        return min(cap, terms * expansion_size(exponent))
    # A function is one term, but expand() works inside its arguments.
    return max(expansion_size(a) for a in expr.args)


# --- case analysis on the sides of the kinks ------------------------------------------------------


def _as_piecewise(expr: sympy.Expr) -> sympy.Expr:
    if not expr.has(*_KINKED):
        return expr
    return expr.rewrite(sympy.Piecewise)


def _relations(expr: sympy.Basic) -> set[Relational]:
    return {r for r in expr.atoms(Relational) if not _locus(r)[1].is_number}


def _locus(relation: Relational) -> tuple[int, sympy.Expr]:
    """(s, p) with lhs − rhs = c·p: c a constant of sign s, p canonical (primitive, sign fixed)."""
    content, primitive = sympy.expand(relation.lhs - relation.rhs).as_content_primitive()
    sign = 1 if content > 0 else -1
    if primitive.could_extract_minus_sign():
        return -sign, -primitive
    return sign, primitive


def _truth(relation: Relational, side: int) -> bool:
    """Whether `relation` holds where its locus has sign `side` (±1, off the locus itself)."""
    if isinstance(relation, sympy.Eq):
        return False
    if isinstance(relation, sympy.Ne):
        return True
    sign, _ = _locus(relation)
    positive = sign * side > 0
    return positive if isinstance(relation, (sympy.Gt, sympy.Ge)) else not positive


def _contained(locus: sympy.Expr, loci: Iterable[sympy.Expr]) -> bool:
    """Whether the zero set of `locus` lies inside the zero set of one of `loci`."""
    symbols = locus.free_symbols
    for kink in loci:
        if kink == locus:
            return True
        _, denominator = sympy.fraction(sympy.cancel(kink / locus))
        if not (denominator.free_symbols & symbols) and denominator != 0:
            return True
    return False


@lru_cache(maxsize=1024)
def _fills_a_region(locus: sympy.Expr) -> bool:
    """Whether `locus` may be 0 on a whole region, not only on a thin set between regions.

    The case analysis never looks at the zero set of a locus: that is sound only where it is
    thin. A tie SymPy does not see (max(sin(x)², 1 − cos(x)²)) gives a locus that is 0
    everywhere; it is found by its value at generic points, where a kink locus is not 0.
    """
    symbols = sorted(locus.free_symbols, key=str)
    for sign in (1, -1):
        probe = {s: sign * (_PROBE + _PROBE_STEP * i) for i, s in enumerate(symbols)}
        try:
            value = complex(locus.evalf(30, subs=probe))
        except (TypeError, ValueError, ArithmeticError):
            return True  # no value to go by: do not rely on this locus
        if abs(value) < PROBE_ZERO:
            return True
    return False


def _empty_region(loci: list[sympy.Expr], sides: tuple[int, ...]) -> bool:
    """Whether no real point has these signs of these loci (decided for one variable only)."""
    symbols = set().union(*(locus.free_symbols for locus in loci))
    if len(symbols) != 1:
        return False
    region = sympy.And(
        *(locus > 0 if side > 0 else locus < 0 for locus, side in zip(loci, sides, strict=True))
    )
    try:
        return bool(region.as_set() == sympy.EmptySet)
    except (NotImplementedError, TypeError, ValueError):
        return False


def _by_cases(
    answer: sympy.Expr, reference: sympy.Expr, loci: frozenset[sympy.Expr]
) -> SymbolicOutcome | None:
    """Equality on every open region between kink loci, or None when it cannot be shown."""
    difference = _as_piecewise(answer) - _as_piecewise(reference)
    relations = _relations(difference)
    by_locus: dict[sympy.Expr, list[Relational]] = {}
    for relation in relations:
        by_locus.setdefault(_locus(relation)[1], []).append(relation)
    if not by_locus or len(by_locus) > MAX_KINK_LOCI:
        return None
    if not all(locus.is_number or _contained(locus, loci) for locus in by_locus):
        return None
    if any(_fills_a_region(locus) for locus in by_locus):
        return None
    ordered = list(by_locus)
    for sides in itertools.product((1, -1), repeat=len(ordered)):
        truths = {
            relation: sympy.true if _truth(relation, side) else sympy.false
            for locus, side in zip(ordered, sides, strict=True)
            for relation in by_locus[locus]
        }
        region = difference.xreplace(truths)
        if region == 0 or sympy.expand(region) == 0 or sympy.cancel(region) == 0:
            continue
        if not _empty_region(ordered, sides):
            return None
    return SymbolicOutcome("equal", "cases", almost_everywhere=True)
