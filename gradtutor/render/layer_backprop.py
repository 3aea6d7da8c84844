"""How the backward pass of a layer at a point is shown: a forward table and a backward table.

Every node gets its shape and its value (forward) or its gradient ∂L/∂node (backward), in
decimals; a vector prints as [1, −0.5], a matrix as one row per line. The same content goes into
Markdown and LaTeX documents (`markdown_lines`, `latex_lines`).
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradtutor.calculus.layer_backprop import LayerBackprop, LayerRow, show_array
from gradtutor.language.expr import to_pretty


def _cell(value: object) -> str:
    """A matrix one row per line, so that a table column stays narrow."""
    text = show_array(value)
    if text.startswith("[["):
        return "\n".join(
            ("[" if i == 0 else " ") + "[" + row.strip("[]") + "]" + ("]" if i == last else "")
            for i, row in enumerate(text[1:-1].split("], ["))
            for last in [text[1:-1].count("], [")]
        )
    return text


def _table(rows: list[LayerRow], heading: str, plain: bool) -> Table:
    table = Table(
        box=None if plain else box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="" if plain else "bold",
    )
    for title in ("node", "shape", heading):
        table.add_column(title, overflow="fold")
    for row in rows:
        table.add_row(to_pretty(row.shown), row.shape, _cell(row.value))
    return table


def layer_backprop_view(layer: LayerBackprop, plain: bool = False) -> RenderableType:
    name = layer.name
    point = ", ".join(f"{n} = {show_array(v)}" for n, v in layer.point.items())
    sizes = ", ".join(f"{d} = {s}" for d, s in layer.sizes.items())
    parts: list[RenderableType] = [
        Text.assemble((f"{name} = ", "bold"), to_pretty(layer.function)),
        Text.assemble(("at ", "bold"), point),
    ]
    if sizes:
        parts.append(Text.assemble(("sizes ", "bold"), sizes))
    parts.extend(
        Text(f"{n} = {to_pretty(node)}  ({shape})") for n, node, shape in layer.intermediates
    )
    parts += [
        Text(""),
        Text("forward pass: the value of every node, inputs first", "bold"),
        _table(layer.forward, "value", plain),
        Text(""),
        Text(f"backward pass: ∂{name}/∂node, from the output back", "bold"),
        _table(layer.backward, f"∂{name}/∂node", plain),
        Text(""),
        Text("gradient (each has the shape of its variable; several paths add up):", "bold"),
        *(
            Text(f"∂{name}/∂{variable} = {show_array(value)}  ({shape})")
            for variable, value, shape in layer.gradients
        ),
    ]
    parts.extend(Text(f"note: {note}", "yellow") for note in layer.notes)
    return Group(*parts)


def markdown_lines(layer: LayerBackprop, latex_of: object) -> list[str]:
    """The tables in Markdown; `latex_of` prints a formula as LaTeX math."""
    assert callable(latex_of)
    name = layer.name
    point = ", ".join(f"{n} = {show_array(v)}" for n, v in layer.point.items())
    lines = [
        f"## Backpropagation through ${name} = {latex_of(layer.function)}$",
        "",
        f"At {point}: forward pass {name} = {show_array(layer.output)}.",
        "",
        "| node | shape | value |",
        "|---|---|---|",
        *(f"| ${latex_of(r.shown)}$ | {r.shape} | {show_array(r.value)} |" for r in layer.forward),
        "",
        f"| node | shape | ∂{name}/∂node |",
        "|---|---|---|",
        *(f"| ${latex_of(r.shown)}$ | {r.shape} | {show_array(r.value)} |" for r in layer.backward),
        "",
        *(f"- ∂{name}/∂{v} = {show_array(value)} ({s})" for v, value, s in layer.gradients),
        "",
        *(f"*Note: {note}*" for note in layer.notes),
    ]
    return lines


def latex_lines(layer: LayerBackprop, latex_of: object, text: object) -> list[str]:
    """The tables in LaTeX; `latex_of` prints a formula as math, `text` escapes prose."""
    assert callable(latex_of) and callable(text)
    name = layer.name
    point = ", ".join(f"{n} = {show_array(v)}" for n, v in layer.point.items())

    def rows(table: list[LayerRow]) -> list[str]:
        return [
            f"${latex_of(r.shown)}$ & {text(r.shape)} & {text(show_array(r.value))} \\\\"
            for r in table
        ]

    return [
        rf"\section*{{Backpropagation through ${name} = {latex_of(layer.function)}$}}",
        text(f"At {point}: forward pass {name} = {show_array(layer.output)}."),
        "",
        r"\begin{tabular}{lll}",
        r"node & shape & value \\ \hline",
        *rows(layer.forward),
        r"\end{tabular}",
        "",
        r"\begin{tabular}{lll}",
        rf"node & shape & $\partial {name}/\partial$node \\ \hline",
        *rows(layer.backward),
        r"\end{tabular}",
        "",
        r"\begin{itemize}",
        *(
            rf"\item $\partial {name}/\partial {v}$ = {text(show_array(value))} ({text(s)})"
            for v, value, s in layer.gradients
        ),
        r"\end{itemize}",
        *(text(f"Note: {note}") + r"\\" for note in layer.notes),
    ]
