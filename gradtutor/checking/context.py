"""The work done once per (exercise, variable, seed), shared by every answer checked against it.

An `ExerciseContext` holds SymPy's derivative of the function (right on tie intervals of max/min,
see `symbolic_check.derivative`) and a tree of it for evaluation, the kink loci of the function, the
seeded sample points where a finite difference is usable, the finite-difference estimates and their
errors there, and (lazily) a second, larger set of points for extra evidence. `context_for()` caches
contexts, so a class of answers costs one derivative, one set of finite differences and one set of
sample points per exercise.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from gradtutor.calculus.budget import Budget, BudgetExceeded
from gradtutor.calculus.exact_polynomial import ExactPolynomial, expand
from gradtutor.calculus.numeric import (
    Array,
    Mask,
    evaluate,
    evaluate_precise,
    finite_differences,
    sample_points,
    term_magnitudes,
)
from gradtutor.calculus.polynomial import (
    Monomial,
    differentiate,
    monomials,
    monomials_to_tree,
)
from gradtutor.errors import GradtutorError
from gradtutor.language.declarations import Declarations
from gradtutor.language.expr import (
    BinOp,
    Call,
    Compare,
    Const,
    Indicator,
    Neg,
    Node,
    Num,
    Var,
    children,
    fold_left,
    number,
    to_pretty,
    variables_of,
    walk,
)

if TYPE_CHECKING:  # SymPy is loaded only for a function that is not a sum of monomials
    import sympy

# Points compared by the finite-difference check: at least MIN_POINTS usable ones are wanted.
MIN_POINTS = 12
FIRST_SAMPLE = 24
RETRY_SAMPLE = 256
MAX_POINTS = 48
# Points for extra evidence, compared with SymPy's derivative evaluated in float64.
EXTRA_SAMPLE = 256
# Seeds for the extra points are offset so that they never coincide with the first sample.
EXTRA_SEED_OFFSET = 2**32
# Finite-difference error estimates are multiplied by this before use as a tolerance.
SAFETY = 4.0
EPS = float(np.finfo(np.float64).eps)
# Two max/min arguments this close (relative, in 40 digits) at a point are tied there.
TIE = 1e-30
# Rounding of a float64 evaluation: this many units of the magnitude of its terms.
ROUNDING_UNITS = 64.0

_CACHE_SIZE = 512


@dataclass(frozen=True)
class ExerciseSpec:
    """What the checker needs of an exercise (a hashable view of `Exercise`)."""

    id: str
    function: str
    variables: tuple[str, ...]
    domain: tuple[tuple[str, float, float], ...]
    hints: tuple[str, ...] = ()
    exercise_set: str | None = None
    tree: Node | None = field(default=None, compare=False)
    points: float = field(default=1.0, compare=False)  # per partial derivative asked
    # The dimensions of each non-scalar variable, and the named intermediates (`where`).
    shapes: tuple[tuple[str, tuple[str | int, ...]], ...] = ()
    where: tuple[tuple[str, str], ...] = ()
    name: str = field(default="f", compare=False)  # what the function is called: ∂L/∂W

    @classmethod
    def of(cls, exercise: Any) -> ExerciseSpec:
        """From an `Exercise` (or anything with its fields); a spec is returned as it is."""
        if isinstance(exercise, ExerciseSpec):
            return exercise
        domain = exercise.domain or {}
        return cls(
            id=str(exercise.id),
            function=str(exercise.function),
            variables=tuple(exercise.variables),
            domain=tuple(
                (name, float(low), float(high)) for name, (low, high) in sorted(domain.items())
            ),
            hints=tuple(getattr(exercise, "hints", ()) or ()),
            exercise_set=getattr(exercise, "set", None) or None,
            tree=exercise.tree,
            points=float(exercise.points),
            shapes=tuple(
                (name, tuple(dims))
                for name, dims in (getattr(exercise, "shapes", None) or {}).items()
            ),
            where=tuple((getattr(exercise, "where", None) or {}).items()),
            name=str(getattr(exercise, "name", None) or "f"),
        )

    @cached_property
    def declarations(self) -> Declarations:
        """The names an answer may use, and how they read (shapes, intermediates)."""
        return Declarations(self.variables, self.shapes, self.where)

    @property
    def domain_map(self) -> dict[str, tuple[float, float]]:
        return {name: (low, high) for name, low, high in self.domain}


@dataclass(frozen=True)
class Samples:
    """Points with, per point, the derivative's estimate and the tolerance of its error."""

    points: dict[str, Array]
    estimate: Array
    error: Array

    @property
    def size(self) -> int:
        return len(self.estimate)

    def point(self, index: int) -> dict[str, float]:
        return {name: float(values[index]) for name, values in self.points.items()}

    def subset(self, keep: Mask) -> Samples:
        return Samples(
            {name: values[keep] for name, values in self.points.items()},
            self.estimate[keep],
            self.error[keep],
        )


class ExerciseContext:
    """The function, its derivative in `wrt` and the evidence to check answers against."""

    def __init__(self, spec: ExerciseSpec, wrt: str, seed: int, timeout: float) -> None:
        if wrt not in spec.variables:
            raise GradtutorError(
                f"'{wrt}' is not a variable of exercise {spec.id}",
                f"its variables are {', '.join(spec.variables)}",
            )
        self.spec = spec
        self.wrt = wrt
        self.seed = seed
        self.tree, self.function, self.loci = _function_of(spec)
        # A function written as a sum of monomials has its derivative as one too: an answer
        # written so is SymPy's derivative as written exactly when its terms are these.
        self.reference_terms: dict[Monomial, Fraction] | None = None
        self._reference_tree: Node | None = None
        if isinstance(self.function, dict):
            # Its tree and SymPy's form are built only if asked for (`reference_tree`).
            self.reference_terms = differentiate(self.function, wrt)
        else:
            self._reference, self._reference_tree = _derivative(self.function, wrt, timeout)
        self.samples = self._samples()

    @cached_property
    def reference_tree(self) -> Node | None:
        """SymPy's derivative as a tree; None if out of reach. For a sum of monomials, the tree
        SymPy's form would give, built when first asked for: a right answer written as a sum of
        monomials needs none."""
        if self.reference_terms is not None:
            return monomials_to_tree(self.reference_terms)
        return self._reference_tree

    @cached_property
    def reference(self) -> sympy.Expr | None:
        """SymPy's derivative (right on tie intervals and off the kink set); None if out of
        reach."""
        from gradtutor.calculus.symbolic import monomials_to_sympy

        if self.reference_terms is not None:
            return monomials_to_sympy(self.reference_terms)
        return self._reference

    @property
    def variables(self) -> tuple[str, ...]:
        return self.spec.variables

    @cached_property
    def wrt_loci(self) -> list[sympy.Expr]:
        """The kink loci that move with `wrt`: where the derivative may not exist."""
        if not self.loci:
            return []  # a polynomial has none: SymPy need not be loaded to say so
        from gradtutor.calculus.symbolic import symbol

        return [locus for locus in self.loci if symbol(self.wrt) in locus.free_symbols]

    @cached_property
    def reference_values(self) -> Array:
        """SymPy's derivative in float64 at the sample points (the estimates where unavailable)."""
        values = self.reference_float64
        return np.where(np.isfinite(values), values, self.samples.estimate)

    @cached_property
    def reference_float64(self) -> Array:
        """`evaluate` of SymPy's derivative at the sample points (NaN where unavailable)."""
        if self.reference_tree is None:
            return np.full(self.samples.size, np.nan)
        return evaluate(self.reference_tree, self.samples.points)

    @cached_property
    def reference_text(self) -> str | None:
        """The derivative, printed for a teacher (`--reveal`)."""
        if self.reference_tree is not None:
            return to_pretty(self.reference_tree)
        import sympy

        return None if self.reference is None else sympy.sstr(self.reference)

    @cached_property
    def exact_reference(self) -> ExactPolynomial | None:
        """SymPy's derivative multiplied out, if it is a polynomial (`exact_polynomial`)."""
        if self.reference_terms is not None:
            return ExactPolynomial.of_monomials(self.reference_terms)
        tree = self.reference_tree
        return None if tree is None else expand(tree, self.variables)

    @cached_property
    def reference_magnitude(self) -> Array:
        """`magnitudes` of SymPy's derivative at the sample points (NaN where unknown)."""
        if self.reference_tree is None:
            return np.full(self.samples.size, np.nan)
        return magnitudes(self.reference_tree, self.samples.points)

    @cached_property
    def extra(self) -> tuple[dict[str, Array], Array, Array] | None:
        """More points with SymPy's derivative and its rounding there (None without a tree).

        The derivative is NaN where the function is undefined: a formula for the derivative
        may extend beyond the function (1/x beyond log x), and nothing is asked of it there.
        """
        if self.reference_tree is None:
            return None
        points = sample_points(
            self.variables, self.spec.domain_map, EXTRA_SAMPLE, self.seed + EXTRA_SEED_OFFSET
        )
        defined = np.isfinite(evaluate(self.tree, points))
        values = np.where(defined, evaluate(self.reference_tree, points), np.nan)
        return points, values, rounding(self.reference_tree, points)

    @cached_property
    def extremes(self) -> list[tuple[Node, ...]]:
        """The arguments of each max/min of the function that moves with `wrt`."""
        if self.reference_terms is not None:
            return []  # a sum of monomials has none, and walking it is not free
        return [
            node.args
            for node in walk(self.tree)
            if isinstance(node, Call) and node.func in ("max", "min")
            and self.wrt in variables_of(node)
        ]  # fmt: skip

    def tied(self, point: Mapping[str, float]) -> bool:
        """Whether two arguments of a max/min of the function are equal at `point` (in 40 digits).

        There the derivative exists only if the tied arguments have the same slope, and the
        reference's value depends on how its steps read a tie; the finite difference does not.
        """
        for arguments in self.extremes:
            values = [evaluate_precise(argument, point) for argument in arguments]
            defined = [value for value in values if value is not None]
            for a, b in itertools.combinations(defined, 2):
                if abs(a - b) <= TIE * max(1.0, abs(a), abs(b)):
                    return True
        return False

    def difference_at(self, point: Mapping[str, float]) -> tuple[float, float] | None:
        """The finite difference of the function at `point` and its tolerance, None if unusable."""
        columns = {name: np.array([value]) for name, value in point.items()}
        differences = finite_differences(self.tree, self.wrt, columns)
        if not differences.usable[0]:
            return None
        estimate = float(differences.values[0])
        return estimate, SAFETY * float(differences.error[0]) + 4 * EPS * abs(estimate)

    def _samples(self) -> Samples:
        """At least MIN_POINTS usable points when the domain allows it (a second, larger draw)."""
        domain = self.spec.domain_map
        found: Samples | None = None
        for count in (FIRST_SAMPLE, RETRY_SAMPLE):
            points = sample_points(self.variables, domain, count, self.seed)
            with np.errstate(all="ignore"):  # overflow at far points is expected and masked
                differences = finite_differences(self.tree, self.wrt, points)
            usable = differences.usable
            found = Samples(
                {name: values[usable][:MAX_POINTS] for name, values in points.items()},
                differences.values[usable][:MAX_POINTS],
                SAFETY * differences.error[usable][:MAX_POINTS],
            )
            if found.size >= MIN_POINTS:
                break
        assert found is not None
        return found


@lru_cache(maxsize=_CACHE_SIZE)
def _function_of(
    spec: ExerciseSpec,
) -> tuple[Node, sympy.Expr | dict[Monomial, Fraction], frozenset[sympy.Expr]]:
    """The function as a tree, in SymPy, and its kink loci: shared by its variables' contexts.

    A function written as a sum of monomials is kept as its terms instead: it has no kink, and
    its derivatives are built term by term (`_derivative`), which is what SymPy's would be.
    """
    tree = spec.tree if spec.tree is not None else _parse(spec)
    terms = monomials(tree)
    if terms is not None:
        return tree, terms, frozenset()
    from gradtutor.calculus.symbolic import to_sympy

    function = to_sympy(tree)
    return tree, function, _kink_loci(function)


def _parse(spec: ExerciseSpec) -> Node:
    from gradtutor.language.declarations import read_formula

    return read_formula(spec.function, spec.declarations).expanded


def _derivative(
    function: sympy.Expr, wrt: str, timeout: float
) -> tuple[sympy.Expr | None, Node | None]:
    """The derivative (SymPy's, right on tie intervals and off the kink set) and a tree of it,
    each None if out of reach."""
    from gradtutor.calculus.symbolic import UnsupportedExpression, from_sympy, symbol
    from gradtutor.checking.symbolic_check import derivative

    try:
        with Budget(max(timeout, 1.0)).limit():
            reference = derivative(function, symbol(wrt))
    except BudgetExceeded:
        return None, None
    try:
        tree: Node | None = from_sympy(reference)
    except (UnsupportedExpression, RecursionError):
        tree = None
    return reference, tree


# Rewriting kinks as cases takes SymPy milliseconds, except for kinks nested inside the
# conditions of others (1(x > 1(y > 0) + …)), where it doubles with each level.
KINK_LOCI_SECONDS = 1.0


def _kink_loci(function: sympy.Expr) -> frozenset[sympy.Expr]:
    from gradtutor.checking.symbolic_check import kink_loci

    try:
        with Budget(KINK_LOCI_SECONDS).limit():
            return kink_loci(function)
    except (Exception, BudgetExceeded):
        # A rewrite SymPy cannot do, or not in time: no kink is known, so none is excused.
        return frozenset()


# --- float64 rounding of an evaluation ------------------------------------------------------------


def magnitudes(node: Node, points: Mapping[str, Array]) -> Array:
    """The size of the terms that make up the tree's value at each point (`magnitude_tree`,
    evaluated without building it)."""
    return term_magnitudes(node, points)


def rounding(node: Node, points: Mapping[str, Array], magnitude: Array | None = None) -> Array:
    """An estimate of the absolute rounding error of `evaluate(node, points)`.

    It is ROUNDING_UNITS · eps times a magnitude that adds the absolute values of terms before
    they cancel, so that `(x + 1e8) − 1e8` gets a tolerance fitting its lost digits. The
    `magnitude` is `magnitudes(node, points)`, computed here unless given.
    """
    if magnitude is None:
        magnitude = magnitudes(node, points)
    units = ROUNDING_UNITS * max(1, _size(node) // 8)
    return np.where(np.isfinite(magnitude), units * EPS * magnitude, np.inf)


def _size(node: Node) -> int:
    """The number of nodes: a loop over a stack, with sums and products (most nodes) unpacked
    in place, several times faster than counting `walk`'s nodes."""
    count, stack = 0, [node]
    while stack:
        current = stack.pop()
        count += 1
        if isinstance(current, BinOp):
            stack += (current.left, current.right)
        elif not isinstance(current, Num | Var):
            stack.extend(children(current))
    return count


def _abs(node: Node) -> Node:
    return Call("abs", (node,))


def magnitude_tree(node: Node) -> Node:
    """A tree whose value bounds the sizes of the terms that make up `node`'s value."""
    match node:
        case Num(value):
            return number(abs(value))
        case Var() | Const():
            return _abs(node)
        case Neg(operand):
            return magnitude_tree(operand)
        case BinOp():  # a sum or product of any length: its left spine in a loop
            return fold_left(node, magnitude_tree, _magnitude_link)
        case Call(_, args) if len(args) == 1:
            # f(u) carries the error of u, scaled by about |f|, plus its own.
            inner = magnitude_tree(args[0])
            return BinOp("+", _abs(node), BinOp("*", inner, BinOp("+", number(1), _abs(node))))
        case Indicator(Compare()):
            return number(1)
    return _abs(node)


def _magnitude_link(link: BinOp, left: Node) -> Node:
    """The magnitude tree of `link`, given that of its left operand."""
    match link.op:
        case "+" | "-":
            return BinOp("+", left, magnitude_tree(link.right))
        case "*":
            return BinOp("*", left, magnitude_tree(link.right))
        case "/":
            return BinOp("/", left, _abs(link.right))
    return _abs(link)


# --- the cache ------------------------------------------------------------------------------------

_contexts: OrderedDict[tuple[ExerciseSpec, str, int], ExerciseContext] = OrderedDict()


def context_for(spec: ExerciseSpec, wrt: str, seed: int, timeout: float) -> ExerciseContext:
    """The cached context of (exercise, variable, seed); built on first use."""
    key = (spec, wrt, seed)
    context = _contexts.get(key)
    if context is None:
        context = ExerciseContext(spec, wrt, seed, timeout)
        _contexts[key] = context
        if len(_contexts) > _CACHE_SIZE:
            _contexts.popitem(last=False)
    else:
        _contexts.move_to_end(key)
    return context


def clear_caches() -> None:
    _contexts.clear()
    _function_of.cache_clear()
