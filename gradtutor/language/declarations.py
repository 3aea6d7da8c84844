"""What an exercise declares about its names, and reading a formula in their light.

An exercise's variables, the shapes of its non-scalar ones (`shapes: {X: [n, d]}`) and its named
intermediates (`where: {z: w*x + b, p: sigmoid(z)}`) decide how a formula reads: a dimension's name
is its size, a product of two matrices is their matrix product, and an intermediate's name stands
for its definition. `read_formula` parses a formula (the function, an answer, a definition) into
the tree as written (for the echo, `p − y`) and the tree with every intermediate replaced by its
definition (for the checks, which differentiate and evaluate the function of the variables).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

from gradtutor.errors import GradtutorError
from gradtutor.language.expr import Node, substitute
from gradtutor.language.parser import parse
from gradtutor.language.shapes import MAX_LITERAL_SIZE, SCALAR, DimSize, Shape, annotate


@dataclass(frozen=True)
class Declarations:
    """Variables, the dimensions of the non-scalar ones, and named intermediates in order."""

    variables: tuple[str, ...]
    shapes: tuple[tuple[str, tuple[DimSize, ...]], ...] = ()
    where: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        variables: tuple[str, ...] | list[str],
        shapes: Mapping[str, list[DimSize] | tuple[DimSize, ...]] | None = None,
        where: Mapping[str, str] | None = None,
    ) -> Declarations:
        return cls(
            tuple(variables),
            tuple((name, tuple(dims)) for name, dims in (shapes or {}).items() if dims),
            tuple((where or {}).items()),
        )

    @property
    def tensor(self) -> bool:
        """Whether any variable is a vector or a matrix (the matrix check applies)."""
        return bool(self.shapes)

    @cached_property
    def shape_map(self) -> dict[str, Shape]:
        """The shape of every non-scalar variable and intermediate."""
        shapes = {name: Shape(dims) for name, dims in self.shapes}
        for name, formula in self.definitions.items():
            if not formula.shape.is_scalar:
                shapes[name] = formula.shape
        return shapes

    def shape_of(self, name: str) -> Shape:
        return self.shape_map.get(name, SCALAR)

    @cached_property
    def dimensions(self) -> tuple[str, ...]:
        """The names of the dimensions, in the order they are first declared."""
        names = (d for _, dims in self.shapes for d in dims if isinstance(d, str))
        return tuple(dict.fromkeys(names))

    @property
    def literal_sizes(self) -> frozenset[int]:
        return frozenset(d for _, dims in self.shapes for d in dims if isinstance(d, int))

    @property
    def names(self) -> list[str]:
        """What a formula may name: the variables and the intermediates."""
        return [*self.variables, *(name for name, _ in self.where)]

    @cached_property
    def definitions(self) -> dict[str, Formula]:
        """Each intermediate, read with the variables and the intermediates before it."""
        read: dict[str, Formula] = {}
        for name, text in self.where:
            read[name] = _read(text, self, read)
        return read


def shape_option(text: str) -> tuple[str, tuple[DimSize, ...]]:
    """`X=n,d` (as `--shape` gives it) read as the name X and its dimensions (n, d).

    Raises `GradtutorError` with what to write when it is not a name, `=` and one or two
    dimensions (names, or whole numbers from 1 on).
    """
    name, equals, dims_text = text.partition("=")
    dims = [d.strip() for d in dims_text.split(",")] if equals else []
    good = re.fullmatch(_NAME, name.strip()) and 1 <= len(dims) <= 2
    sizes = [d for d in dims if d.isdigit()]
    if good and all(re.fullmatch(_NAME, d) or d in sizes for d in dims):
        if any(not 1 <= int(d) <= MAX_LITERAL_SIZE for d in sizes):
            raise GradtutorError(
                f"--shape {text!r}: a size written as a number goes from 1 to {MAX_LITERAL_SIZE}",
                "name the dimension instead (--shape X=n,d): the checker chooses its sizes",
            )
        return name.strip(), tuple(int(d) if d.isdigit() else d for d in dims)
    raise GradtutorError(
        f"--shape {text!r} is not a shape",
        "write the variable, = and its dimensions, e.g. --shape X=n,d or --shape b=k",
    )


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


@dataclass(frozen=True)
class Formula:
    """A formula as written (products settled) and as a function of the variables alone."""

    tree: Node
    expanded: Node
    shape: Shape


def read_formula(text: str, declarations: Declarations) -> Formula:
    """Read `text` with the exercise's names; raises `ParseError` (`ShapeError` for shapes)."""
    return _read_cached(text, declarations)


@lru_cache(maxsize=4096)
def _read_cached(text: str, declarations: Declarations) -> Formula:
    return _read(text, declarations, declarations.definitions)


def _read(text: str, declarations: Declarations, known: Mapping[str, Formula]) -> Formula:
    names = [*declarations.variables, *known]
    if not declarations.tensor:
        tree = parse(text, names)
        expanded = substitute(tree, {n: f.expanded for n, f in known.items()}) if known else tree
        return Formula(tree, expanded, SCALAR)
    tree = parse(text, names, dimensions=declarations.dimensions)
    shapes = {name: Shape(dims) for name, dims in declarations.shapes}
    shapes.update({name: f.shape for name, f in known.items() if not f.shape.is_scalar})
    annotated = annotate(tree, shapes)
    expanded = annotated.tree
    if known:
        expanded = substitute(expanded, {n: f.expanded for n, f in known.items()})
    return Formula(annotated.tree, expanded, annotated.shape)
