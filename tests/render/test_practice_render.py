"""The practice views on a pinned console: golden output a reviewer can read."""

from __future__ import annotations

from rich.console import Console

from gradtutor.checking.report import Counterexample, Diagnosis, Result
from gradtutor.curriculum.model import Exercise
from gradtutor.errors import ParseError
from gradtutor.render.practice import event_view
from gradtutor.tutor.practice import (
    AnswerChecked,
    AnswerRefused,
    CommandMisused,
    ExerciseShown,
    HintShown,
    NoMoreHints,
    Summary,
)
from tests.conftest import rendered

EXERCISE = Exercise(
    id="chain-power",
    title="A power of a power",
    prompt="Differentiate the outer power first, then multiply by the inner derivative.",
    function="3*(2*x^2)^5",
    variables=["x"],
    ask=["x"],
    domain={"x": (-2.0, 2.0)},
    hints=["Let u = 2x².", "The inner derivative is 4x.", "Multiply outer by inner."],
    rules=["chain", "power"],
    set="chain-rule",
)


def _show(console: Console, event: object, plain: bool = True) -> str:
    console.print(event_view(event, plain))  # type: ignore[arg-type]
    return "\n".join(line.rstrip() for line in rendered(console).splitlines())


def _wrong(hint: int | None) -> Result:
    return Result(
        exercise=EXERCISE.id,
        wrt="x",
        verdict="incorrect",
        points=0.0,
        max_points=1.0,
        answer="15(2x^2)^4",
        read_as="15·(2·x²)⁴",
        message="Incorrect: at x = 0.5 the derivative is 3.75 but your answer gives 0.9375.",
        diagnosis=Diagnosis("inner-derivative", "The inner derivative is missing.", hint),
        counterexample=Counterexample({"x": 0.5}, 3.75, 0.9375),
    )


def test_an_exercise_in_plain_text(console: Console) -> None:
    event = ExerciseShown(EXERCISE, 3, 68, "you have missed the chain rule 3 times; here is "
                          "another one")  # fmt: skip
    assert _show(console, event) == (
        "\n"
        "== Exercise 3 of 68 · chain-rule · chain-power ==\n"
        "(you have missed the chain rule 3 times; here is another one)\n"
        "A power of a power\n"
        "Differentiate the outer power first, then multiply by the inner derivative.\n"
        "\n"
        "  f(x) = 3·(2·x²)⁵\n"
        "\n"
        "Find ∂f/∂x."
    )


def test_a_wrong_answer_points_at_the_hint_that_helps(console: Console) -> None:
    event = AnswerChecked(EXERCISE, "x", "15(2x^2)^4", _wrong(1), hints_shown=0)
    assert _show(console, event) == (
        "  read as    15·(2·x²)⁴\n"
        "  incorrect  At x = 0.5 the derivative is 3.75 but your answer gives 0.9375.\n"
        "  mistake    The inner derivative is missing. (hint 2 covers this: type hint 2)\n"
        "             Try again, or type hint or steps."
    )


def test_a_hint_already_seen_is_pointed_at_above(console: Console) -> None:
    event = AnswerChecked(EXERCISE, "x", "15(2x^2)^4", _wrong(0), hints_shown=1)
    assert "The inner derivative is missing. (see hint 1 above)" in _show(console, event)


def test_the_terminal_look_marks_the_verdict(console: Console) -> None:
    event = AnswerChecked(EXERCISE, "x", "15(2x^2)^4", _wrong(None), hints_shown=0)
    shown = _show(console, event, plain=False)
    assert "  ✗ incorrect  At x = 0.5" in shown
    assert "covers this" not in shown


def test_a_refusal_shows_the_place_and_the_advice(console: Console) -> None:
    error = ParseError("the formula ends too early", 5, "complete the expression")
    assert _show(console, AnswerRefused(EXERCISE, "x", "2x +", error)) == (
        "  could not read that: the formula ends too early\n"
        "    2x +\n"
        "        ^\n"
        "    hint: complete the expression\n"
        "    (not counted as an attempt)"
    )


def test_hints_and_their_end(console: Console) -> None:
    _show(console, HintShown(EXERCISE, 2, 3, "The inner derivative is 4x."))
    _show(console, NoMoreHints(EXERCISE, 3))
    assert _show(console, NoMoreHints(EXERCISE, 3, asked=5)) == (
        "  hint 2 of 3  The inner derivative is 4x.\n"
        "  No more hints (3 of 3 shown); type steps to see the derivation.\n"
        "  There is no hint 5: this exercise has 3."
    )


def test_a_command_word_with_an_argument_it_does_not_take(console: Console) -> None:
    _show(console, CommandMisused(EXERCISE, "hint", "two", True, 3))
    _show(console, CommandMisused(EXERCISE, "?", "-1", True, 1))
    _show(console, CommandMisused(EXERCISE, "hint", "2", True, 0))
    assert _show(console, CommandMisused(EXERCISE, "skip", "it", False, 3)) == (
        "  hint takes a number from 1 to 3, e.g. hint 2, or nothing for the next hint.\n"
        "  ? takes only the number 1 (this exercise has one hint), or nothing.\n"
        "  This exercise has no hints; type steps to see the derivation.\n"
        "  skip takes nothing after it: type skip alone."
    )


def test_the_summary(console: Console) -> None:
    summary = Summary("quit", 2, 1, 7, 3, 1, 1, 2, 0, 754.4)
    assert _show(console, summary) == (
        "\n"
        "Session over (quit) after 12m 34s:\n"
        "  2 solved, 1 revealed · 7 attempts (3 correct), 1 not read\n"
        "  1 hint · 2 derivations shown · 0 skipped\n"
        "Your progress is saved; gradtutor progress shows it."
    )
