"""Tensor formulas in SymPy, entry by entry: the symbolic half of the matrix check.

At one set of small sizes, each entry of a variable W is a real symbol of its own (`W_0_1`), and a
tree evaluates to a NumPy array of SymPy expressions (a number to one expression). The scalar
operations come from the bridge `gradtutor.calculus.symbolic` (its whitelist of functions and
conventions: relu is Max(u, 0), heaviside(0) is 0), an indicator is a Heaviside step (`indicator`,
the form of SymPy's derivative of relu, so that a mask matches it as built); the shapes come
from `gradtutor.language.shapes`, as for the NumPy evaluator, so the two agree on every product.
No text ever reaches SymPy: the symbols are built from names the exercise declared.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from gradtutor.calculus.symbolic import SYMPY_FUNCTIONS, symbol
from gradtutor.language.expr import (
    BinOp,
    Call,
    Compare,
    Const,
    Dim,
    Hadamard,
    Indicator,
    MatMul,
    Neg,
    Node,
    Num,
    Reduce,
    Transpose,
    Var,
)
from gradtutor.language.shapes import (
    SCALAR,
    Shape,
    broadcast_shape,
    constructed_shape,
    matmul_operands,
    matmul_shape,
    reduced_shape,
    transpose_shape,
)

Entries = Any  # a NumPy array of dtype object, holding SymPy expressions (0-d for a number)


def entry_symbol(name: str, index: Sequence[int]) -> sympy.Symbol:
    """The real symbol of one entry: W_0_1 for W[0, 1]; a scalar variable keeps its name."""
    return symbol("_".join([name, *(str(i) for i in index)])) if index else symbol(name)


def entry_symbols(name: str, dims: tuple[int, ...]) -> Entries:
    """An array of the symbols of every entry of a variable of these sizes."""
    entries = np.empty(dims, dtype=object)
    for index in itertools.product(*(range(d) for d in dims)):
        entries[index] = entry_symbol(name, index)
    return entries


def _elementwise(function: Callable[[Any], Any], value: Entries) -> Entries:
    return (
        np.vectorize(function, otypes=[object])(value)
        if value.shape
        else np.array(function(value[()]), dtype=object)
    )


class _SymbolicEvaluator:
    def __init__(self, shapes: Mapping[str, Shape], sizes: Mapping[str, int]) -> None:
        self.shapes = shapes
        self.sizes = sizes

    def __call__(self, node: Node) -> tuple[Entries, Shape]:
        value, shape = self.visit(node)
        # NumPy hands back a bare SymPy expression from arithmetic on a 0-d array.
        return (value if isinstance(value, np.ndarray) else _scalar(value)), shape

    def visit(self, node: Node) -> tuple[Entries, Shape]:
        match node:
            case Num(value):
                return _scalar(sympy.Rational(value.numerator, value.denominator)), SCALAR
            case Dim(name):
                return _scalar(sympy.Integer(self.sizes[name])), SCALAR
            case Const(name):
                return _scalar(sympy.E if name == "e" else sympy.pi), SCALAR
            case Var(name):
                shape = self.shapes.get(name, SCALAR)
                return entry_symbols(name, shape.concrete(self.sizes)), shape
            case Neg(operand):
                value, shape = self(operand)
                return -value, shape
            case BinOp(op, left, right):
                return self.elementwise(op, self(left), self(right))
            case Hadamard(left, right):
                return self.elementwise("*", self(left), self(right))
            case MatMul(left, right):
                return self.matmul(self(left), self(right))
            case Transpose(operand):
                value, shape = self(operand)
                return (value.T if shape.rank == 2 else value), transpose_shape(shape)
            case Reduce(func, operand, axis, keepdims):
                return self.reduce(func, self(operand), axis, keepdims)
            case Call(func, args) if func in ("ones", "eye"):
                shape = constructed_shape(func, args)
                dims = shape.concrete(self.sizes)
                single = np.eye(dims[0], dtype=int) if func == "eye" else np.ones(dims, dtype=int)
                return _integers(single), shape
            case Call(func, args):
                return self.call(func, [self(a) for a in args])
            case Indicator(Compare(op, left, right)):
                (a, b), shape = self.aligned([self(left), self(right)])
                pairs = np.broadcast_arrays(a, b)
                entries = np.empty(pairs[0].shape, dtype=object)
                for index in np.ndindex(entries.shape):
                    entries[index] = indicator(op, pairs[0][index], pairs[1][index])
                return entries, shape
        raise TypeError(f"not an expression node: {node!r}")

    def aligned(self, operands: Sequence[tuple[Entries, Shape]]) -> tuple[list[Entries], Shape]:
        shape = broadcast_shape(*(s for _, s in operands))
        lifted = [v.reshape((1,) * (shape.rank - s.rank) + v.shape) for v, s in operands]
        return lifted, shape

    def elementwise(
        self, op: str, left: tuple[Entries, Shape], right: tuple[Entries, Shape]
    ) -> tuple[Entries, Shape]:
        (a, b), shape = self.aligned([left, right])
        a, b = np.broadcast_arrays(a, b)
        combine = _ARITHMETIC[op]
        entries = np.empty(a.shape, dtype=object)
        for index in np.ndindex(a.shape):
            entries[index] = combine(a[index], b[index])
        return entries, shape

    def matmul(
        self, left: tuple[Entries, Shape], right: tuple[Entries, Shape]
    ) -> tuple[Entries, Shape]:
        (a, a_shape), (b, b_shape) = left, right
        shape = matmul_shape(a_shape, b_shape)
        (a_dims, _), (b_dims, _) = matmul_operands(a_shape, b_shape)
        a2 = a.reshape(Shape(a_dims).concrete(self.sizes))
        b2 = b.reshape(Shape(b_dims).concrete(self.sizes))
        product = np.empty((a2.shape[0], b2.shape[1]), dtype=object)
        for i in range(a2.shape[0]):
            for j in range(b2.shape[1]):
                product[i, j] = sympy.Add(*(a2[i, k] * b2[k, j] for k in range(a2.shape[1])))
        return product.reshape(shape.concrete(self.sizes)), shape

    def reduce(
        self, func: str, operand: tuple[Entries, Shape], axis: int | None, keepdims: bool
    ) -> tuple[Entries, Shape]:
        value, shape = operand
        reduced = reduced_shape(shape, axis, keepdims)
        if not shape.rank:
            return value, reduced
        axes = tuple(range(shape.rank)) if axis is None else (axis % shape.rank,)
        count = int(np.prod([value.shape[a] for a in axes]))
        total = np.asarray(np.sum(value, axis=axes, keepdims=keepdims, dtype=object))
        if func == "mean":
            total = np.asarray(total / count, dtype=object)
        return total.reshape(reduced.concrete(self.sizes)), reduced

    def call(self, func: str, args: list[tuple[Entries, Shape]]) -> tuple[Entries, Shape]:
        if func in ("max", "min"):
            values, shape = self.aligned(args)
            arrays = np.broadcast_arrays(*values)
            extreme = sympy.Max if func == "max" else sympy.Min
            entries = np.empty(arrays[0].shape, dtype=object)
            for index in np.ndindex(entries.shape):
                entries[index] = extreme(*(array[index] for array in arrays))
            return entries, shape
        tensor = _TENSOR_FUNCTIONS.get(func)
        if tensor is not None:
            return tensor(args)
        ((value, shape),) = args
        return _elementwise(SYMPY_FUNCTIONS[func], value), shape


def indicator(op: str, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
    """1(left op right) as a Heaviside step of the difference, the form SymPy's derivative of
    relu and max takes (Heaviside(u, 0) is 0 at u = 0, Heaviside(u, 1) is 1 there), so that an
    answer written with the mask is the derivative as built, entry by entry."""
    if op in (">", ">="):
        return sympy.Heaviside(left - right, 0 if op == ">" else 1)
    return sympy.Heaviside(right - left, 0 if op == "<" else 1)


def _scalar(value: sympy.Expr) -> Entries:
    return np.array(value, dtype=object)


def _integers(values: Any) -> Entries:
    entries = np.empty(values.shape, dtype=object)
    for index in np.ndindex(values.shape):
        entries[index] = sympy.Integer(int(values[index]))
    return entries


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "^": lambda a, b: a**b,
}  # fmt: skip


def _softmax(args: list[tuple[Entries, Shape]]) -> tuple[Entries, Shape]:
    ((value, shape),) = args
    if not shape.rank:
        return _scalar(sympy.Integer(1)), shape
    exponentials = _elementwise(sympy.exp, value)
    rows = exponentials.reshape(-1, exponentials.shape[-1])
    result = np.empty(rows.shape, dtype=object)
    for r in range(rows.shape[0]):
        total = sympy.Add(*rows[r])
        for c in range(rows.shape[1]):
            result[r, c] = rows[r, c] / total
    return result.reshape(value.shape), shape


def _diag(args: list[tuple[Entries, Shape]]) -> tuple[Entries, Shape]:
    ((value, shape),) = args
    if shape.rank == 1:
        size = value.shape[0]
        result = _integers(np.zeros((size, size), dtype=int))
        for i in range(size):
            result[i, i] = value[i]
        return result, Shape((shape.dims[0], shape.dims[0]))
    return np.array([value[i, i] for i in range(value.shape[0])], dtype=object), Shape(
        (shape.dims[0],)
    )


def _outer(args: list[tuple[Entries, Shape]]) -> tuple[Entries, Shape]:
    (a, a_shape), (b, b_shape) = args
    result = np.empty((a.shape[0], b.shape[0]), dtype=object)
    for i, j in itertools.product(range(a.shape[0]), range(b.shape[0])):
        result[i, j] = a[i] * b[j]
    return result, Shape((a_shape.dims[0], b_shape.dims[0]))


def _trace(args: list[tuple[Entries, Shape]]) -> tuple[Entries, Shape]:
    ((value, _shape),) = args
    return _scalar(sympy.Add(*(value[i, i] for i in range(value.shape[0])))), SCALAR


def _norm(args: list[tuple[Entries, Shape]]) -> tuple[Entries, Shape]:
    ((value, _shape),) = args
    return _scalar(sympy.sqrt(sympy.Add(*(v**2 for v in value.flat)))), SCALAR


_TENSOR_FUNCTIONS: dict[str, Callable[[list[tuple[Entries, Shape]]], tuple[Entries, Shape]]] = {
    "softmax": _softmax, "diag": _diag, "outer": _outer, "tr": _trace, "norm": _norm,
}  # fmt: skip


def to_sympy_entries(
    tree: Node, shapes: Mapping[str, Shape], sizes: Mapping[str, int]
) -> tuple[Entries, Shape]:
    """The tree's value as an array of SymPy expressions of the entries' symbols."""
    return _SymbolicEvaluator(shapes, sizes)(tree)
