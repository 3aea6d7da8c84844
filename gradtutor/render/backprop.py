"""How a backward pass is shown: one row per node, from the output back to the inputs.

Each row reads left to right as the chain rule does: the node's local derivative (∂parent/∂node)
times the upstream gradient (∂f/∂parent) is its gradient (∂f/∂node). Exact values print exactly;
irrational ones get a short decimal.
"""

from __future__ import annotations

import math

import sympy
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradtutor.calculus.backprop import Backprop, InputGradient, Row, Value
from gradtutor.calculus.symbolic import UnsupportedExpression, from_sympy
from gradtutor.calculus.tidy import numeric_value
from gradtutor.language.expr import to_pretty

# A longer exact number (10^1000, a decimal point read as a fraction) is shown as a decimal.
MAX_EXACT_LENGTH = 20


def show_value(value: Value) -> str:
    """`−3`, `1/3`; an irrational value as `π ≈ 3.142` (or just `≈ 0.7311` when long)."""
    exact = _exact(value)
    if value.is_Rational and exact is not None and len(exact) <= MAX_EXACT_LENGTH:
        return exact
    approximate = f"≈ {_decimal(value)}"
    return f"{exact} {approximate}" if exact is not None and len(exact) <= 8 else approximate


def _decimal(value: Value) -> str:
    number = float(value)
    if math.isfinite(number):
        return f"{number:.4g}"
    return str(sympy.N(value, 4))  # beyond the range of a float, as exp(1000)


def equals(value: Value) -> str:
    """`= 6`, `= π ≈ 3.142` or `≈ 1.731`: the value after a formula."""
    shown = show_value(value)
    return shown if shown.startswith("≈") else f"= {shown}"


def _exact(value: Value) -> str | None:
    try:
        return to_pretty(from_sympy(value))
    except UnsupportedExpression:
        return None


def _local(row: Row) -> str:
    if row.local_formula is None or row.local is None:
        return "—"
    if numeric_value(row.local_formula) is not None:
        return show_value(row.local)
    return f"{to_pretty(row.local_formula)} {equals(row.local)}"


def _table(backprop: Backprop, plain: bool) -> Table:
    table = Table(
        box=None if plain else box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="" if plain else "bold",
    )
    for heading in ("node", "computes", "value", "into", "local ∂", "upstream", "gradient"):
        table.add_column(heading, overflow="fold")
    for row in backprop.rows:
        table.add_row(
            row.name,
            "input" if row.is_input else to_pretty(row.computes),
            show_value(row.value),
            row.parent or "—",
            _local(row),
            show_value(row.upstream) if row.upstream is not None else "—",
            show_value(row.gradient),
        )
    return table


def _gradient_line(gradient: InputGradient) -> Text:
    line = f"∂f/∂{gradient.name} "
    if len(gradient.contributions) > 1:
        paths = [show_value(c).removeprefix("≈ ") for c in gradient.contributions]
        line += "= " + " + ".join(f"({p})" if p.startswith("−") else p for p in paths) + " "
    return Text(line + equals(gradient.total))


def backprop_view(backprop: Backprop, plain: bool = False) -> RenderableType:
    point = ", ".join(f"{name} {equals(v)}" for name, v in backprop.point.items())
    parts: list[RenderableType] = [
        Text.assemble(("f = ", "bold"), to_pretty(backprop.function)),
        Text.assemble(("at ", "bold"), point),
        Text.assemble(("forward pass: ", "bold"), f"f {equals(backprop.output)}"),
        Text(""),
        Text("backward pass: gradient = local ∂ (∂into/∂node) × upstream (∂f/∂into)", "bold"),
        _table(backprop, plain),
        Text(""),
        Text("gradient (a variable that feeds several nodes adds its paths):", "bold"),
        *(_gradient_line(g) for g in backprop.gradients),
    ]
    parts.extend(Text(f"note: {note}", "yellow") for note in backprop.notes)
    return Group(*parts)
