"""The step engine: the chapter's derivations, rule by rule, in the chapter's own shape."""

from __future__ import annotations

from rich.console import Console

from gradtutor.expr import to_pretty
from gradtutor.parser import parse
from gradtutor.render.steps import derivation_view
from gradtutor.steps import Derivation, Step, derive
from tests.conftest import rendered


def _derive(text: str, wrt: str, variables: list[str] | None = None) -> Derivation:
    return derive(parse(text, variables), wrt)


def _outline(step: Step, depth: int = 0) -> list[str]:
    """`rule: expression -> result`, indented by depth: the derivation's skeleton."""
    line = f"{'  ' * depth}{step.rule}: {to_pretty(step.expression)} -> {to_pretty(step.result)}"
    return [line] + [line for sub in step.substeps for line in _outline(sub, depth + 1)]


def _screen(console: Console) -> str:
    return "\n".join(line.rstrip() for line in rendered(console).splitlines()) + "\n"


def test_chain_rule_worked_example_keeps_the_chapters_shape() -> None:
    derivation = _derive("3*(2*x^2)^5", "x")
    assert _outline(derivation.root) == [
        "constant-multiple: 3·(2·x²)⁵ -> 15·(2·x²)⁴·4·x",
        "  chain: (2·x²)⁵ -> 5·(2·x²)⁴·4·x",
        "    power: u⁵ -> 5·u⁴",
        "    constant-multiple: 2·x² -> 4·x",
        "      power: x² -> 2·x",
    ]
    assert to_pretty(derivation.result) == "15·(2·x²)⁴·4·x"
    assert to_pretty(derivation.simplified) == "960·x⁹"
    assert [s.rule for s in derivation.simplification] == ["simplify"]


def test_chain_rule_golden(console: Console) -> None:
    console.print(derivation_view(_derive("3*(2*x^2)^5", "x")))
    assert _screen(console) == (
        "∂f/∂x for f = 3·(2·x²)⁵\n"
        "├── 1 constant-multiple  ∂/∂x 3·(2·x²)⁵ = 15·(2·x²)⁴·4·x\n"
        "│   3 is a constant factor here: it stays and multiplies the derivative of the\n"
        "│   rest, ∂(c·u) = c·∂u.\n"
        "│   └── 2 chain  ∂/∂x (2·x²)⁵ = 5·(2·x²)⁴·4·x\n"
        "│       Chain rule: let u = 2·x²; differentiate the outer function with respect\n"
        "│       to u, put 2·x² back, and multiply by the inner derivative ∂u/∂x.\n"
        "│       ├── 3 power  ∂/∂u u⁵ = 5·u⁴\n"
        "│       │   Power rule: bring the exponent down and lower it by one, ∂uⁿ =\n"
        "│       │   n·uⁿ⁻¹.\n"
        "│       └── 4 constant-multiple  ∂/∂x 2·x² = 4·x\n"
        "│           2 is a constant factor here: it stays and multiplies the derivative\n"
        "│           of the rest, ∂(c·u) = c·∂u.\n"
        "│           └── 5 power  ∂/∂x x² = 2·x\n"
        "│               Power rule: bring the exponent down and lower it by one, ∂uⁿ =\n"
        "│               n·uⁿ⁻¹.\n"
        "└── 6 simplify  15·(2·x²)⁴·4·x = 960·x⁹\n"
        "    Multiply the numbers together and gather repeated factors into powers.\n"
        "╭─────────────────────────────────╮\n"
        "│ ∂f/∂x = 15·(2·x²)⁴·4·x = 960·x⁹ │\n"
        "╰─────────────────────────────────╯\n"
    )
