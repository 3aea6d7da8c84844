"""Derivations and backward passes as documents a student can paste: Markdown and LaTeX.

`to_latex(node)` is a small printer from gradtutor's tree to LaTeX math (`\\frac`, `^{}`, `\\cdot`);
`markdown(explanation)` writes Markdown with `$…$` math (GitHub, Jupyter and Pandoc render it);
`latex(explanation)` writes a complete LaTeX document (amsmath; compiles with pdflatex).
"""

from __future__ import annotations

import re

from gradtutor.calculus.backprop import Backprop, Row, Value
from gradtutor.calculus.steps import Derivation, Step, fill
from gradtutor.calculus.tidy import numeric_value
from gradtutor.language.expr import (
    BinOp,
    Call,
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
    fold_left,
    to_pretty,
)
from gradtutor.render.backprop import show_value
from gradtutor.tutor.explain import Explanation

# --- LaTeX math -----------------------------------------------------------------------------------

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "neg": 3, "^": 4, "atom": 5}
_KNOWN_FUNCTIONS = {
    "sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh", "exp", "log", "max", "min",
}  # fmt: skip
_RENAMED_FUNCTIONS = {"asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan"}
_RELATIONS = {">": ">", ">=": r"\geq", "<": "<", "<=": r"\leq"}
_INDEXED_NAME = re.compile(r"([A-Za-z])(\d+)")


def _precedence(node: Node) -> int:
    if isinstance(node, BinOp) and node.op != "/":
        return _PRECEDENCE[node.op]
    if isinstance(node, MatMul | Hadamard):
        return _PRECEDENCE["*"]
    if isinstance(node, Neg):
        return _PRECEDENCE["neg"]
    return _PRECEDENCE["atom"]  # a \frac is a block of its own


def _wrap(node: Node, outer: int, strict: bool = False) -> str:
    return _enclose(node, to_latex(node), outer, strict)


def _enclose(node: Node, text: str, outer: int, strict: bool = False) -> str:
    """`text`, the LaTeX of `node`, in parentheses when `node` binds looser than `outer`."""
    inner = _precedence(node)
    needs = inner < outer or (strict and inner == outer)
    return rf"\left({text}\right)" if needs else text


def _number(node: Num) -> str:
    text = node.text or to_pretty(node)
    if "/" in text:
        top, bottom = text.split("/")
        return rf"\frac{{{top}}}{{{bottom}}}"
    return "0" + text if text.startswith(".") else text


def _name(name: str) -> str:
    if len(name) == 1:
        return name
    indexed = _INDEXED_NAME.fullmatch(name)
    if indexed:
        return f"{indexed[1]}_{{{indexed[2]}}}"
    return rf"\mathit{{{name}}}"


def _call(func: str, args: tuple[Node, ...]) -> str:
    inside = ", ".join(to_latex(a) for a in args)
    if func == "sqrt":
        return rf"\sqrt{{{inside}}}"
    if func == "abs":
        return rf"\left|{inside}\right|"
    if func == "sigmoid":
        head = r"\sigma"
    elif func in _KNOWN_FUNCTIONS:
        head = "\\" + func
    else:
        head = _RENAMED_FUNCTIONS.get(func, rf"\operatorname{{{func}}}")
    return rf"{head}\left({inside}\right)"


def _tensor_latex(node: Node) -> str | None:
    """LaTeX for the vector and matrix operations: X^{\\top} G, G \\odot Z, \\sum."""
    match node:
        case Dim(name):
            return _name(name)
        case MatMul(left, right):
            return f"{_wrap(left, _PRECEDENCE['*'])} {_wrap(right, _PRECEDENCE['*'], strict=True)}"
        case Hadamard(left, right):
            left_text = _wrap(left, _PRECEDENCE["*"])
            return rf"{left_text} \odot {_wrap(right, _PRECEDENCE['*'], strict=True)}"
        case Transpose(operand):
            return rf"{_wrap(operand, _PRECEDENCE['atom'])}^{{\top}}"
        case Reduce(func, operand, axis, keepdims):
            options = "" if axis is None else rf",\ \mathrm{{axis}}={axis}"
            options += r",\ \mathrm{keepdims}" if keepdims else ""
            return rf"\operatorname{{{func}}}\left({to_latex(operand)}{options}\right)"
    return None


def to_latex(node: Node) -> str:
    """LaTeX math for a tree: `15 \\left(2 x^{2}\\right)^{4} \\cdot 4 x` style."""
    tensor = _tensor_latex(node)
    if tensor is not None:
        return tensor
    match node:
        case Num():
            return _number(node)
        case Var(name):
            return _name(name)
        case Const(name):
            return r"\pi" if name == "pi" else "e"
        case Neg(operand):
            return "-" + _wrap(operand, _PRECEDENCE["neg"])
        case BinOp():  # a sum or product of any length: its left spine in a loop
            return fold_left(node, to_latex, _link)
        case Call(func, args):
            return _call(func, args)
        case Indicator(condition):
            text = (
                f"{to_latex(condition.left)} {_RELATIONS[condition.op]} {to_latex(condition.right)}"
            )
            return rf"\left[{text}\right]" if node.bracket else rf"\mathbf{{1}}\left({text}\right)"
    raise TypeError(f"not an expression node: {node!r}")


def _link(node: BinOp, left_text: str) -> str:
    """The LaTeX of `node`, given that of its left operand."""
    op, left, right = node.op, node.left, node.right
    if op == "/":
        return rf"\frac{{{left_text}}}{{{to_latex(right)}}}"
    if op == "^":
        fraction = (isinstance(left, BinOp) and left.op == "/") or "/" in to_pretty(left)
        base_text = (
            rf"\left({left_text}\right)"
            if fraction
            else _enclose(left, left_text, _PRECEDENCE["^"], strict=True)
        )
        return f"{base_text}^{{{to_latex(right)}}}"
    precedence = _PRECEDENCE[op]
    symbol = {"+": " + ", "-": " - ", "*": r" \cdot "}[op]
    right_text = (
        rf"\left({to_latex(right)}\right)"
        if isinstance(right, Neg)
        else _wrap(right, precedence, strict=True)
    )
    return f"{_enclose(left, left_text, precedence)}{symbol}{right_text}"


def partial_latex(wrt: str, of: str = "f") -> str:
    return rf"\frac{{\partial {_name(of)}}}{{\partial {_name(wrt)}}}"


def _shape_latex(shape: str) -> str:
    times = r" \times "
    return rf"\quad ({shape.replace('×', times)})" if shape else ""


def _applied(step: Step) -> str:
    """∂/∂x (expression) = result, in LaTeX; ∂L/∂(node) = gradient for a backward step."""
    shape = _shape_latex(step.shape)
    if step.rule == "simplify":
        return f"{to_latex(step.expression)} = {to_latex(step.result)}{shape}"
    if step.of:
        node = to_latex(step.expression)
        if not isinstance(step.expression, Var | Call | Reduce):
            node = rf"\left({node}\right)"
        of = _name(step.of)
        return rf"\frac{{\partial {of}}}{{\partial {node}}} = {to_latex(step.result)}{shape}"
    operand = to_latex(step.expression)
    if isinstance(step.expression, BinOp) and step.expression.op in "+-":
        operand = rf"\left({operand}\right)"
    applied = (
        rf"\frac{{\partial}}{{\partial {_name(step.wrt)}}} {operand} = {to_latex(step.result)}"
    )
    return applied + shape


# --- LaTeX text -----------------------------------------------------------------------------------

_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip
_TEXT_SYMBOLS = {
    "∂": r"$\partial$", "·": r"$\cdot$", "−": "-", "′": "'", "σ": r"$\sigma$", "√": r"$\surd$",
    "π": r"$\pi$", "×": r"$\times$", "≥": r"$\geq$", "≤": r"$\leq$", "…": r"\ldots{}",
    "∇": r"$\nabla$", "≈": r"$\approx$", "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}",
    "¹": r"\textsuperscript{1}", "ⁿ": r"\textsuperscript{n}", "⁻": r"\textsuperscript{-}",
    "ᵘ": r"\textsuperscript{u}", "₁": r"\textsubscript{1}", "ᵢ": r"\textsubscript{i}",
    "—": "---", "–": "--",
    "ᵀ": r"\textsuperscript{T}", "⊙": r"$\odot$", "Σ": r"$\Sigma$", "δ": r"$\delta$",
    "ₘ": r"\textsubscript{m}", "ⱼ": r"\textsubscript{j}", "ₖ": r"\textsubscript{k}",
    "₍": r"\textsubscript{(}", "₎": r"\textsubscript{)}", "₋": r"\textsubscript{-}",
    "₀": r"\textsubscript{0}", "‖": r"$\|$",
}  # fmt: skip


def latex_text(text: str) -> str:
    """Prose for LaTeX's text mode: specials escaped, unicode math symbols spelled out."""
    return "".join(_TEXT_SPECIALS.get(c) or _TEXT_SYMBOLS.get(c) or c for c in text)


def _latex_explanation(step: Step) -> str:
    # Prose escaped piece by piece, formula slots as math: the template is split on its slots.
    pieces = re.split(r"\{(\w+)\}", step.template)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            out.append(latex_text(piece))
            continue
        slot = step.slots[piece]
        out.append(latex_text(slot) if isinstance(slot, str) else f"${to_latex(slot)}$")
    # Adjacent math pieces ($\\partial$$u$) become one, so that no `$$` is left to misread; the
    # space keeps a command apart from the letter after it (\\partial u, not \\partialu).
    return "".join(out).replace("$$", " ")


# --- documents ------------------------------------------------------------------------------------


def _markdown_steps(step: Step, depth: int, lines: list[str]) -> None:
    explanation = fill(step.template, step.slots, lambda n: f"${to_latex(n)}$")
    indent = "  " * depth
    lines.append(f"{indent}- **{step.number}. {step.rule}**: ${_applied(step)}$  ")
    lines.append(f"{indent}  {explanation}")
    for sub in step.substeps:
        _markdown_steps(sub, depth + 1, lines)


def _shape_lines(derivation: Derivation) -> list[str]:
    """The shapes of the variables and the named intermediates, for a derivation of matrices."""
    if not derivation.shaped:
        return []
    shapes = ", ".join(f"${_name(n)}$ {s}" for n, s in derivation.shapes.items())
    lines = [f"Shapes: {shapes}.", ""]
    for name, node, shape in derivation.intermediates:
        lines += [f"${_name(name)} = {to_latex(node)}$ ({shape})", ""]
    return lines


def _markdown_derivation(derivation: Derivation) -> list[str]:
    lines = [
        f"## ${partial_latex(derivation.wrt, derivation.name)}$ for "
        f"${_name(derivation.name)} = {to_latex(derivation.function)}$",
        "",
        *_shape_lines(derivation),
    ]
    for top in (derivation.root, *derivation.simplification):
        _markdown_steps(top, 0, lines)
    result = [partial_latex(derivation.wrt, derivation.name), to_latex(derivation.result)]
    if derivation.simplified != derivation.result:
        result.append(to_latex(derivation.simplified))
    lines += ["", "$$" + " = ".join(result) + "$$", ""]
    if not derivation.explained:
        lines += [
            "*Part of this derivative has no rule in gradtutor: SymPy's result is shown.*",
            "",
        ]
    return lines


def _markdown_backprop(backprop: Backprop) -> list[str]:
    point = ", ".join(f"{name} = {show_value(v)}" for name, v in backprop.point.items())
    lines = [
        f"## Backpropagation through ${_name(backprop.name)} = {to_latex(backprop.function)}$",
        "",
        f"At {point}: forward pass ${_name(backprop.name)}$ = {show_value(backprop.output)}.",
        "",
        "| node | computes | value | into | local ∂ | upstream | gradient |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in backprop.rows:
        cells = _row_cells(row)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for gradient in backprop.gradients:
        paths = " + ".join(show_value(c) for c in gradient.contributions)
        total = show_value(gradient.total)
        shown = f"{paths} = {total}" if len(gradient.contributions) > 1 else total
        lines.append(f"- ∂{backprop.name}/∂{gradient.name} = {shown}")
    lines += [""] + [f"*Note: {note}*" for note in backprop.notes]
    return lines


def _row_cells(row: Row) -> list[str]:
    local = "—"
    if row.local_formula is not None and row.local is not None:
        local = show_value(row.local)
        if numeric_value(row.local_formula) is None:
            local = f"{to_pretty(row.local_formula)} = {local}"
    return [
        row.name,
        "input" if row.is_input else to_pretty(row.computes),
        show_value(row.value),
        row.parent or "—",
        local,
        show_value(row.upstream) if row.upstream is not None else "—",
        show_value(row.gradient),
    ]


def markdown(explanation: Explanation) -> str:
    """The explanation as Markdown with `$…$` math."""
    name = _name(explanation.name)
    lines = [f"# Derivatives of ${name} = {to_latex(explanation.function)}$", ""]
    for derivation in explanation.derivations:
        lines += _markdown_derivation(derivation)
    if explanation.gradient:
        vector = ", ".join(to_latex(d.simplified) for d in explanation.derivations)
        lines += [rf"$$\nabla {name} = \left[{vector}\right]$$", ""]
    if explanation.backprop is not None:
        lines += _markdown_backprop(explanation.backprop)
    if explanation.layer is not None:
        from gradtutor.render.layer_backprop import markdown_lines

        lines += markdown_lines(explanation.layer, to_latex)
    return "\n".join(lines).rstrip() + "\n"


def _latex_steps(step: Step, lines: list[str]) -> None:
    lines.append(rf"\item[{step.number}.] \textbf{{{step.rule}}}: ${_applied(step)}$\\")
    lines.append(_latex_explanation(step))
    if step.substeps:
        lines.append(r"\begin{itemize}")
        for sub in step.substeps:
            _latex_steps(sub, lines)
        lines.append(r"\end{itemize}")


def _latex_derivation(derivation: Derivation) -> list[str]:
    heading = (
        f"${partial_latex(derivation.wrt, derivation.name)}$ for "
        f"${_name(derivation.name)} = {to_latex(derivation.function)}$"
    )
    lines = [rf"\section*{{{heading}}}"]
    if derivation.shaped:
        shapes = ", ".join(f"${_name(n)}$ {latex_text(s)}" for n, s in derivation.shapes.items())
        lines.append(f"Shapes: {shapes}.\\\\")
        lines += [
            f"${_name(name)} = {to_latex(node)}$ ({latex_text(shape)})\\\\"
            for name, node, shape in derivation.intermediates
        ]
    lines.append(r"\begin{itemize}")
    for top in (derivation.root, *derivation.simplification):
        _latex_steps(top, lines)
    lines.append(r"\end{itemize}")
    result = [partial_latex(derivation.wrt, derivation.name), to_latex(derivation.result)]
    if derivation.simplified != derivation.result:
        result.append(to_latex(derivation.simplified))
    lines += [r"\[", " = ".join(result), r"\]"]
    return lines


def _latex_backprop(backprop: Backprop) -> list[str]:
    point = ", ".join(f"{name} = {show_value(v)}" for name, v in backprop.point.items())
    lines = [
        rf"\section*{{Backpropagation through ${_name(backprop.name)} = "
        rf"{to_latex(backprop.function)}$}}",
        latex_text(f"At {point}: forward pass {backprop.name} = {show_value(backprop.output)}."),
        "",
        r"\begin{tabular}{lllllll}",
        r"node & computes & value & into & local $\partial$ & upstream & gradient \\ \hline",
    ]
    for row in backprop.rows:
        lines.append(" & ".join(_latex_cells(row)) + r" \\")
    lines += [r"\end{tabular}", "", r"\begin{itemize}"]
    for gradient in backprop.gradients:
        total = latex_text(show_value(gradient.total))
        paths = " + ".join(latex_text(show_value(c)) for c in gradient.contributions)
        shown = f"{paths} = {total}" if len(gradient.contributions) > 1 else total
        lines.append(rf"\item ${partial_latex(gradient.name, backprop.name)}$ = {shown}")
    lines.append(r"\end{itemize}")
    lines += [latex_text(f"Note: {note}") + r"\\" for note in backprop.notes]
    return lines


def _latex_cells(row: Row) -> list[str]:
    def value(number: Value | None) -> str:
        return "---" if number is None else latex_text(show_value(number))

    local = "---"
    if row.local_formula is not None:
        local = value(row.local)
        if numeric_value(row.local_formula) is None:
            local = f"${to_latex(row.local_formula)}$ = {local}"
    return [
        f"${_name(row.name)}$",
        "input" if row.is_input else f"${to_latex(row.computes)}$",
        value(row.value),
        f"${_name(row.parent)}$" if row.parent else "---",
        local,
        value(row.upstream),
        value(row.gradient),
    ]


def latex(explanation: Explanation) -> str:
    """The explanation as a complete LaTeX document."""
    lines = [
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\begin{document}",
    ]
    for derivation in explanation.derivations:
        lines += _latex_derivation(derivation)
    if explanation.gradient:
        vector = ", ".join(to_latex(d.simplified) for d in explanation.derivations)
        lines += [r"\[", rf"\nabla {_name(explanation.name)} = \left[{vector}\right]", r"\]"]
    if explanation.backprop is not None:
        lines += _latex_backprop(explanation.backprop)
    if explanation.layer is not None:
        from gradtutor.render.layer_backprop import latex_lines

        lines += latex_lines(explanation.layer, to_latex, latex_text)
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def document(explanation: Explanation, kind: str) -> str:
    """The explanation as a `markdown` or `latex` document."""
    return markdown(explanation) if kind == "markdown" else latex(explanation)
