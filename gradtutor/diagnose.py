"""What went wrong in an incorrect answer: the mistakes learners make, recognised by value.

Each mistake is a general rule that builds, from the exercise's function, the "derivative" a
learner who makes that mistake would write: the function itself, the derivative in another
variable, a factor held constant dropped, the inner derivative of one composite left out (chain
rule), a product differentiated as f′·g′ or with one term of the product rule, a quotient rule
slipped, a power differentiated without lowering its exponent, other variables not held
constant, a sign lost, a term of a sum left out, a term without the variable kept. For σ, the
rule slips are also sought with σ(u) written out as 1/(1 + exp(−u)), as a learner derives σ′.
The answer is compared with each at the sample points; a constant factor (or a factor of −1) is
found from the ratio of the answer to the derivative. Of the mistakes that match at every point,
the most specific (`RANKS`) is the diagnosis, with the exercise's hint that speaks of it; a
second one that matches too is mentioned.

Mistakes are built once per exercise and variable, and only when an answer is incorrect, as
values at the sample points: finite differences of the changed function, no SymPy.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from gradtutor.budget import Budget, BudgetExceeded
from gradtutor.context import ExerciseContext
from gradtutor.expr import (
    BinOp,
    Call,
    Const,
    Indicator,
    Neg,
    Node,
    Num,
    Var,
    children,
    number,
    substitute,
    to_pretty,
    variables_of,
    walk,
)
from gradtutor.numeric import Array, Points, evaluate, finite_differences
from gradtutor.report import Diagnosis

# Building the mistakes of one exercise may take this long (they are cached afterwards).
MISTAKE_BUDGET = 3.0
# Two sets of values "match" when they agree to this relative precision at every sample point.
MATCH_RTOL = 1e-6
# An answer this close to the derivative everywhere, written with decimals, was rounded.
ROUNDED_RTOL = 1e-2
# A stand-in variable for a subexpression while differentiating around it (not a legal name).
_HOLE = "⟨u⟩"

# Words in a hint that show it is about a mistake, by kind.
HINT_WORDS: dict[str, tuple[str, ...]] = {
    "function-itself": ("derivative", "differentiate", "rule", "slope", "rate"),
    "wrong-variable": ("respect to", "other variable", "fixed", "held", "constant", "only"),
    "zero": ("contains", "depends", "term", "variable", "itself is 1"),
    "sign": ("sign", "minus", "negative", "−", "subtract"),
    "constant-factor": ("constant", "factor", "coefficient", "number in front", "keep the number"),
    "chain-rule": ("chain", "inner", "inside", "outer", "outside", "composite"),
    "product-rule": ("product", "each factor", "both factors", "f′g", "f'g"),
    "quotient-rule": ("quotient", "denominator", "g²", "g^2"),
    "exponent-not-reduced": ("exponent", "power", "lower", "reduce", "one less", "n − 1", "n-1"),
    "not-held-constant": ("fixed", "held", "hold", "constant", "frozen", "stays put", "treat"),
    "dropped-factor": ("factor", "coefficient", "in front", "multipl", "stays", "keep", "constant"),
    "rounded": ("exact", "fraction", "decimal"),
    "dropped-term": ("term", "each term", "sum", "every term", "left out"),
    "constant-kept": ("constant term", "does not contain", "vanish", "of a constant", "is 0"),
}


# When several mistakes give the answer's values, the most specific is named: one that says which
# rule went wrong on which part of the function, then a partial-derivative mistake, then not
# differentiating at all, and last a mere relation of values. Within a rank, catalogue order.
# An answer that is 0 everywhere shows no rule at all (f′·g′ with g a step is 0 too): said first.
ZERO = 0
RULE = 1  # chain, product, quotient or power rule, or a sign, misapplied to a named part
TERM = 2  # the sum rule: a term of the function left out, or a constant term kept
PARTIAL = 3  # another variable not held constant, or the derivative in another variable
WHOLE = 4  # no derivative taken: the function itself
VALUE = 5  # only a relation to the derivative: rounded decimals, the opposite sign, a factor
RANKS: dict[str, int] = {
    "zero": ZERO,
    "chain-rule": RULE,
    "product-rule": RULE,
    "quotient-rule": RULE,
    "exponent-not-reduced": RULE,
    "sign": RULE,  # a minus lost in a named term, or cos differentiated to sin
    "dropped-term": TERM,
    "constant-kept": TERM,
    "dropped-factor": PARTIAL,
    "not-held-constant": PARTIAL,
    "wrong-variable": PARTIAL,
    "function-itself": WHOLE,
    "rounded": VALUE,
    "constant-factor": VALUE,
}


@dataclass(frozen=True)
class Mistake:
    """The values a learner making this mistake would get at the context's sample points."""

    kind: str
    message: str
    values: Array

    @property
    def written_out(self) -> bool:
        """A slip made with σ written out as a formula (`_SIGMOID_WRITTEN_OUT`)."""
        return self.message.startswith(_SIGMOID_WRITTEN_OUT)


@dataclass(frozen=True)
class _Match:
    rank: int
    kind: str
    message: str


def diagnose(context: ExerciseContext, answer: Node, values: Array) -> Diagnosis | None:
    """The likely mistake behind `answer` (its `values` at the sample points), or None.

    The most specific mistake that matches is named (`RANKS`); a second one of another kind
    that matches too, unless it only relates values, is mentioned after it.
    """
    if context.samples.size == 0 or not np.isfinite(values).any():
        return None
    reference = context.reference_values
    factor = _constant_factor(values, reference)
    found = sorted(_found(context, answer, values, reference, factor), key=lambda match: match.rank)
    if not found:
        return None
    first, message = found[0], found[0].message
    if factor is not None and not _says_factor(first, factor):
        # A specific mistake that also scales the derivative: say by how much.
        message += f" (Your answer is {_factor_text(factor)} the derivative.)"
    also = [match for match in found if match.kind != first.kind and match.rank < VALUE]
    if also:
        second = also[0].message
        message += f" Another mistake gives the same answer: {second[0].lower()}{second[1:]}"
    return Diagnosis(first.kind, message, hint_for(first.kind, context.spec.hints))


def _says_factor(match: _Match, factor: Fraction | float) -> bool:
    """Whether the match's own message tells how the answer scales the derivative."""
    if match.rank == VALUE:  # rounded decimals, the opposite sign, a constant factor
        return True
    # A lost minus (or cos differentiated to sin) that flips the whole answer says as much; one
    # that only changes a term's weight (3 − 1 read as 3 + 1: twice the derivative) does not.
    return match.kind == "sign" and factor == -1


def hint_for(kind: str, hints: tuple[str, ...] | list[str]) -> int | None:
    """The index of the hint that speaks most of this kind of mistake, or None."""
    words = HINT_WORDS.get(kind, ())
    best, best_score = None, 0
    for index, hint in enumerate(hints):
        text = hint.lower()
        score = sum(1 for word in words if word in text)
        if score > best_score:
            best, best_score = index, score
    return best


def _found(
    context: ExerciseContext,
    answer: Node,
    values: Array,
    reference: Array,
    factor: Fraction | float | None,
) -> Iterator[_Match]:
    """Every mistake that gives the answer's values, in catalogue order."""
    wrt = context.wrt
    unit = _scale(reference)
    if _matches(values, np.zeros_like(values), unit) and not _matches(reference, values):
        yield _Match(
            RANKS["zero"],
            "zero",
            f"Your answer is 0, as if nothing in the function depended on {wrt}; only the terms "
            f"without {wrt} vanish.",
        )
    for mistake in _matching(context, values, unit):
        if mistake.written_out and not _works_with_exp(answer):
            continue  # an answer in σ was not worked out from 1/(1 + exp(−u))
        yield _Match(RANKS[mistake.kind], mistake.kind, mistake.message)
    if _rounded(answer, values, reference):
        yield _Match(
            VALUE,
            "rounded",
            "Your answer is close to the derivative but not equal: write exact values "
            "(1/3, pi, sqrt(2)) instead of rounded decimals.",
        )
    if factor == -1:
        yield _Match(
            VALUE,
            "sign",
            "Your answer has the opposite sign of the derivative: check the minus signs.",
        )
    elif factor is not None:
        yield _Match(
            VALUE,
            "constant-factor",
            f"Your answer is {_factor_text(factor)} the derivative: check the constant factors "
            "(a coefficient or exponent brought down, dropped or doubled).",
        )


def _rounded(answer: Node, values: Array, reference: Array) -> bool:
    """Written with decimals, near the derivative everywhere, yet not equal at the points."""
    return (
        _has_decimal(answer)
        and _close(values, reference, ROUNDED_RTOL)
        and not _close(values, reference, MATCH_RTOL)
    )


# --- comparing values -----------------------------------------------------------------------------


def _scale(values: Array) -> float:
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size else 1.0


def _close(answer: Array, candidate: Array, rtol: float, unit: float = 0.0) -> bool:
    """Agreement to `rtol` at 75% of the points or more, and nowhere differing beyond it.

    Near 0, values agree to 1e-9 of the larger of the candidate's size and `unit` (the
    derivative's size): a mistake computed by finite differences is 0 only to ~1e-11 of it.
    """
    both = np.isfinite(answer) & np.isfinite(candidate)
    if both.sum() < max(3, int(0.75 * len(answer))):
        return False
    atol = 1e-9 * max(_scale(candidate), unit, 1e-300)
    difference = np.abs(answer[both] - candidate[both])
    return bool(
        np.all(difference <= rtol * (np.abs(answer[both]) + np.abs(candidate[both])) + atol)
    )


def _matches(answer: Array, candidate: Array, unit: float = 0.0) -> bool:
    return _close(answer, candidate, MATCH_RTOL, unit)


def _matching(context: ExerciseContext, values: Array, unit: float) -> list[Mistake]:
    """The mistakes whose values `values` match (`_matches`), all compared at once."""
    found = mistakes(context)
    if not found:
        return []
    table, scales = _table(context)
    with np.errstate(all="ignore"):
        both = np.isfinite(table) & np.isfinite(values)
        atol = 1e-9 * np.maximum(np.maximum(scales, unit), 1e-300)
        bound = MATCH_RTOL * (np.abs(table) + np.abs(values)) + atol[:, None]
        close = np.abs(table - values) <= bound
    enough = both.sum(axis=1) >= max(3, int(0.75 * len(values)))
    agree = np.all(close | ~both, axis=1)
    return [mistake for mistake, match in zip(found, enough & agree, strict=True) if match]


@lru_cache(maxsize=256)
def _table(context: ExerciseContext) -> tuple[Array, Array]:
    """The values of every mistake, one row each, and the largest |value| of each row."""
    table = np.vstack([mistake.values for mistake in mistakes(context)])
    scales = np.where(np.isfinite(table), np.abs(table), 0.0).max(axis=1)
    return table, scales


def _constant_factor(answer: Array, reference: Array) -> Fraction | float | None:
    """c when the answer is c times the derivative at every point (c ≠ 0, 1)."""
    both = np.isfinite(answer) & np.isfinite(reference)
    nonzero = both & (np.abs(reference) > 1e-9 * _scale(reference))
    if nonzero.sum() < 3:
        return None
    # A middle ratio; every ratio must agree below. (np.median would import numpy.ma: 6 ms.)
    ratio = float(np.sort(answer[nonzero] / reference[nonzero])[nonzero.sum() // 2])
    if not np.isfinite(ratio) or abs(ratio) < 1e-12 or abs(ratio - 1) < 1e-9:
        return None
    if not _matches(answer, ratio * reference):
        return None
    simple = Fraction(ratio).limit_denominator(12)
    if simple != 0 and abs(float(simple) - ratio) <= 1e-9 * abs(ratio):
        return simple
    return ratio


def _factor_text(factor: Fraction | float) -> str:
    if isinstance(factor, Fraction):
        if factor == Fraction(1, 2):
            return "exactly half"
        if factor == -1:
            return "exactly the opposite of"
        return f"exactly {factor} times"
    return f"about {factor:.4g} times"


def _has_decimal(node: Node) -> bool:
    return any(isinstance(n, Num) and any(c in n.text for c in ".eE") for n in walk(node))


# --- building the mistakes ------------------------------------------------------------------------
# Mistakes are only compared by value, so each is computed as numbers at the sample points: the
# derivative of a changed function by Richardson finite differences (`numeric.finite_differences`,
# about 1e-10 relative, far inside MATCH_RTOL), a subexpression by evaluating it. No SymPy.


@lru_cache(maxsize=256)
def mistakes(context: ExerciseContext) -> tuple[Mistake, ...]:
    """Every mistake of the catalogue that applies to this exercise, with its values."""
    found: list[Mistake] = []
    reference = context.reference_values
    budget = Budget(MISTAKE_BUDGET)
    try:
        with budget.limit():
            for kind, message, build in _catalogue(_Slopes(context)):
                values = _values(build)
                if values is not None and not _matches(values, reference):
                    found.append(Mistake(kind, message, values))
    except BudgetExceeded:
        pass  # the mistakes found so far still diagnose
    return tuple(found)


Builder = Callable[[], "Array | None"]


def _values(build: Builder) -> Array | None:
    try:
        with np.errstate(all="ignore"):  # a wrong rule may divide by 0: NaN, then not compared
            values = build()
    except (ValueError, TypeError, ZeroDivisionError, OverflowError, RecursionError):
        return None
    return values if values is not None and np.isfinite(values).any() else None


class _Slopes:
    """Values and derivatives at the context's sample points, each computed once."""

    def __init__(self, context: ExerciseContext, tree: Node | None = None) -> None:
        """`tree` is the context's function, or the same function written another way."""
        self.context = context
        self.tree = context.tree if tree is None else tree
        self.wrt = context.wrt
        self.points = context.samples.points
        self._slopes: dict[tuple[Node, str], Array] = {}

    def at(self, node: Node, points: Points | None = None) -> Array:
        return evaluate(node, self.points if points is None else points)

    def slope(self, node: Node, name: str | None = None, points: Points | None = None) -> Array:
        """∂node/∂name (default: the variable of the derivative), NaN where it is unusable."""
        name = name or self.wrt
        if points is not None:
            return finite_differences(node, name, points).values
        key = (node, name)
        if key not in self._slopes:
            self._slopes[key] = finite_differences(node, name, self.points).values
        return self._slopes[key]

    def partial(self, name: str) -> Array:
        """∂function/∂name; in the variable of the derivative, the checker's own values."""
        return self.context.reference_values if name == self.wrt else self.slope(self.tree, name)

    def outer(self, outer: Node, inner: Node) -> Array:
        """g′(u) at u = inner, g the outer function written with the hole: no inner derivative."""
        return self.slope(outer, _HOLE, {**self.points, _HOLE: self.at(inner)})

    def around(self, path: tuple[int, ...], node: Node, wrong: Array) -> Array:
        """The derivative of the function with the derivative of the subtree at `path` (`node`)
        replaced by `wrong`: ∂F/∂x + ∂F/∂u · wrong, F the function with a hole u for `node`."""
        if not path:
            return wrong
        hole = _replace(self.tree, path, Var(_HOLE))
        filled = {**self.points, _HOLE: self.at(node)}
        return self.slope(hole, self.wrt, filled) + self.slope(hole, _HOLE, filled) * wrong


def _catalogue(slopes: _Slopes) -> Iterator[tuple[str, str, Builder]]:
    tree, wrt = slopes.tree, slopes.wrt
    yield (
        "function-itself",
        f"This is the function itself, not its derivative: differentiate it with respect to {wrt}.",
        lambda: slopes.at(tree),
    )
    yield from _dropped_factors(slopes)
    others = [name for name in variables_of(tree) if name != wrt]
    for name in others:
        yield (
            "wrong-variable",
            f"This is the partial derivative with respect to {name}, not {wrt}.",
            lambda name=name: slopes.partial(name),  # type: ignore[misc]
        )
    yield from _not_held_constant(slopes, others)
    yield from _rule_mistakes(slopes)
    written = _sigmoid_written_out(tree)
    if written != tree:
        # σ′ is often worked out from σ(u) = 1/(1 + exp(−u)): the rule slipped there.
        for kind, message, build in _rule_mistakes(_Slopes(slopes.context, written)):
            yield kind, f"{_SIGMOID_WRITTEN_OUT}{_lower_first(message)}", build
    yield from _lost_signs(slopes)
    yield from _sum_rule(slopes)


def _rule_mistakes(slopes: _Slopes) -> Iterator[tuple[str, str, Builder]]:
    """A rule misapplied at one node of the tree (`_local_mistakes`), the rest done right."""
    for path, node in _subtrees(slopes.tree):
        if slopes.wrt not in variables_of(node):
            continue
        for kind, message, wrong in _local_mistakes(slopes, node):
            yield (
                kind,
                message,
                lambda path=path, node=node, wrong=wrong: (  # type: ignore[misc]
                    slopes.around(path, node, wrong())
                ),
            )


_SIGMOID_WRITTEN_OUT = "With σ(u) written as 1/(1 + exp(−u)): "


def _works_with_exp(answer: Node) -> bool:
    """Whether the answer is written with exp (or e^) and without σ itself."""
    calls = {node.func for node in walk(answer) if isinstance(node, Call)}
    powers_of_e = any(
        isinstance(node, BinOp) and node.op == "^" and node.left == Const("e")
        for node in walk(answer)
    )
    return "sigmoid" not in calls and ("exp" in calls or powers_of_e)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sigmoid_written_out(tree: Node) -> Node:
    """The tree with every σ(u) written as 1/(1 + exp(−u)), the same function."""
    match tree:
        case Call("sigmoid", (argument,)):
            inner = _sigmoid_written_out(argument)
            return BinOp("/", number(1), BinOp("+", number(1), Call("exp", (Neg(inner),))))
        case Neg(operand):
            return Neg(_sigmoid_written_out(operand))
        case BinOp(op, left, right):
            return BinOp(op, _sigmoid_written_out(left), _sigmoid_written_out(right))
        case Call(func, args):
            return Call(func, tuple(_sigmoid_written_out(argument) for argument in args))
    return tree  # numbers, names, and indicators (not differentiated through)


def _sum_rule(slopes: _Slopes) -> Iterator[tuple[str, str, Builder]]:
    """The sum rule misapplied: a term with `wrt` left out, or a term without it kept as is.

    Both are the derivative of the function changed in that term alone, so signs and a constant
    multiple around the sum carry over: the term replaced by 0 (dropped), or by `wrt`·term, whose
    derivative is the term itself (kept).
    """
    tree, wrt = slopes.tree, slopes.wrt
    terms = list(_sum_terms(tree, wrt))
    if len(terms) < 2:
        return
    kept = [(path, term) for path, term in terms if wrt not in variables_of(term)]
    varying = [(path, term) for path, term in terms if wrt in variables_of(term)]
    # With one term in `wrt`, leaving it out gives 0: that is the "zero" kind, said already.
    for path, term in varying if len(varying) > 1 else []:
        dropped = _replace(tree, path, number(0))
        yield (
            "dropped-term",
            f"Your answer leaves out the derivative of the term {to_pretty(term)}: by the sum "
            "rule, differentiate every term and add the derivatives.",
            lambda dropped=dropped: slopes.slope(dropped),  # type: ignore[misc]
        )
    for chosen in [[one] for one in kept] + [kept] * (len(kept) > 1):
        changed = tree
        for path, term in chosen:
            changed = _replace(changed, path, BinOp("*", Var(wrt), term))
        yield (
            "constant-kept",
            _kept_message([term for _, term in chosen], wrt),
            lambda changed=changed: slopes.slope(changed),  # type: ignore[misc]
        )


def _kept_message(terms: list[Node], wrt: str) -> str:
    names = " and ".join(to_pretty(term) for term in terms)
    if len(terms) > 1:
        return (
            f"Your answer keeps the terms {names}, which do not contain {wrt}: the derivative of "
            "each is 0."
        )
    return f"Your answer keeps the term {names}, which does not contain {wrt}: its derivative is 0."


def _sum_terms(tree: Node, wrt: str) -> Iterator[tuple[tuple[int, ...], Node]]:
    """The terms of the function as a sum, also of a sum under a constant multiple (c·(u + v))."""
    match tree:
        case BinOp("*", left, right) if wrt not in variables_of(left) and _is_sum(right):
            yield from _terms(right, (1,))
        case BinOp("*" | "/", left, right) if wrt not in variables_of(right) and _is_sum(left):
            yield from _terms(left, (0,))
        case Neg(operand) if _is_sum(operand):
            yield from _terms(operand, (0,))
        case _:
            yield from _terms(tree)


def _is_sum(node: Node) -> bool:
    return isinstance(node, BinOp) and node.op in ("+", "-")


def _dropped_factors(slopes: _Slopes) -> Iterator[tuple[str, str, Builder]]:
    """A factor without `wrt` left out of a term: the derivative divided by it, in that term.

    Held constant, a factor stays: ∂(c·u)/∂x = c·∂u/∂x, for a number c or another variable.
    Each such factor of each term is tried alone, and all of a term's together.
    """
    tree, wrt = slopes.tree, slopes.wrt
    for path, term in _terms(tree):
        if wrt not in variables_of(term):
            continue
        constant = [factor for factor in _factors(term, path) if wrt not in variables_of(factor[1])]
        for chosen in [[factor] for factor in constant] + [constant] * (len(constant) > 1):
            dropped = tree
            for factor_path, _, _ in chosen:
                dropped = _replace(dropped, factor_path, number(1))
            yield (
                "dropped-factor",
                _dropped_message(chosen, term if path else None, wrt),
                lambda dropped=dropped: slopes.slope(dropped),  # type: ignore[misc]
            )


def _dropped_message(
    chosen: list[tuple[tuple[int, ...], Node, bool]], term: Node | None, wrt: str
) -> str:
    names = [to_pretty(BinOp("/", number(1), node) if over else node) for _, node, over in chosen]
    numbers = all(not variables_of(node) for _, node, _ in chosen)
    several = len(names) > 1
    what = f"the {'constant ' if numbers else ''}factor{'s' if several else ''} "
    what += " and ".join(names)
    where = f" of the term {to_pretty(term)}" if term is not None else ""
    subject = "they do" if several else "it does"
    why = "" if numbers else f" (held constant: {subject} not contain {wrt})"
    return (
        f"Your answer drops {what}{where}{why}; a constant factor stays in the derivative: "
        f"∂(c·u)/∂{wrt} = c·∂u/∂{wrt}."
    )


def _not_held_constant(slopes: _Slopes, others: list[str]) -> Iterator[tuple[str, str, Builder]]:
    """Other variables treated as changing with `wrt`: as functions with slope 1, or as `wrt`."""
    wrt = slopes.wrt
    # Each other variable alone, then every group of the first four (a neuron has many).
    groups = [(name,) for name in others] + [
        moving for size in range(2, 5) for moving in itertools.combinations(others[:4], size)
    ]
    for moving in groups:
        names = " and ".join(moving)
        yield (
            "not-held-constant",
            f"Your answer also differentiates {names} as if {'they' if len(moving) > 1 else 'it'} "
            f"changed with {wrt}; in a partial derivative every other variable is held constant.",
            lambda moving=moving: (  # type: ignore[misc]
                slopes.partial(wrt) + sum(slopes.partial(name) for name in moving)
            ),
        )
    if others:
        names = " and ".join(others)
        merged = substitute(slopes.tree, {name: Var(wrt) for name in others})
        yield (
            "not-held-constant",
            f"Your answer treats {names} as if {'they were' if len(others) > 1 else 'it were'} "
            f"{wrt}; in a partial derivative every other variable is held constant.",
            lambda: slopes.slope(merged),
        )


def _local_mistakes(slopes: _Slopes, node: Node) -> Iterator[tuple[str, str, Builder]]:
    """(kind, message, the wrong derivative of `node` itself) for the mistakes `node` invites."""
    shown, wrt = to_pretty(node), slopes.wrt
    hole = Var(_HOLE)
    outer: Node
    match node:
        case Call(func, (inner,)):
            if inner != Var(wrt):
                outer = Call(func, (hole,))
                yield (
                    "chain-rule",
                    _chain_message(shown, inner, wrt),
                    lambda: slopes.outer(outer, inner),
                )
            if func == "sqrt":
                yield (
                    "exponent-not-reduced",
                    _exponent_message(shown),
                    lambda: slopes.at(node) / 2 * slopes.slope(inner),
                )
            if func == "cos":
                yield (
                    "sign",
                    "The derivative of cos is −sin: a minus sign is missing.",
                    lambda: slopes.at(Call("sin", (inner,))) * slopes.slope(inner),
                )
            if func == "sigmoid":
                yield (
                    "sign",
                    "The derivative of σ is σ·(1 − σ), not σ·(1 + σ): check the sign.",
                    lambda: slopes.at(node) * (1 + slopes.at(node)) * slopes.slope(inner),
                )
            if func == "tanh":
                yield (
                    "sign",
                    "The derivative of tanh is 1 − tanh², not 1 + tanh²: check the sign.",
                    lambda: (1 + slopes.at(node) ** 2) * slopes.slope(inner),
                )
        case BinOp("^", base, exponent) if wrt not in variables_of(exponent):
            if base != Var(wrt):
                outer = BinOp("^", hole, exponent)
                yield (
                    "chain-rule",
                    _chain_message(shown, base, wrt),
                    lambda: slopes.outer(outer, base),
                )
            yield (
                "exponent-not-reduced",
                _exponent_message(shown),
                lambda: slopes.at(exponent) * slopes.at(node) * slopes.slope(base),
            )
        case BinOp("^", base, exponent) if wrt not in variables_of(base):
            if exponent != Var(wrt):
                outer = BinOp("^", base, hole)
                yield (
                    "chain-rule",
                    _chain_message(shown, exponent, wrt),
                    lambda: slopes.outer(outer, exponent),
                )
        case BinOp("*", left, right) if wrt in variables_of(left) and wrt in variables_of(right):
            yield (
                "product-rule",
                (
                    f"Your answer multiplies the derivatives of the factors {to_pretty(left)} and "
                    f"{to_pretty(right)}; by the product rule (f·g)′ = f′·g + f·g′."
                ),
                lambda: slopes.slope(left) * slopes.slope(right),
            )
            # One of the two terms of the product rule left out.
            for kept, lost in ((left, right), (right, left)):
                yield (
                    "product-rule",
                    (
                        f"Your answer leaves out a term of the product rule for {shown}: the one "
                        f"where {to_pretty(lost)} is differentiated. (f·g)′ = f′·g + f·g′ has a "
                        "term for each factor."
                    ),
                    lambda kept=kept, lost=lost: (  # type: ignore[misc]
                        slopes.slope(kept) * slopes.at(lost)
                    ),
                )
        case BinOp("/", top, bottom) if wrt in variables_of(top) and wrt in variables_of(bottom):
            message = (
                f"Your answer does not follow the quotient rule for {shown}: "
                "(f/g)′ = (f′·g − f·g′)/g²."
            )
            for form in _QUOTIENT_FORMS:
                yield (
                    "quotient-rule",
                    message,
                    lambda form=form: form(  # type: ignore[misc]
                        slopes.at(top), slopes.at(bottom), slopes.slope(top), slopes.slope(bottom)
                    ),
                )
            # One of the two terms of the quotient rule left out.
            for lost, form in ((bottom, _numerator_only), (top, _denominator_only)):
                yield (
                    "quotient-rule",
                    (
                        f"Your answer leaves out a term of the quotient rule for {shown}: the one "
                        f"where {to_pretty(lost)} is differentiated. "
                        "(f/g)′ = (f′·g − f·g′)/g² has a term for each."
                    ),
                    lambda form=form: form(  # type: ignore[misc]
                        slopes.at(top), slopes.at(bottom), slopes.slope(top), slopes.slope(bottom)
                    ),
                )
        case BinOp("/", top, bottom) if wrt in variables_of(bottom):
            # A constant over g: the one slip that is not a wrong sign or 0 is g left unsquared.
            yield (
                "quotient-rule",
                (
                    f"Your answer does not follow the quotient rule for {shown}: "
                    "(f/g)′ = (f′·g − f·g′)/g², with g squared below."
                ),
                lambda: -slopes.at(top) * slopes.slope(bottom) / slopes.at(bottom),
            )


# Wrong quotient rules, from (f, g, f′, g′): f′/g′, (f′g − fg′)/g and (fg′ − f′g)/g².
def _derivatives_divided(f: Array, g: Array, df: Array, dg: Array) -> Array:
    return df / dg


def _divided_once(f: Array, g: Array, df: Array, dg: Array) -> Array:
    return (df * g - f * dg) / g


def _numerator_swapped(f: Array, g: Array, df: Array, dg: Array) -> Array:
    return (f * dg - df * g) / g**2


_QUOTIENT_FORMS = (_derivatives_divided, _divided_once, _numerator_swapped)


# The quotient rule with one of its terms left out: f′/g (no −f·g′/g²) and −f·g′/g² (no f′/g).
def _numerator_only(f: Array, g: Array, df: Array, dg: Array) -> Array:
    return df / g


def _denominator_only(f: Array, g: Array, df: Array, dg: Array) -> Array:
    return -f * dg / g**2


def _chain_message(shown: str, inner: Node, wrt: str) -> str:
    return (
        f"Your answer leaves out the inner derivative of {shown}: by the chain rule, multiply by "
        f"the derivative of {to_pretty(inner)} with respect to {wrt}."
    )


def _exponent_message(shown: str) -> str:
    return f"The exponent of {shown} was not lowered: the power rule gives n·uⁿ⁻¹·u′, not n·uⁿ·u′."


def _lost_signs(slopes: _Slopes) -> Iterator[tuple[str, str, Builder]]:
    """A term whose minus sign was lost: the derivative of the function with that `−` a `+`."""
    for path, node in _subtrees(slopes.tree):
        flipped: Node | None = None
        if isinstance(node, BinOp) and node.op == "-":
            flipped = BinOp("+", node.left, node.right)
        elif isinstance(node, Neg):
            flipped = node.operand
        if flipped is not None:
            changed = _replace(slopes.tree, path, flipped)
            yield (
                "sign",
                f"A minus sign is lost in {to_pretty(node)}: check the sign of each term.",
                lambda changed=changed: slopes.slope(changed),  # type: ignore[misc]
            )


# --- tree surgery ---------------------------------------------------------------------------------


def _subtrees(tree: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    yield path, tree
    for index, child in enumerate(_children(tree)):
        yield from _subtrees(child, (*path, index))


def _children(node: Node) -> tuple[Node, ...]:
    # Indicators are not differentiated through: their derivative is 0 away from the boundary.
    return () if isinstance(node, Indicator) else children(node)


def _terms(tree: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    """The terms of a sum (signs aside), each with its path."""
    match tree:
        case BinOp("+" | "-", left, right):
            yield from _terms(left, (*path, 0))
            yield from _terms(right, (*path, 1))
        case Neg(operand):
            yield from _terms(operand, (*path, 0))
        case _:
            yield path, tree


def _factors(
    term: Node, path: tuple[int, ...], divided: bool = False
) -> Iterator[tuple[tuple[int, ...], Node, bool]]:
    """The factors of a product or quotient, each with its path and whether it divides."""
    match term:
        case BinOp("*", left, right):
            yield from _factors(left, (*path, 0), divided)
            yield from _factors(right, (*path, 1), divided)
        case BinOp("/", top, bottom):
            yield from _factors(top, (*path, 0), divided)
            yield (*path, 1), bottom, not divided
        case _:
            yield path, term, divided


def _replace(tree: Node, path: tuple[int, ...], new: Node) -> Node:
    if not path:
        return new
    head, rest = path[0], path[1:]
    match tree:
        case Neg(operand):
            return Neg(_replace(operand, rest, new))
        case BinOp(op, left, right):
            if head == 0:
                return BinOp(op, _replace(left, rest, new), right)
            return BinOp(op, left, _replace(right, rest, new))
        case Call(func, args):
            changed = list(args)
            changed[head] = _replace(args[head], rest, new)
            return Call(func, tuple(changed))
    raise ValueError(f"no subtree at {path} in {tree!r}")
