"""NumPy evaluation of tensor formulas at many points at once; finite differences entry by entry.

Every value carries a leading batch axis: a variable of shape n×d is an array (B, n, d), a number
an array (B,). One walk over the tree evaluates all B copies (random tensors, and the same tensors
with one entry shifted), one NumPy call per node; the shape rules of `gradtutor.language.shapes`
say how each node's operands line up (which vector is a row, how broadcasting aligns them).

`tensor_differences` estimates the derivative of f itself with respect to every entry of a variable:
Richardson-extrapolated central differences, as for scalars (`gradtutor.calculus.numeric`), with
all entries and all their steps in one evaluation. A kink (relu, abs, max, an indicator) that
changes side within the step of an entry makes that entry's estimate unusable at that point; the
other entries keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gradtutor.calculus.numeric import NUMPY_FUNCTIONS, RELATIVE_STEP, only_where
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

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

_COMPARE: dict[str, Callable[[Array, Array], Mask]] = {
    ">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal,
}  # fmt: skip
_KINKED = frozenset({"abs", "sign", "relu", "heaviside"})


def _lift(value: Array, rank: int, target: int) -> Array:
    """`value` (batch first) with size-1 axes inserted after the batch axis, up to `target`."""
    if rank == target:
        return value
    return value.reshape((value.shape[0],) + (1,) * (target - rank) + value.shape[1:])


class TensorEvaluator:
    """One pass over a tree for a batch of B points; `branches` records each kink's side."""

    def __init__(
        self,
        values: Mapping[str, Array],
        shapes: Mapping[str, Shape],
        sizes: Mapping[str, int],
        batch: int,
    ) -> None:
        self.values = values
        self.shapes = shapes
        self.sizes = sizes
        self.batch = batch
        self.branches: list[Array] = []

    def constant(self, value: float) -> Array:
        return np.full(self.batch, value)

    def __call__(self, node: Node) -> tuple[Array, Shape]:
        match node:
            case Num(literal):
                return self.constant(float(literal)), SCALAR
            case Dim(name):
                return self.constant(float(self.sizes[name])), SCALAR
            case Const(name):
                return self.constant(np.e if name == "e" else np.pi), SCALAR
            case Var(name):
                return self.values[name], self.shapes.get(name, SCALAR)
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
                if shape.rank == 2:
                    value = np.swapaxes(value, 1, 2)
                return value, transpose_shape(shape)
            case Reduce(func, operand, axis, keepdims):
                return self.reduce(func, self(operand), axis, keepdims)
            case Call(func, args) if func in ("ones", "eye"):
                return self.constructed(func, args)
            case Call(func, args):
                return self.call(func, [self(a) for a in args])
            case Indicator(Compare(op, left, right)):
                (a, b), shape = self.aligned([self(left), self(right)])
                holds = _COMPARE[op](a, b).astype(np.float64)
                self.branches.append(holds)
                return holds, shape
        raise TypeError(f"not an expression node: {node!r}")

    def aligned(self, operands: Sequence[tuple[Array, Shape]]) -> tuple[list[Array], Shape]:
        shape = broadcast_shape(*(s for _, s in operands))
        return [_lift(v, s.rank, shape.rank) for v, s in operands], shape

    def elementwise(
        self, op: str, left: tuple[Array, Shape], right: tuple[Array, Shape]
    ) -> tuple[Array, Shape]:
        (a, b), shape = self.aligned([left, right])
        if op == "+":
            return a + b, shape
        if op == "-":
            return a - b, shape
        if op == "*":
            return a * b, shape
        if op == "/":
            return a / b, shape
        # A negative base has a real power only for an integer exponent (SymPy agrees).
        a, b = np.broadcast_arrays(a, b)
        integral = b == np.round(b)
        return only_where((a >= 0) | integral, lambda base: np.power(base, b), a), shape

    def matmul(self, left: tuple[Array, Shape], right: tuple[Array, Shape]) -> tuple[Array, Shape]:
        (a, a_shape), (b, b_shape) = left, right
        shape = matmul_shape(a_shape, b_shape)
        (a_dims, _), (b_dims, _) = matmul_operands(a_shape, b_shape)
        a2 = a.reshape((self.batch, *Shape(a_dims).concrete(self.sizes)))
        b2 = b.reshape((self.batch, *Shape(b_dims).concrete(self.sizes)))
        product = np.matmul(a2, b2)
        return product.reshape((self.batch, *shape.concrete(self.sizes))), shape

    def reduce(
        self, func: str, operand: tuple[Array, Shape], axis: int | None, keepdims: bool
    ) -> tuple[Array, Shape]:
        value, shape = operand
        reduced = reduced_shape(shape, axis, keepdims)
        axes = tuple(range(1, value.ndim)) if axis is None else (axis % shape.rank + 1,)
        if not axes:
            return value, reduced
        result = (
            value.sum(axis=axes, keepdims=keepdims)
            if func == "sum"
            else value.mean(axis=axes, keepdims=keepdims)
        )
        return result, reduced

    def constructed(self, func: str, args: Sequence[Node]) -> tuple[Array, Shape]:
        shape = constructed_shape(func, args)
        dims = shape.concrete(self.sizes)
        single = np.eye(dims[0]) if func == "eye" else np.ones(dims)
        return np.broadcast_to(single, (self.batch, *dims)).copy(), shape

    def call(self, func: str, args: list[tuple[Array, Shape]]) -> tuple[Array, Shape]:
        if func in ("max", "min"):
            values, shape = self.aligned(args)
            stacked = np.stack(np.broadcast_arrays(*values))
            choose = np.argmax if func == "max" else np.argmin
            self.branches.append(choose(stacked, axis=0).astype(np.float64))
            return (stacked.max(axis=0) if func == "max" else stacked.min(axis=0)), shape
        tensor = _TENSOR_FUNCTIONS.get(func)
        if tensor is not None:
            return tensor(self, args)
        ((value, shape),) = args
        if func in _KINKED:
            self.branches.append(np.sign(value))
        return NUMPY_FUNCTIONS[func](value), shape


def _softmax(_: TensorEvaluator, args: list[tuple[Array, Shape]]) -> tuple[Array, Shape]:
    ((value, shape),) = args
    if shape.rank == 0:
        return np.ones_like(value), shape
    shifted = value - value.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True), shape


def _diag(_: TensorEvaluator, args: list[tuple[Array, Shape]]) -> tuple[Array, Shape]:
    ((value, shape),) = args
    if shape.rank == 1:
        size = value.shape[1]
        return value[:, :, None] * np.eye(size), Shape((shape.dims[0], shape.dims[0]))
    return np.diagonal(value, axis1=1, axis2=2).copy(), Shape((shape.dims[0],))


def _outer(_: TensorEvaluator, args: list[tuple[Array, Shape]]) -> tuple[Array, Shape]:
    (a, a_shape), (b, b_shape) = args
    return a[:, :, None] * b[:, None, :], Shape((a_shape.dims[0], b_shape.dims[0]))


def _trace(_: TensorEvaluator, args: list[tuple[Array, Shape]]) -> tuple[Array, Shape]:
    ((value, _shape),) = args
    return np.trace(value, axis1=1, axis2=2), SCALAR


def _norm(_: TensorEvaluator, args: list[tuple[Array, Shape]]) -> tuple[Array, Shape]:
    ((value, _shape),) = args
    squares = value * value
    return np.sqrt(squares.reshape(value.shape[0], -1).sum(axis=1)), SCALAR


_TENSOR_FUNCTIONS: dict[
    str, Callable[[TensorEvaluator, list[tuple[Array, Shape]]], tuple[Array, Shape]]
] = {"softmax": _softmax, "diag": _diag, "outer": _outer, "tr": _trace, "norm": _norm}


def evaluate_tensor(
    tree: Node,
    values: Mapping[str, Array],
    shapes: Mapping[str, Shape],
    sizes: Mapping[str, int],
) -> tuple[Array, Shape]:
    """The tree's value at each of a batch of points (every array batch first); NaN where it is
    undefined or overflows."""
    value, shape, _ = evaluate_with_branches(tree, values, shapes, sizes)
    return value, shape


def evaluate_with_branches(
    tree: Node,
    values: Mapping[str, Array],
    shapes: Mapping[str, Shape],
    sizes: Mapping[str, int],
) -> tuple[Array, Shape, list[Array]]:
    batch = len(next(iter(values.values()))) if values else 1
    evaluator = TensorEvaluator(values, shapes, sizes, batch)
    with np.errstate(all="ignore"):
        value, shape = evaluator(tree)
        value = np.broadcast_to(value, (batch, *shape.concrete(sizes))).astype(np.float64)
        value = np.where(np.isfinite(value), value, np.nan)
    return value, shape, evaluator.branches


# --- random tensors -------------------------------------------------------------------------------


def random_tensors(
    shapes: Mapping[str, Shape],
    variables: Sequence[str],
    sizes: Mapping[str, int],
    domain: Mapping[str, tuple[float, float]],
    count: int,
    generator: np.random.Generator,
) -> dict[str, Array]:
    """`count` random values of each variable, entries uniform on its interval (batch first)."""
    tensors: dict[str, Array] = {}
    for name in variables:
        low, high = domain.get(name, (-3.0, 3.0))
        dims = shapes.get(name, SCALAR).concrete(sizes)
        tensors[name] = generator.uniform(low, high, (count, *dims))
    return tensors


# --- finite differences ---------------------------------------------------------------------------

_OFFSETS = (1.0, -1.0, 0.5, -0.5, 0.25, -0.25)
# Offsets (indices into _OFFSETS) where a kink's side is compared with the point's own.
_PROBES = (0, 1, 2, 3)


@dataclass(frozen=True)
class TensorDifferences:
    """∂f/∂(each entry of wrt) at each point: `values` (P, *f's dims, *wrt's dims), the error
    estimate of each, and `usable` (False where f is undefined or a kink lies within the step)."""

    values: Array
    error: Array
    usable: Mask


def tensor_differences(
    tree: Node,
    wrt: str,
    points: Mapping[str, Array],
    shapes: Mapping[str, Shape],
    sizes: Mapping[str, int],
) -> TensorDifferences:
    """Richardson-extrapolated central differences of `tree` in every entry of `wrt`, at each
    of the P points (`points[name]` has shape (P, *dims)), all in one evaluation."""
    with np.errstate(all="ignore"):
        return _tensor_differences(tree, wrt, points, shapes, sizes)


def _tensor_differences(
    tree: Node,
    wrt: str,
    points: Mapping[str, Array],
    shapes: Mapping[str, Shape],
    sizes: Mapping[str, int],
) -> TensorDifferences:
    x = points[wrt]
    count = x.shape[0]
    wrt_dims = x.shape[1:]
    entries = int(np.prod(wrt_dims))
    flat = x.reshape(count, entries)
    step = RELATIVE_STEP * np.maximum(1.0, np.abs(flat))  # (P, E)
    copies = 1 + len(_OFFSETS) * entries
    # Copy k of the batch: 0 the point itself, then offset o of entry e at 1 + o·E + e.
    batch = {
        name: np.broadcast_to(value, (copies, *value.shape)).reshape(
            copies * count, *value.shape[1:]
        )
        for name, value in points.items()
        if name != wrt
    }
    shifted = np.broadcast_to(flat, (copies, count, entries)).copy()
    # (offset, entry shifted, point, entry): the offset times the step where the entries agree.
    bumps = (
        np.asarray(_OFFSETS)[:, None, None, None]
        * np.eye(entries)[None, :, None, :]
        * step[None, None, :, :]
    )
    shifted[1:] += bumps.reshape(len(_OFFSETS) * entries, count, entries)
    batch[wrt] = shifted.reshape(copies * count, *wrt_dims)
    values, _, branches = evaluate_with_branches(tree, batch, shapes, sizes)
    out_dims = values.shape[1:]
    values = values.reshape(copies, count, *out_dims)
    base = values[0]
    around = values[1:].reshape(len(_OFFSETS), entries, count, *out_dims)
    # (E, P, *out) → differences with steps h, h/2, h/4.
    h = np.moveaxis(step, 1, 0).reshape(entries, count, *(1,) * len(out_dims))
    d1, d2, d4 = ((around[2 * i] - around[2 * i + 1]) / (2 * h * _OFFSETS[2 * i]) for i in range(3))
    first, second = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
    magnitude = np.fmax(np.abs(base)[None], np.abs(d4) * h)
    rounding = 16 * np.finfo(np.float64).eps * magnitude / (h / 4)
    error = np.abs(second - first) + rounding
    usable = np.isfinite(second) & np.isfinite(base)[None] & np.isfinite(error)
    same = _kink_free(branches, copies, count, entries)  # (E, P)
    usable &= same.reshape(entries, count, *(1,) * len(out_dims))
    # (E, P, *out) → (P, *out, *wrt_dims)
    order = (*range(1, 2 + len(out_dims)), 0)
    final = (count, *out_dims, *wrt_dims)
    values_out = np.transpose(np.where(usable, second, np.nan), order).reshape(final)
    error_out = np.transpose(np.where(usable, error, np.inf), order).reshape(final)
    usable_out = np.transpose(usable, order).reshape(final)
    return TensorDifferences(values_out, error_out, usable_out)


def _kink_free(branches: list[Array], copies: int, count: int, entries: int) -> Mask:
    """(E, P): whether every kink stays on the point's side at each probe of the entry."""
    same = np.ones((entries, count), dtype=bool)
    for branch in branches:
        sides = np.broadcast_to(branch, (copies * count, *branch.shape[1:])).reshape(
            copies, count, -1
        )
        here = sides[0]
        same &= np.all(np.isfinite(here), axis=-1)[None]
        around = sides[1:].reshape(len(_OFFSETS), entries, count, -1)
        for probe in _PROBES:
            same &= np.all(around[probe] == here[None], axis=-1)
    return same
