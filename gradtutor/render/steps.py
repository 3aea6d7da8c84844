"""How a derivation is shown: a tree of numbered, named steps, and the result in a panel.

`plain=True` gives the same content with no colour and no box drawing (indentation only), for
screen readers and logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text
from rich.tree import Tree

from gradtutor.calculus.steps import Derivation, Step
from gradtutor.language.expr import BinOp, Call, Node, Reduce, Var, to_pretty

if TYPE_CHECKING:
    from gradtutor.tutor.explain import Explanation

_INDENT = 4


def partial(wrt: str, of: str = "f") -> str:
    return f"∂{of}/∂{wrt}"


def _heading(derivation: Derivation) -> RenderableType:
    title = Text.assemble(
        (partial(derivation.wrt, derivation.name), "bold"),
        f" for {derivation.name} = ",
        to_pretty(derivation.function),
    )
    if not derivation.shaped:
        return title
    lines = [
        title,
        Text("  shapes  " + ", ".join(f"{n} {s}" for n, s in derivation.shapes.items())),
    ]
    lines.extend(
        Text(f"  {name} = {to_pretty(node)}  ({shape})")
        for name, node, shape in derivation.intermediates
    )
    return Group(*lines)


def _formula(step: Step) -> str:
    if step.rule == "simplify":
        text = f"{to_pretty(step.expression)} = {to_pretty(step.result)}"
    elif step.of:
        text = f"∂{step.of}/∂{node_operand(step.expression)} = {to_pretty(step.result)}"
    else:
        text = f"∂/∂{step.wrt} {operand(step.expression)} = {to_pretty(step.result)}"
    return f"{text}  ({step.shape})" if step.shape else text


def node_operand(node: Node) -> str:
    """The node a backward step is the gradient with respect to: ∂L/∂Z, ∂L/∂(X @ W)."""
    text = to_pretty(node)
    return text if isinstance(node, Var | Call | Reduce) else f"({text})"


def operand(node: Node) -> str:
    """What ∂/∂x applies to, in parentheses when it is a sum (∂/∂x (2·x + 3·y²))."""
    text = to_pretty(node)
    return f"({text})" if isinstance(node, BinOp) and node.op in "+-" else text


def _label(step: Step) -> Text:
    rule_style = "bold yellow" if step.rule == "unsupported" else "bold cyan"
    return Text.assemble((f"{step.number} ", "dim"), (step.rule, rule_style), "  ", _formula(step))


def _explanation(step: Step) -> Text:
    return Text(step.explanation, style="dim" if step.reference else "italic")


def _rich_tree(parent: Tree, step: Step) -> None:
    branch = parent.add(Group(_label(step), _explanation(step)))
    for sub in step.substeps:
        _rich_tree(branch, sub)


def _plain_lines(step: Step, depth: int) -> list[RenderableType]:
    indent = depth * _INDENT
    lines: list[RenderableType] = [
        Padding(_label(step), (0, 0, 0, indent), expand=False),
        Padding(_explanation(step), (0, 0, 0, indent + 2), expand=False),
    ]
    for sub in step.substeps:
        lines.extend(_plain_lines(sub, depth + 1))
    return lines


def _result_line(derivation: Derivation) -> Text:
    chain = [partial(derivation.wrt, derivation.name), to_pretty(derivation.result)]
    if derivation.simplified != derivation.result:
        chain.append(to_pretty(derivation.simplified))
    shape = f"  ({derivation.shape})" if derivation.shaped else ""
    return Text(" = ".join(chain) + shape, style="bold")


def _unexplained_note() -> Text:
    return Text(
        "Part of this derivative has no rule in gradtutor: that step shows SymPy's result, "
        "not an explanation.",
        style="yellow",
    )


def steps_view(derivation: Derivation, plain: bool = False) -> RenderableType:
    """The numbered steps alone, without the result panel."""
    tops = [derivation.root, *derivation.simplification]
    if plain:
        lines: list[RenderableType] = [_heading(derivation)]
        for top in tops:
            lines.extend(_plain_lines(top, 1))
        return Group(*lines)
    tree = Tree(_heading(derivation), guide_style="dim")
    for top in tops:
        _rich_tree(tree, top)
    return tree


def derivation_view(derivation: Derivation, plain: bool = False) -> RenderableType:
    """The steps, then the result (as derived, then simplified) in a panel."""
    parts: list[RenderableType] = [steps_view(derivation, plain)]
    result = _result_line(derivation)
    parts.append(result if plain else Panel(result, expand=False))
    if not derivation.explained:
        parts.append(_unexplained_note())
    return Group(*parts)


def gradient_line(components: Sequence[Node], name: str = "f") -> Text:
    shown = ", ".join(to_pretty(c) for c in components)
    return Text(f"∇{name} = [{shown}]", style="bold")


def gradient_view(derivations: Sequence[Derivation], plain: bool = False) -> RenderableType:
    """Each partial derivative in turn, then ∇f assembled from them."""
    parts: list[RenderableType] = []
    for derivation in derivations:
        parts.extend([derivation_view(derivation, plain), Text("")])
    name = derivations[0].name if derivations else "f"
    vector = gradient_line([d.simplified for d in derivations], name)
    parts.append(vector if plain else Panel(vector, expand=False))
    return Group(*parts)


def explanation_view(explanation: Explanation, plain: bool = False) -> RenderableType:
    """Everything `gradtutor explain` shows: the derivations (∇f when they form the gradient),
    then the backward pass when a point was given."""
    from gradtutor.render.backprop import backprop_view

    parts: list[RenderableType] = []
    if explanation.gradient:
        parts.append(gradient_view(explanation.derivations, plain))
    else:
        for index, derivation in enumerate(explanation.derivations):
            parts.extend([Text("")] if index else [])
            parts.append(derivation_view(derivation, plain))
    if explanation.backprop is not None:
        parts.extend([Text("")] if parts else [])
        parts.append(backprop_view(explanation.backprop, plain))
    if explanation.layer is not None:
        from gradtutor.render.layer_backprop import layer_backprop_view

        parts.extend([Text("")] if parts else [])
        parts.append(layer_backprop_view(explanation.layer, plain))
    return Group(*parts)
