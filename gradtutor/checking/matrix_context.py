"""The work done once per (exercise, variable, seed) for a vector or matrix exercise.

A `MatrixContext` holds the function as a tree of the variables, the shape its derivative in `wrt`
has, two sets of sizes (each dimension name its own size, none equal to another's, so that an
answer right only for square matrices is caught) with random tensors and the finite differences of
the function in every entry of `wrt` there (`calculus.tensor`), and, lazily, SymPy's derivative of
every entry at one set of small sizes (`calculus.tensor_symbolic`). `matrix_context()` caches
contexts, so a class of answers pays for them once.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy

from gradtutor.calculus.budget import Budget, BudgetExceeded
from gradtutor.calculus.symbolic import UnsupportedExpression
from gradtutor.calculus.tensor import (
    Array,
    TensorDifferences,
    random_tensors,
    tensor_differences,
)
from gradtutor.calculus.tensor_symbolic import (
    Entries,
    entry_symbol,
    entry_symbols,
    to_sympy_entries,
)
from gradtutor.checking.context import ExerciseSpec
from gradtutor.checking.symbolic_check import derivative, kink_loci
from gradtutor.language.declarations import read_formula
from gradtutor.language.shapes import Shape

# Random tensors per set of sizes, and the sets of sizes (each name its own size).
POINTS_PER_SIZES = 3
SIZE_SETS = 2
# `validate` wants the slope of f estimable in at least this share of the entries tried.
MIN_USABLE_SHARE = 0.5
# SymPy's derivative of every entry, once per exercise and variable, within this many seconds.
REFERENCE_SECONDS = 5.0
_CACHE_SIZE = 256


def size_sets(dims: tuple[str, ...], literals: frozenset[int], seed: int) -> list[dict[str, int]]:
    """Sizes for each dimension name: distinct within a set, never a size written as a number,
    shuffled by the seed, and different between the sets."""
    generator = np.random.default_rng(seed)
    sets: list[dict[str, int]] = []
    for number in range(SIZE_SETS):
        pool = [
            size for size in range(2, 2 + len(dims) + len(literals) + 2) if size not in literals
        ]
        chosen = [pool[i] + number for i in generator.permutation(len(dims))]
        sets.append(dict(zip(dims, chosen, strict=True)))
    return sets


def symbolic_sizes(dims: tuple[str, ...], literals: frozenset[int]) -> dict[str, int]:
    """The small sizes of the symbolic check: 2, 3, 4, ... in the order the names are declared."""
    pool = (size for size in itertools.count(2) if size not in literals)
    return dict(zip(dims, pool, strict=False))


def answer_shape(function: Shape, variable: Shape) -> Shape:
    """∂f/∂W of a number f has W's shape; of a vector y by a vector x, the Jacobian [|y|, |x|]."""
    return Shape(function.dims + variable.dims)


# --- the work done once per (exercise, variable, seed) --------------------------------------------


@dataclass(frozen=True)
class Trial:
    """One set of sizes: random tensors (P of each variable) and the finite differences there."""

    sizes: dict[str, int]
    points: dict[str, Array]
    differences: TensorDifferences


class MatrixContext:
    """The function, the shape its derivative in `wrt` has, and the evidence to check against."""

    def __init__(self, spec: ExerciseSpec, wrt: str, seed: int) -> None:
        self.spec = spec
        self.wrt = wrt
        self.seed = seed
        self.declarations = spec.declarations
        self.shapes = self.declarations.shape_map
        function = read_formula(spec.function, self.declarations)
        self.function = function.expanded
        self.function_shape = function.shape
        self.variable_shape = self.declarations.shape_of(wrt)
        self.expected = answer_shape(function.shape, self.variable_shape)
        literals = self.declarations.literal_sizes
        self.trials = [
            self.trial(sizes, number)
            for number, sizes in enumerate(size_sets(self.declarations.dimensions, literals, seed))
        ]
        self.symbolic_sizes = symbolic_sizes(self.declarations.dimensions, literals)

    def trial(self, sizes: dict[str, int], number: int) -> Trial:
        generator = np.random.default_rng([self.seed, number])
        points = random_tensors(
            self.shapes, self.spec.variables, sizes, self.spec.domain_map, POINTS_PER_SIZES,
            generator,
        )  # fmt: skip
        differences = tensor_differences(self.function, self.wrt, points, self.shapes, sizes)
        return Trial(sizes, points, differences)

    @cached_property
    def reference(self) -> tuple[Entries, tuple[frozenset[sympy.Expr], ...]] | None:
        """SymPy's derivative of f in each entry of `wrt`, at the symbolic sizes (an array of the
        answer's shape), and the kink loci of each entry of f; None when out of reach."""
        try:
            with Budget(REFERENCE_SECONDS).limit():
                return self._reference()
        except (BudgetExceeded, UnsupportedExpression, ValueError, TypeError, ArithmeticError):
            return None

    def _reference(self) -> tuple[Entries, tuple[frozenset[sympy.Expr], ...]]:
        sizes = self.symbolic_sizes
        values, _ = to_sympy_entries(self.function, self.shapes, sizes)
        variable = entry_symbols(self.wrt, self.variable_shape.concrete(sizes))
        reference = np.empty(values.shape + variable.shape, dtype=object)
        loci: list[frozenset[sympy.Expr]] = []
        for outer in np.ndindex(values.shape):
            loci.append(kink_loci(values[outer]))
            for inner in np.ndindex(variable.shape):
                reference[outer + inner] = derivative(values[outer], variable[inner])
        return reference, tuple(loci)

    def self_check(self) -> str | None:
        """Why this exercise cannot be checked reliably (for `gradtutor validate`), or None.

        The function must be defined, with its entries' slopes estimable, at most random tensors;
        and SymPy's derivative of each entry, evaluated at a random point of the symbolic sizes,
        must agree with the finite differences there.
        """
        usable = np.concatenate([t.differences.usable.ravel() for t in self.trials])
        if usable.mean() < MIN_USABLE_SHARE:
            return (
                f"the slope of f in the entries of {self.wrt} could be estimated for only "
                f"{usable.mean():.0%} of the entries at the random tensors of its domain"
            )
        reference = self.reference
        if reference is None:
            return None
        entries, _ = reference
        sizes = self.symbolic_sizes
        generator = np.random.default_rng([self.seed, SIZE_SETS])
        points = random_tensors(
            self.shapes, self.spec.variables, sizes, self.spec.domain_map, 1, generator
        )
        differences = tensor_differences(self.function, self.wrt, points, self.shapes, sizes)
        values = {
            entry_symbol(name, index): sympy.Float(float(array[0][index]))
            for name, array in points.items()
            for index in np.ndindex(array.shape[1:])
        }
        for index in np.ndindex(entries.shape):
            if not differences.usable[0][index]:
                continue
            exact = complex(entries[index].xreplace(values).evalf())
            estimate = float(differences.values[0][index])
            if abs(exact - estimate) > 1e-6 * max(1.0, abs(estimate)):
                return (
                    f"SymPy's derivative of f in entry {entry_text(index)} of {self.wrt} is "
                    f"{exact.real:.6g} but the finite difference of f is {estimate:.6g} "
                    f"(at {self.sizes_text(sizes)})"
                )
        return None

    @property
    def function_name(self) -> str:
        """What the function is called in questions (∂L/∂W): the exercise's `name`, else f."""
        return str(getattr(self.spec, "name", None) or "f")

    def sizes_text(self, sizes: dict[str, int]) -> str:
        return ", ".join(f"{name} = {size}" for name, size in sizes.items())


_contexts: OrderedDict[tuple[ExerciseSpec, str, int], MatrixContext] = OrderedDict()


def matrix_context(spec: ExerciseSpec, wrt: str, seed: int) -> MatrixContext:
    key = (spec, wrt, seed)
    context = _contexts.get(key)
    if context is None:
        context = MatrixContext(spec, wrt, seed)
        _contexts[key] = context
        if len(_contexts) > _CACHE_SIZE:
            _contexts.popitem(last=False)
    return context


def clear_caches() -> None:
    _contexts.clear()


def entry_text(entry: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(i) for i in entry) + ")" if len(entry) > 1 else f"{entry[0]}"
