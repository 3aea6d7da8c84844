"""The catalogue of mistakes learners make, each built as the values it would give.

Each mistake is a general rule that builds, from the exercise's function, the "derivative" a
learner who makes that mistake would write: the function itself, the derivative in another
variable, a factor held constant dropped, the inner derivative of one composite left out (chain
rule), a product differentiated as f′·g′ or with one term of the product rule, a quotient rule
slipped, a power differentiated without lowering its exponent, other variables not held
constant, a sign lost, a term of a sum left out, a term without the variable kept. For σ, the
rule slips are also sought with σ(u) written out as 1/(1 + exp(−u)), as a learner derives σ′.

Mistakes are built once per exercise and variable, and only when an answer is incorrect, as
values at the sample points: finite differences of the changed function, no SymPy. Which of them
an answer matches, and what to say, is `checking.diagnose`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np
import numpy.typing as npt

from gradtutor.calculus.budget import Budget, BudgetExceeded
from gradtutor.calculus.numeric import (
    TRUSTED_RELATIVE_ERROR,
    Array,
    Points,
    evaluate,
    finite_differences,
)
from gradtutor.calculus.polynomial import Derivatives, NotPolynomial, is_polynomial
from gradtutor.checking.context import ExerciseContext
from gradtutor.language.expr import (
    BinOp,
    Call,
    Indicator,
    Neg,
    Node,
    Var,
    children,
    number,
    substitute,
    to_pretty,
    variables_of,
)

# Building the mistakes of one exercise may take this long (they are cached afterwards).
MISTAKE_BUDGET = 3.0
# Two sets of values "match" when they agree to this relative precision at every sample point.
MATCH_RTOL = 1e-6
# A stand-in variable for a subexpression while differentiating around it (not a legal name).
_HOLE = "⟨u⟩"


@dataclass(frozen=True)
class Mistake:
    """The values a learner making this mistake would get at the context's sample points."""

    kind: str
    describe: Describe  # the message, written only for a mistake that matches an answer
    values: Array

    @property
    def message(self) -> str:
        return self.describe()

    @property
    def written_out(self) -> bool:
        """A slip made with σ written out as a formula (`_SIGMOID_WRITTEN_OUT`)."""
        return self.message.startswith(_SIGMOID_WRITTEN_OUT)


def scale(values: Array) -> float:
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size else 1.0


def close(answer: Array, candidate: Array, rtol: float, unit: float = 0.0) -> bool:
    """Agreement to `rtol` at 75% of the points or more, and nowhere differing beyond it.

    Near 0, values agree to 1e-9 of the larger of the candidate's size and `unit` (the
    derivative's size): a mistake computed by finite differences is 0 only to ~1e-11 of it.
    """
    both = np.isfinite(answer) & np.isfinite(candidate)
    if both.sum() < max(3, int(0.75 * len(answer))):
        return False
    atol = 1e-9 * max(scale(candidate), unit, 1e-300)
    difference = np.abs(answer[both] - candidate[both])
    return bool(
        np.all(difference <= rtol * (np.abs(answer[both]) + np.abs(candidate[both])) + atol)
    )


def matches(answer: Array, candidate: Array, unit: float = 0.0) -> bool:
    return close(answer, candidate, MATCH_RTOL, unit)


def matching_rows(table: Array, candidate: Array) -> npt.NDArray[np.bool_]:
    """`matches(row, candidate)` for every row of `table`, in one pass."""
    with np.errstate(all="ignore"):
        both = np.isfinite(table) & np.isfinite(candidate)
        atol = 1e-9 * max(scale(candidate), 1e-300)
        bound = MATCH_RTOL * (np.abs(table) + np.abs(candidate)) + atol
        near = np.abs(table - candidate) <= bound
    enough = both.sum(axis=1) >= max(3, int(0.75 * table.shape[1]))
    agree: npt.NDArray[np.bool_] = enough & np.all(near | ~both, axis=1)
    return agree


# --- building the mistakes ------------------------------------------------------------------------
# Mistakes are only compared by value, so each is computed as numbers at the sample points: the
# derivative of a changed function by Richardson finite differences (`numeric.finite_differences`,
# about 1e-10 relative, far inside MATCH_RTOL), a subexpression by evaluating it. No SymPy.


@lru_cache(maxsize=256)
def mistakes(context: ExerciseContext) -> tuple[Mistake, ...]:
    """Every mistake of the catalogue that applies to this exercise, with its values."""
    found: list[Mistake] = []
    budget = Budget(MISTAKE_BUDGET)
    try:
        # A wrong rule may divide by 0: NaN, then not compared.
        with budget.limit(), np.errstate(all="ignore"):
            for kind, describe, build in _catalogue(_Slopes(context)):
                values = _values(build)
                if values is not None:
                    found.append(Mistake(kind, describe, values))
    except BudgetExceeded:
        pass  # the mistakes found so far still diagnose
    if not found:
        return ()
    # A "mistake" that gives the derivative itself is no mistake: all compared at once.
    same = matching_rows(np.vstack([mistake.values for mistake in found]), context.reference_values)
    return tuple(mistake for mistake, right in zip(found, same, strict=True) if not right)


Builder = Callable[[], "Array | None"]
Describe = Callable[[], str]
# A mistake of the catalogue: its kind, its message, and how to compute its values.
Entry = tuple[str, Describe, Builder]


def _values(build: Builder) -> Array | None:
    try:
        values = build()
    except (ValueError, TypeError, ZeroDivisionError, OverflowError, RecursionError):
        return None
    return values if values is not None and np.isfinite(values).any() else None


class _Slopes:
    """Values and derivatives at the context's sample points, each computed once.

    A polynomial function (and every tree the catalogue changes it into) is differentiated
    exactly, in float64 with a rounding bound (`polynomial.Derivatives`); a point where the bound
    is too wide for trust, and every other function, gets Richardson finite differences.
    """

    def __init__(self, context: ExerciseContext, tree: Node | None = None) -> None:
        """`tree` is the context's function, or the same function written another way."""
        self.context = context
        self.tree = context.tree if tree is None else tree
        self.wrt = context.wrt
        self.points = context.samples.points
        self._slopes: dict[tuple[Node, str], Array] = {}
        self._names: dict[int, tuple[Node, frozenset[str]]] = {}
        self._partials: dict[str, Array] = {}
        # Values and slopes at the sample points of the trees met so far, by identity (each
        # kept alive with its results, so that its id stays its own).
        self._values: dict[int, tuple[Node, Array]] = {}
        self._known_slopes: dict[tuple[int, str], tuple[Node, Array]] = {}
        # Every tree the catalogue makes from a polynomial is a polynomial too.
        self._exact = Derivatives(self.points, (_HOLE,)) if is_polynomial(self.tree) else None

    def mentions(self, node: Node, name: str) -> bool:
        """Whether `name` is a variable of `node` (`variables_of`), each subtree looked at once."""
        return name in self._names_of(node)

    def _names_of(self, node: Node) -> frozenset[str]:
        # Children before parents, with a stack of its own: a sum of hundreds of terms is as
        # many levels deep.
        stack = [(node, False)]
        while stack:
            current, ready = stack.pop()
            if id(current) in self._names:
                continue
            kids = children(current)
            if kids and not ready:
                stack.append((current, True))
                stack.extend((kid, False) for kid in kids)
                continue
            if isinstance(current, Var):
                found = frozenset((current.name,))
            else:
                found = frozenset().union(*(self._names[id(kid)][1] for kid in kids))
            # Kept alive with its names: its id stays its own.
            self._names[id(current)] = (current, found)
        return self._names[id(node)][1]

    def at(self, node: Node, extra: Points | None = None) -> Array:
        if extra is None:
            known = self._values.get(id(node))
            if known is None:
                known = self._values[id(node)] = (node, self._at(node, None))
            return known[1]
        return self._at(node, extra)

    def _at(self, node: Node, extra: Points | None) -> Array:
        if self._exact is not None:
            try:
                return self._exact.value(node, extra)
            except NotPolynomial:
                pass
        return evaluate(node, self.points if extra is None else {**self.points, **extra})

    def slope(self, node: Node, name: str | None = None, extra: Points | None = None) -> Array:
        """∂node/∂name (default: the variable of the derivative), NaN where it is unusable.

        `extra` adds variables (a hole for a subtree) to the sample points.
        """
        name = name or self.wrt
        if extra is not None:
            return self.slopes(node, [name], extra)[0]
        known = self._known_slopes.get((id(node), name))
        if known is None:
            known = (node, self.slopes(node, [name])[0])
            self._known_slopes[(id(node), name)] = known
        return known[1]

    def slopes(self, node: Node, names: list[str], extra: Points | None = None) -> list[Array]:
        """∂node/∂name for each of `names` (one pass over the tree for a polynomial)."""
        if self._exact is not None:
            try:
                found = self._exact.derivatives(node, names, extra)
            except NotPolynomial:
                pass
            else:
                return [
                    self._settle(node, name, extra, values, bound)
                    for name, (values, bound) in zip(names, found, strict=True)
                ]
        if extra is not None:
            points = {**self.points, **extra}
            return [finite_differences(node, name, points).values for name in names]
        for name in names:
            if (node, name) not in self._slopes:
                self._slopes[(node, name)] = finite_differences(node, name, self.points).values
        return [self._slopes[(node, name)] for name in names]

    def _settle(
        self, node: Node, name: str, extra: Points | None, values: Array, bound: Array
    ) -> Array:
        """Finite differences where the rounding bound is too wide to trust the exact slope."""
        doubtful = ~(bound <= TRUSTED_RELATIVE_ERROR * np.maximum(1.0, np.abs(values)))
        doubtful &= np.isfinite(values)
        if not doubtful.any():
            return values
        points = self.points if extra is None else {**self.points, **extra}
        subset = {variable: column[doubtful] for variable, column in points.items()}
        values = values.copy()
        values[doubtful] = finite_differences(node, name, subset).values
        return values

    def partial(self, name: str) -> Array:
        """∂function/∂name; in the variable of the derivative, the checker's own values."""
        if name == self.wrt:
            return self.context.reference_values
        found = self._partials.get(name)
        if found is None:  # the groups of `_not_held_constant` add the same few partials
            found = self._partials[name] = self.slope(self.tree, name)
        return found

    def changed(self, replacements: list[tuple[tuple[int, ...], Node]]) -> Array:
        """∂/∂wrt of the function with the subtree at each path replaced by its new one.

        A change inside one term of the function's sum (a path that goes down through `+`, `−`
        and signs, then into the term) changes the derivative by that term's change alone: the
        rest of the sum is not differentiated again. Changes in other places rebuild the tree.
        """
        terms = [self._term_of(path) for path, _ in replacements]
        places = [term_path for term_path, _, _ in terms]
        if any(not place for place in places) or _nested(places):
            changed = self.tree
            for path, new in replacements:
                changed = _replace(changed, path, new)
            return self.slope(changed)
        total = self.slope(self.tree)
        for (path, new), (place, sign, term) in zip(replacements, terms, strict=True):
            new_term = _replace(term, path[len(place) :], new)
            total = total + sign * (self.slope(new_term) - self.slope(term))
        return total

    def scaled_term(self, path: tuple[int, ...], factor: Array) -> Array | None:
        """∂/∂wrt of the function with the subtree at `path` multiplied by `factor`, a value
        that does not change with wrt; None unless that subtree is a factor of a term of the
        function's sum (then the whole term is scaled) and `factor` is finite and nonzero."""
        place, sign, term = self._term_of(path)
        if not place or not _in_product(term, path[len(place) :]):
            return None
        if not np.all(np.isfinite(factor) & (factor != 0)):
            return None
        return self.slope(self.tree) + sign * self.slope(term) * (factor - 1)

    def _term_of(self, path: tuple[int, ...]) -> tuple[tuple[int, ...], int, Node]:
        """The term of the function's sum that holds the subtree at `path`: its path, its sign
        in the sum, and the term (the subtree itself when the path runs through sums only)."""
        node, sign = self.tree, 1
        for depth, head in enumerate(path):
            match node:
                case BinOp("+" | "-" as op, left, right):
                    sign = -sign if (op == "-" and head == 1) else sign
                    node = right if head == 1 else left
                case Neg(operand):
                    sign, node = -sign, operand
                case _:
                    return path[:depth], sign, node
        return path, sign, node

    def outer(self, outer: Node, inner: Node) -> Array:
        """g′(u) at u = inner, g the outer function written with the hole: no inner derivative."""
        return self.slope(outer, _HOLE, {_HOLE: self.at(inner)})

    def around(self, path: tuple[int, ...], node: Node, wrong: Array) -> Array:
        """The derivative of the function with the derivative of the subtree at `path` (`node`)
        replaced by `wrong`: ∂F/∂x + ∂F/∂u · wrong, F the function with a hole u for `node`."""
        place, sign, term = self._term_of(path)
        if not place:
            return self._around_in(self.tree, path, node, wrong)
        # Inside one term of the sum: only that term's derivative changes (`changed`).
        inside = path[len(place) :]
        if _in_product(term, inside):
            # A factor u of the term T: ∂T/∂u = T/u, so T′ changes by (wrong − u′)·T/u.
            with np.errstate(all="ignore"):
                rest = self.at(term) / self.at(node)
            if np.all(np.isfinite(rest)) and np.all(self.at(node) != 0):
                return self.slope(self.tree) + sign * (wrong - self.slope(node)) * rest
        changed = self._around_in(term, inside, node, wrong)
        return self.slope(self.tree) + sign * (changed - self.slope(term))

    def _around_in(self, tree: Node, path: tuple[int, ...], node: Node, wrong: Array) -> Array:
        if not path:
            return wrong
        hole = _replace(tree, path, Var(_HOLE))
        held, through = self.slopes(hole, [self.wrt, _HOLE], {_HOLE: self.at(node)})
        return held + through * wrong


def _catalogue(slopes: _Slopes) -> Iterator[Entry]:
    tree, wrt = slopes.tree, slopes.wrt
    yield (
        "function-itself",
        lambda: (
            "This is the function itself, not its derivative: differentiate it with respect to "
            f"{wrt}."
        ),
        lambda: slopes.at(tree),
    )
    yield from _dropped_factors(slopes)
    others = [name for name in variables_of(tree) if name != wrt]
    for name in others:
        yield (
            "wrong-variable",
            partial(_wrong_variable_message, name, wrt),
            lambda name=name: slopes.partial(name),  # type: ignore[misc]
        )
    yield from _not_held_constant(slopes, others)
    yield from _rule_mistakes(slopes)
    written = _sigmoid_written_out(tree)
    if written != tree:
        # σ′ is often worked out from σ(u) = 1/(1 + exp(−u)): the rule slipped there.
        for kind, describe, build in _rule_mistakes(_Slopes(slopes.context, written)):
            yield kind, partial(_written_out_message, describe), build
    yield from _lost_signs(slopes)
    yield from _sum_rule(slopes)


def _wrong_variable_message(name: str, wrt: str) -> str:
    return f"This is the partial derivative with respect to {name}, not {wrt}."


def _written_out_message(describe: Describe) -> str:
    return f"{_SIGMOID_WRITTEN_OUT}{_lower_first(describe())}"


def _rule_mistakes(slopes: _Slopes) -> Iterator[Entry]:
    """A rule misapplied at one node of the tree (`_local_mistakes`), the rest done right."""
    for path, node in _subtrees(slopes.tree):
        if not slopes.mentions(node, slopes.wrt):
            continue
        for kind, describe, wrong in _local_mistakes(slopes, node):
            yield (
                kind,
                describe,
                lambda path=path, node=node, wrong=wrong: (  # type: ignore[misc]
                    slopes.around(path, node, wrong())
                ),
            )


_SIGMOID_WRITTEN_OUT = "With σ(u) written as 1/(1 + exp(−u)): "


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


def _sum_rule(slopes: _Slopes) -> Iterator[Entry]:
    """The sum rule misapplied: a term with `wrt` left out, or a term without it kept as is.

    Both are the derivative of the function changed in that term alone, so signs and a constant
    multiple around the sum carry over: the term replaced by 0 (dropped), or by `wrt`·term, whose
    derivative is the term itself (kept).
    """
    tree, wrt = slopes.tree, slopes.wrt
    terms = list(_sum_terms(tree, wrt))
    if len(terms) < 2:
        return
    kept = [(path, term) for path, term in terms if not slopes.mentions(term, wrt)]
    varying = [(path, term) for path, term in terms if slopes.mentions(term, wrt)]
    # With one term in `wrt`, leaving it out gives 0: that is the "zero" kind, said already.
    for path, term in varying if len(varying) > 1 else []:
        yield (
            "dropped-term",
            partial(_dropped_term_message, term),
            lambda path=path: slopes.changed([(path, number(0))]),  # type: ignore[misc]
        )
    for chosen in [[one] for one in kept] + [kept] * (len(kept) > 1):
        replacements = [(path, BinOp("*", Var(wrt), term)) for path, term in chosen]
        yield (
            "constant-kept",
            partial(_kept_message, [term for _, term in chosen], wrt),
            lambda replacements=replacements: slopes.changed(replacements),  # type: ignore[misc]
        )


def _dropped_term_message(term: Node) -> str:
    return (
        f"Your answer leaves out the derivative of the term {to_pretty(term)}: by the sum rule, "
        "differentiate every term and add the derivatives."
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


def _dropped_factors(slopes: _Slopes) -> Iterator[Entry]:
    """A factor without `wrt` left out of a term: the derivative divided by it, in that term.

    Held constant, a factor stays: ∂(c·u)/∂x = c·∂u/∂x, for a number c or another variable.
    Each such factor of each term is tried alone, and all of a term's together.
    """
    tree, wrt = slopes.tree, slopes.wrt
    for path, term in _terms(tree):
        if not slopes.mentions(term, wrt):
            continue
        constant = [
            factor for factor in _factors(term, path) if not slopes.mentions(factor[1], wrt)
        ]
        for chosen in [[factor] for factor in constant] + [constant] * (len(constant) > 1):
            yield (
                "dropped-factor",
                partial(_dropped_message, chosen, term if path else None, wrt),
                lambda path=path, term=term, chosen=chosen: _dropped_slope(  # type: ignore[misc]
                    slopes, path, term, chosen
                ),
            )


def _dropped_slope(
    slopes: _Slopes,
    path: tuple[int, ...],
    term: Node,
    chosen: list[tuple[tuple[int, ...], Node, bool]],
) -> Array:
    """The derivative with the chosen factors of the term at `path` replaced by 1.

    None of them changes with wrt, so dropping one divides the term by it (or multiplies, for a
    divisor): the term's own derivative is scaled, and no tree is rebuilt unless a factor is 0
    at a sample point.
    """
    with np.errstate(all="ignore"):
        scale = np.ones(slopes.context.samples.size)
        for _, factor, divides in chosen:
            value = slopes.at(factor)
            scale = scale * value if divides else scale / value
        scaled = slopes.scaled_term(path, scale)
    if scaled is not None:
        return scaled
    return slopes.changed([(path, _without_factors(term, path, chosen))])


def _without_factors(
    term: Node, path: tuple[int, ...], chosen: list[tuple[tuple[int, ...], Node, bool]]
) -> Node:
    """The term at `path` with each chosen factor (paths from the root) replaced by 1."""
    for factor_path, _, _ in chosen:
        term = _replace(term, factor_path[len(path) :], number(1))
    return term


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


def _not_held_constant(slopes: _Slopes, others: list[str]) -> Iterator[Entry]:
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
            _text(
                f"Your answer also differentiates {names} as if "
                f"{'they' if len(moving) > 1 else 'it'} changed with {wrt}; in a partial "
                "derivative every other variable is held constant."
            ),
            lambda moving=moving: (  # type: ignore[misc]
                slopes.partial(wrt) + sum(slopes.partial(name) for name in moving)
            ),
        )
    if others:
        names = " and ".join(others)
        merged = substitute(slopes.tree, {name: Var(wrt) for name in others})
        yield (
            "not-held-constant",
            _text(
                f"Your answer treats {names} as if {'they were' if len(others) > 1 else 'it were'} "
                f"{wrt}; in a partial derivative every other variable is held constant."
            ),
            lambda: slopes.slope(merged),
        )


def _local_mistakes(slopes: _Slopes, node: Node) -> Iterator[Entry]:
    """(kind, message, the wrong derivative of `node` itself) for the mistakes `node` invites."""
    wrt = slopes.wrt
    hole = Var(_HOLE)
    outer: Node
    match node:
        case Call(func, (inner,)):
            if inner != Var(wrt):
                outer = Call(func, (hole,))
                yield (
                    "chain-rule",
                    partial(_chain_message, node, inner, wrt),
                    lambda: slopes.outer(outer, inner),
                )
            if func == "sqrt":
                yield (
                    "exponent-not-reduced",
                    partial(_exponent_message, node),
                    lambda: slopes.at(node) / 2 * slopes.slope(inner),
                )
            if func == "cos":
                yield (
                    "sign",
                    _text("The derivative of cos is −sin: a minus sign is missing."),
                    lambda: slopes.at(Call("sin", (inner,))) * slopes.slope(inner),
                )
            if func == "sigmoid":
                yield (
                    "sign",
                    _text("The derivative of σ is σ·(1 − σ), not σ·(1 + σ): check the sign."),
                    lambda: slopes.at(node) * (1 + slopes.at(node)) * slopes.slope(inner),
                )
            if func == "tanh":
                yield (
                    "sign",
                    _text("The derivative of tanh is 1 − tanh², not 1 + tanh²: check the sign."),
                    lambda: (1 + slopes.at(node) ** 2) * slopes.slope(inner),
                )
        case BinOp("^", base, exponent) if not slopes.mentions(exponent, wrt):
            if base != Var(wrt):
                outer = BinOp("^", hole, exponent)
                yield (
                    "chain-rule",
                    partial(_chain_message, node, base, wrt),
                    lambda: slopes.outer(outer, base),
                )
            yield (
                "exponent-not-reduced",
                partial(_exponent_message, node),
                lambda: slopes.at(exponent) * slopes.at(node) * slopes.slope(base),
            )
        case BinOp("^", base, exponent) if not slopes.mentions(base, wrt):
            if exponent != Var(wrt):
                outer = BinOp("^", base, hole)
                yield (
                    "chain-rule",
                    partial(_chain_message, node, exponent, wrt),
                    lambda: slopes.outer(outer, exponent),
                )
        case BinOp("*", left, right) if slopes.mentions(left, wrt) and slopes.mentions(right, wrt):
            yield (
                "product-rule",
                partial(_product_message, left, right),
                lambda: slopes.slope(left) * slopes.slope(right),
            )
            # One of the two terms of the product rule left out.
            for kept, lost in ((left, right), (right, left)):
                yield (
                    "product-rule",
                    partial(_product_term_message, node, lost),
                    lambda kept=kept, lost=lost: (  # type: ignore[misc]
                        slopes.slope(kept) * slopes.at(lost)
                    ),
                )
        case BinOp("/", top, bottom) if slopes.mentions(top, wrt) and slopes.mentions(bottom, wrt):
            for form in _QUOTIENT_FORMS:
                yield (
                    "quotient-rule",
                    partial(_quotient_message, node),
                    lambda form=form: form(  # type: ignore[misc]
                        slopes.at(top), slopes.at(bottom), slopes.slope(top), slopes.slope(bottom)
                    ),
                )
            # One of the two terms of the quotient rule left out.
            for lost, form in ((bottom, _numerator_only), (top, _denominator_only)):
                yield (
                    "quotient-rule",
                    partial(_quotient_term_message, node, lost),
                    lambda form=form: form(  # type: ignore[misc]
                        slopes.at(top), slopes.at(bottom), slopes.slope(top), slopes.slope(bottom)
                    ),
                )
        case BinOp("/", top, bottom) if slopes.mentions(bottom, wrt):
            # A constant over g: the one slip that is not a wrong sign or 0 is g left unsquared.
            yield (
                "quotient-rule",
                partial(_unsquared_message, node),
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


# Messages are written only for the mistakes that match an answer: printing every subtree of
# every candidate cost more than computing its values.


def _text(message: str) -> Describe:
    return lambda: message


def _chain_message(node: Node, inner: Node, wrt: str) -> str:
    return (
        f"Your answer leaves out the inner derivative of {to_pretty(node)}: by the chain rule, "
        f"multiply by the derivative of {to_pretty(inner)} with respect to {wrt}."
    )


def _exponent_message(node: Node) -> str:
    return (
        f"The exponent of {to_pretty(node)} was not lowered: the power rule gives n·uⁿ⁻¹·u′, not "
        "n·uⁿ·u′."
    )


def _product_message(left: Node, right: Node) -> str:
    return (
        f"Your answer multiplies the derivatives of the factors {to_pretty(left)} and "
        f"{to_pretty(right)}; by the product rule (f·g)′ = f′·g + f·g′."
    )


def _product_term_message(node: Node, lost: Node) -> str:
    return (
        f"Your answer leaves out a term of the product rule for {to_pretty(node)}: the one "
        f"where {to_pretty(lost)} is differentiated. (f·g)′ = f′·g + f·g′ has a term for each "
        "factor."
    )


def _quotient_message(node: Node) -> str:
    return (
        f"Your answer does not follow the quotient rule for {to_pretty(node)}: "
        "(f/g)′ = (f′·g − f·g′)/g²."
    )


def _quotient_term_message(node: Node, lost: Node) -> str:
    return (
        f"Your answer leaves out a term of the quotient rule for {to_pretty(node)}: the one "
        f"where {to_pretty(lost)} is differentiated. (f/g)′ = (f′·g − f·g′)/g² has a term for "
        "each."
    )


def _unsquared_message(node: Node) -> str:
    return (
        f"Your answer does not follow the quotient rule for {to_pretty(node)}: "
        "(f/g)′ = (f′·g − f·g′)/g², with g squared below."
    )


def _lost_signs(slopes: _Slopes) -> Iterator[Entry]:
    """A term whose minus sign was lost: the derivative of the function with that `−` a `+`."""
    for path, node in _subtrees(slopes.tree):
        # u − v with its minus lost is u + v, that is u − (−v): the change is in v alone.
        change: tuple[tuple[int, ...], Node] | None = None
        if isinstance(node, BinOp) and node.op == "-":
            change = ((*path, 1), Neg(node.right))
        elif isinstance(node, Neg):
            change = (path, node.operand)
        if change is not None:
            yield (
                "sign",
                partial(_lost_sign_message, node),
                lambda change=change: _flipped_slope(slopes, change),  # type: ignore[misc]
            )


def _flipped_slope(slopes: _Slopes, change: tuple[tuple[int, ...], Node]) -> Array:
    """The derivative with a sign lost: the subtree at the change's path times −1."""
    path, _ = change
    minus_one = np.full(slopes.context.samples.size, -1.0)
    flipped = slopes.scaled_term(path, minus_one)
    return slopes.changed([change]) if flipped is None else flipped


def _lost_sign_message(node: Node) -> str:
    return f"A minus sign is lost in {to_pretty(node)}: check the sign of each term."


# --- tree surgery ---------------------------------------------------------------------------------


# These walk with a stack of their own, not by recursion: a learner's sum or product may have
# hundreds of terms, each one level deeper than the last.


def _subtrees(tree: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    stack = [(path, tree)]
    while stack:
        where, node = stack.pop()
        yield where, node
        kids = _children(node)
        stack.extend(((*where, index), kids[index]) for index in reversed(range(len(kids))))


def _children(node: Node) -> tuple[Node, ...]:
    # Indicators are not differentiated through: their derivative is 0 away from the boundary.
    return () if isinstance(node, Indicator) else children(node)


def _terms(tree: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    """The terms of a sum (signs aside), each with its path."""
    stack = [(path, tree)]
    while stack:
        where, node = stack.pop()
        match node:
            case BinOp("+" | "-", left, right):
                stack.extend((((*where, 1), right), ((*where, 0), left)))
            case Neg(operand):
                stack.append(((*where, 0), operand))
            case _:
                yield where, node


def _factors(
    term: Node, path: tuple[int, ...], divided: bool = False
) -> Iterator[tuple[tuple[int, ...], Node, bool]]:
    """The factors of a product or quotient, each with its path and whether it divides."""
    stack = [(path, term, divided, True)]  # the last: whether to look inside the node
    while stack:
        where, node, below, inside = stack.pop()
        match node:
            case BinOp("*", left, right) if inside:
                stack.extend((((*where, 1), right, below, True), ((*where, 0), left, below, True)))
            case BinOp("/", top, bottom) if inside:
                # A divisor is one factor, whatever it holds.
                stack.extend(
                    (((*where, 1), bottom, not below, False), ((*where, 0), top, below, True))
                )
            case _:
                yield where, node, below


def _in_product(tree: Node, path: tuple[int, ...]) -> bool:
    """Whether the subtree at `path` is a factor of `tree`: the path goes down through
    products, numerators and signs only, so `tree` is that subtree times the rest."""
    node = tree
    for head in path:
        match node:
            case BinOp("*", left, right):
                node = right if head == 1 else left
            case BinOp("/", top, _) if head == 0:
                node = top
            case Neg(operand):
                node = operand
            case _:
                return False
    return True


def _nested(paths: list[tuple[int, ...]]) -> bool:
    """Whether one path is the same as, or leads into, another (two changes in one term)."""
    return any(
        first[: len(second)] == second
        for index, first in enumerate(paths)
        for second in paths[index + 1 :] + paths[:index]
    )


def _replace(tree: Node, path: tuple[int, ...], new: Node) -> Node:
    """`tree` with the subtree at `path` replaced by `new`."""
    above: list[tuple[Node, int]] = []  # each node on the way down, with the child taken
    node = tree
    for head in path:
        kids = children(node)
        if not isinstance(node, (Neg, BinOp, Call)) or head >= len(kids):
            raise ValueError(f"no subtree at {path}")
        above.append((node, head))
        node = kids[head]
    for parent, head in reversed(above):
        new = _with_child(parent, head, new)
    return new


def _with_child(parent: Node, head: int, new: Node) -> Node:
    match parent:
        case Neg():
            return Neg(new)
        case BinOp(op, left, right):
            if head == 0:
                return BinOp(op, new, right)
            return BinOp(op, left, new)
        case Call(func, args):
            changed = list(args)
            changed[head] = new
            return Call(func, tuple(changed))
    raise ValueError(f"{parent!r} has no operands")
