"""How a backward pass is shown: one row per node, from the output back to the inputs.

Each row reads left to right as the chain rule does: the node's local derivative (∂parent/∂node)
times the upstream gradient (∂f/∂parent) is its gradient (∂f/∂node). Values print as decimals,
as learners compute them: exactly where the decimal ends soon (0.3), else rounded (≈ 0.3333).
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

# A longer exact number (10^1000) is shown rounded.
MAX_EXACT_LENGTH = 20
# A fraction is shown exactly when its decimal ends within this many places (1/400 = 0.0025).
MAX_DECIMALS = 10


def show_value(value: Value) -> str:
    """`−3`, `0.25`, `≈ 0.3333`; an irrational value as `π ≈ 3.142` (or `≈ 0.7311` when long).

    Learners compute in decimals, so a fraction is shown as one: exactly when it ends within
    MAX_DECIMALS places (3/10 is 0.3), else rounded (1/3 is ≈ 0.3333).
    """
    if value.is_Rational:
        exact = _terminating_decimal(value)
        if exact is not None and len(exact) <= MAX_EXACT_LENGTH:
            return exact
        return f"≈ {_decimal(value)}"
    exact = _exact(value)
    approximate = f"≈ {_decimal(value)}"
    return f"{exact} {approximate}" if exact is not None and len(exact) <= 8 else approximate


def _terminating_decimal(value: Value) -> str | None:
    """A rational as an exact decimal (`−0.0025`), or None when it has no short one (1/3)."""
    numerator, denominator = int(value.p), int(value.q)
    places = next((p for p in range(MAX_DECIMALS + 1) if 10**p % denominator == 0), None)
    if places is None:
        return None
    whole, fraction = divmod(abs(numerator) * 10**places // denominator, 10**places)
    text = f"{whole}.{fraction:0{places}d}" if places else str(whole)
    return ("−" if numerator < 0 else "") + text


def _decimal(value: Value) -> str:
    number = float(value)
    # Beyond the range of a float (exp(1000)), SymPy rounds it.
    text = f"{number:.4g}" if math.isfinite(number) else str(sympy.N(value, 4))
    return text.replace("-", "−", 1) if text.startswith("-") else text


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


def _gradient_line(gradient: InputGradient, of: str) -> Text:
    line = f"∂{of}/∂{gradient.name} "
    if len(gradient.contributions) > 1:
        paths = [show_value(c).removeprefix("≈ ") for c in gradient.contributions]
        line += "= " + " + ".join(f"({p})" if p.startswith("−") else p for p in paths) + " "
    return Text(line + equals(gradient.total))


def backprop_view(backprop: Backprop, plain: bool = False) -> RenderableType:
    point = ", ".join(f"{name} {equals(v)}" for name, v in backprop.point.items())
    parts: list[RenderableType] = [
        Text.assemble((f"{backprop.name} = ", "bold"), to_pretty(backprop.function)),
        Text.assemble(("at ", "bold"), point),
        Text.assemble(("forward pass: ", "bold"), f"{backprop.name} {equals(backprop.output)}"),
        Text(""),
        Text(
            f"backward pass: gradient = local ∂ (∂into/∂node) × upstream (∂{backprop.name}/∂into)",
            "bold",
        ),
        _table(backprop, plain),
        Text(""),
        Text("gradient (a variable that feeds several nodes adds its paths):", "bold"),
        *(_gradient_line(g, backprop.name) for g in backprop.gradients),
    ]
    parts.extend(Text(f"note: {note}", "yellow") for note in backprop.notes)
    return Group(*parts)
