"""The practice session as a state machine, driven line by line with a fake check and step engine.

The fakes keep these tests about the flow (what is asked, shown and recorded, and in what order),
not about the mathematics; the CLI tests run the real check and step engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from gradtutor.calculus.steps import Derivation
from gradtutor.checking.report import Result
from gradtutor.curriculum.model import (
    Collection,
    Exercise,
    ExerciseSet,
    UnknownExercise,
    UnknownSet,
)
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.tutor.practice import (
    AllFinished,
    AlreadySolved,
    AnswerChecked,
    AnswerRefused,
    CheckFailed,
    CommandMisused,
    ExerciseShown,
    ExerciseSolved,
    HelpShown,
    HintShown,
    NoMoreHints,
    PartialSolved,
    PracticeSession,
    SessionStarted,
    Skipped,
    StepsDeclined,
    StepsShown,
    StepsUnavailable,
    StepsWarning,
    Summary,
)
from gradtutor.tutor.progress import ProgressStore, exercise_progress, open_progress


def _exercise(
    id: str,
    function: str,
    ask: list[str],
    *,
    rules: list[str] | None = None,
    hints: list[str] | None = None,
    set: str = "basics",
    variables: list[str] | None = None,
) -> Exercise:
    names = variables or sorted({*ask})
    return Exercise(
        id=id,
        title=f"Title of {id}",
        prompt=f"Differentiate {function}.",
        function=function,
        variables=names,
        ask=ask,
        domain=dict.fromkeys(names, (-3.0, 3.0)),
        hints=hints or [],
        rules=rules or [],
        set=set,
    )


# The right answers, as the fake check knows them.
ANSWERS = {
    ("square", "x"): "2x",
    ("chain-1", "x"): "6(3x+1)",
    ("chain-2", "x"): "2cos(2x)",
    ("product", "x"): "y",
    ("product", "y"): "x",
    ("chain-3", "x"): "3exp(3x)",
}


def _collection() -> Collection:
    basics = [
        _exercise("square", "x^2", ["x"], rules=["power"], hints=["bring the 2 down", "2x"]),
        _exercise("product", "x*y", ["x", "y"], rules=["product"]),
    ]
    chain = [
        _exercise("chain-1", "(3x+1)^2", ["x"], rules=["chain", "power"], set="chain"),
        _exercise("chain-2", "sin(2x)", ["x"], rules=["chain", "trig"], set="chain"),
        _exercise("chain-3", "exp(3x)", ["x"], rules=["chain", "exp"], set="chain"),
    ]
    return Collection(
        sets=[
            ExerciseSet(id="basics", title="Basics", exercises=basics),
            ExerciseSet(id="chain", title="Chain", exercises=chain),
        ]
    )


@dataclass
class FakeResult:
    verdict: str
    read_as: str
    message: str = ""


def fake_check(exercise: Exercise, wrt: str, answer: str) -> Result:
    right = ANSWERS[(exercise.id, wrt)].replace(" ", "") == answer.replace(" ", "")
    # The session reads only the verdict, the echo and the message of a result.
    return cast(Result, FakeResult("correct" if right else "incorrect", answer))


def fake_derive(exercise: Exercise, wrt: str) -> Derivation:
    # The session only hands the derivation on to the renderer: a text stands in for one.
    return cast(Derivation, f"d/d{wrt} of {exercise.function}")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProgressStore:
    monkeypatch.setenv("GRADTUTOR_HOME", str(tmp_path))
    return open_progress()


def _session(store: ProgressStore, **options: Any) -> PracticeSession:
    options.setdefault("check", fake_check)
    options.setdefault("derive", fake_derive)
    return PracticeSession(_collection(), store, **options)


def _kinds(events: list[Any]) -> list[str]:
    return [type(event).__name__ for event in events]


def _shown(events: list[Any]) -> str:
    shown = [event for event in events if isinstance(event, ExerciseShown)]
    assert len(shown) == 1, events
    return shown[0].exercise.id


# --- the basic flow ------------------------------------------------------------------------------


def test_start_shows_the_first_exercise_and_asks_its_partial(store: ProgressStore) -> None:
    session = _session(store)
    events = session.start()
    assert _kinds(events) == ["SessionStarted", "ExerciseShown"]
    started, shown = events
    assert isinstance(started, SessionStarted) and (started.total, started.finished) == (5, 0)
    assert isinstance(shown, ExerciseShown)
    assert (shown.exercise.id, shown.number, shown.total, shown.reason) == ("square", 1, 5, None)
    assert session.prompt == "∂f/∂x = "


def test_wrong_then_right_is_recorded_and_offers_the_steps(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    [wrong] = session.handle("x")
    assert isinstance(wrong, AnswerChecked) and wrong.result.verdict == "incorrect"
    assert session.prompt == "∂f/∂x = "  # a wrong answer may be retried
    right, solved = session.handle("2x")
    assert isinstance(right, AnswerChecked) and right.result.verdict == "correct"
    assert isinstance(solved, ExerciseSolved) and not solved.revealed
    assert session.prompt == "next> "
    rows = store.activity()
    assert [(r.kind, r.wrt, r.answer, r.verdict) for r in rows] == [
        ("answer", "x", "x", "incorrect"),
        ("answer", "x", "2x", "correct"),
    ]
    # After solving: the tidy derivation on request, then Enter for the next exercise.
    [steps] = session.handle("steps")
    assert isinstance(steps, StepsShown) and not steps.revealed
    assert str(steps.derivation) == "d/dx of x^2"
    assert isinstance(session.handle("2x")[0], AlreadySolved)
    assert _shown(session.handle("")) == "product"
    assert exercise_progress(_collection().get("square"), store.activity()).status == "solved"


def test_a_refused_answer_is_recorded_as_invalid_but_is_no_attempt(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    [refused] = session.handle("2x +")
    assert isinstance(refused, AnswerRefused) and isinstance(refused.error, ParseError)
    [refused] = session.handle("2q")  # not a variable of this exercise
    assert isinstance(refused, AnswerRefused)
    assert [r.verdict for r in store.activity()] == ["invalid", "invalid"]
    [summary] = session.end("quit")
    assert isinstance(summary, Summary)
    assert (summary.attempts, summary.refused) == (0, 2)


def test_blank_lines_are_ignored_while_asking(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    assert session.handle("   ") == []
    assert store.activity() == []


def test_hints_come_one_layer_at_a_time(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    [first] = session.handle("hint")
    [second] = session.handle("?")
    [none_left] = session.handle("hint")
    assert isinstance(first, HintShown) and (first.number, first.total) == (1, 2)
    assert first.text == "bring the 2 down"
    assert isinstance(second, HintShown) and second.number == 2
    assert isinstance(none_left, NoMoreHints) and none_left.total == 2
    [checked, _] = session.handle("2x")
    assert isinstance(checked, AnswerChecked) and checked.hints_shown == 2
    assert [(r.kind, r.hints_seen) for r in store.activity()] == [
        ("hint", 1),
        ("hint", 2),
        ("answer", 2),
    ]


def test_a_hint_by_its_number(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    [second] = session.handle("hint 2")
    assert isinstance(second, HintShown) and (second.number, second.text) == (2, "2x")
    [none] = session.handle("hint 7")
    assert isinstance(none, NoMoreHints) and (none.asked, none.total) == (7, 2)
    [after] = session.handle("hint")  # the layers go on from the highest one seen
    assert isinstance(after, NoMoreHints) and after.asked is None
    assert [(r.kind, r.hints_seen) for r in store.activity()] == [("hint", 2)]


@pytest.mark.parametrize(
    ("line", "word", "argument"),
    [
        ("hint two", "hint", "two"),
        ("hint -1", "hint", "-1"),
        ("HINT 2.5", "hint", "2.5"),
        ("? x", "?", "x"),
        ("hint(x)", "hint", "(x)"),
        ("steps 2", "steps", "2"),
        ("skip this one", "skip", "this one"),
        ("quit!", "quit", "!"),
        ("exit now", "exit", "now"),
    ],
)
def test_a_command_word_with_an_argument_it_does_not_take_is_never_an_answer(
    store: ProgressStore, line: str, word: str, argument: str
) -> None:
    session = _session(store)
    session.start()
    [misused] = session.handle(line)
    assert isinstance(misused, CommandMisused)
    assert (misused.word, misused.argument, misused.hints) == (word, argument, 2)
    assert misused.takes_number == (word in ("hint", "?"))
    assert store.activity() == []  # nothing recorded: no answer, no hint
    assert session.prompt == "∂f/∂x = " and not session.finished


def test_help_shows_the_commands_whatever_follows_it(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    assert _kinds(session.handle("help me")) == ["HelpShown"]
    assert _kinds(session.handle("hint2")) == ["HintShown"]


def test_steps_before_answering_reveal_the_exercise(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    [warning] = session.handle("steps")
    assert isinstance(warning, StepsWarning) and warning.wrt == "x"
    assert store.activity() == []  # nothing revealed until confirmed
    [steps] = session.handle("y")
    assert isinstance(steps, StepsShown) and steps.revealed and steps.wrt == "x"
    _, solved = session.handle("2x")
    assert isinstance(solved, ExerciseSolved) and solved.revealed
    assert exercise_progress(_collection().get("square"), store.activity()).status == "revealed"
    [summary] = session.end("quit")
    assert isinstance(summary, Summary) and (summary.solved, summary.revealed) == (0, 1)


def test_steps_the_engine_cannot_give_are_not_recorded(store: ProgressStore) -> None:
    def no_steps(exercise: Exercise, wrt: str) -> str:
        raise GradtutorError("no rule for this")

    def broken_steps(exercise: Exercise, wrt: str) -> str:
        raise RecursionError("too deep")

    for derive, message in (
        (no_steps, "no rule for this"),
        (broken_steps, "RecursionError: too deep"),
    ):
        session = _session(store, derive=derive)
        session.start()
        session.handle("steps")
        [unavailable] = session.handle("yes")
        assert isinstance(unavailable, StepsUnavailable) and unavailable.message == message
    assert store.activity() == []


def test_declining_the_steps_shows_and_records_nothing(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    session.handle("steps")
    assert session.prompt == "show the steps? [y/N] "
    [declined] = session.handle("")
    assert isinstance(declined, StepsDeclined)
    assert session.prompt == "∂f/∂x = "
    assert store.activity() == []
    # An answer typed at the question declines the steps and is taken as the answer.
    session.handle("steps")
    declined, checked, solved = session.handle("2x")
    assert isinstance(declined, StepsDeclined) and isinstance(checked, AnswerChecked)
    assert isinstance(solved, ExerciseSolved) and not solved.revealed


def test_steps_ask_nothing_once_nothing_is_left_to_reveal(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    session.handle("2x")  # solved: the steps are a tidy derivation now
    [steps] = session.handle("steps")
    assert isinstance(steps, StepsShown) and not steps.revealed


def test_a_checker_failure_is_reported_and_not_recorded(store: ProgressStore) -> None:
    def broken(exercise: Exercise, wrt: str, answer: str) -> FakeResult:
        raise ZeroDivisionError("division by zero")

    session = _session(store, check=broken)
    session.start()
    [failed] = session.handle("2x")
    assert isinstance(failed, CheckFailed)
    assert failed.message == "ZeroDivisionError: division by zero"
    assert store.activity() == []
    assert session.prompt == "∂f/∂x = "  # the session goes on


def test_each_partial_in_turn_and_resume_where_left(store: ProgressStore) -> None:
    session = _session(store, exercise_id="product")
    session.start()
    [_, partial] = session.handle("y")
    assert isinstance(partial, PartialSolved) and (partial.wrt, partial.next_wrt) == ("x", "y")
    assert session.prompt == "∂f/∂y = "
    session.end("interrupted")
    # A new sitting resumes at the partial still to answer.
    again = _session(store, exercise_id="product")
    shown = again.start()[-1]
    assert isinstance(shown, ExerciseShown) and shown.done_before == ("x",)
    assert again.prompt == "∂f/∂y = "
    assert _kinds(again.handle("x")) == ["AnswerChecked", "ExerciseSolved"]


def test_skip_moves_on_and_the_skipped_one_returns_next_time(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    skipped, shown = session.handle("skip")
    assert isinstance(skipped, Skipped) and skipped.exercise.id == "square"
    assert isinstance(shown, ExerciseShown) and shown.exercise.id == "product"
    assert [r.kind for r in store.activity()] == ["skip"]
    assert _shown(_session(store).start()) == "square"


def test_help_and_command_words_that_are_variables(store: ProgressStore) -> None:
    collection = Collection(
        sets=[
            ExerciseSet(
                id="odd",
                title="Odd names",
                exercises=[_exercise("odd", "hint^2", ["hint"], variables=["hint"])],
            )
        ]
    )
    session = PracticeSession(
        collection,
        store,
        check=lambda e, w, a: cast(Result, FakeResult("incorrect", a)),
        derive=fake_derive,
    )
    session.start()
    assert _kinds(session.handle("hint")) == ["AnswerChecked"]  # the variable, not the command
    assert _kinds(session.handle("hint 2")) == ["AnswerChecked"]  # hint·2
    [help_shown] = session.handle("HELP")
    assert isinstance(help_shown, HelpShown) and help_shown.asking


def test_finishing_everything_ends_with_a_summary(store: ProgressStore) -> None:
    session = _session(store, set_id="chain")
    events = session.start()
    assert _shown(events) == "chain-1"
    for exercise_id in ("chain-1", "chain-2", "chain-3"):
        assert session.current is not None and session.current.id == exercise_id
        assert _kinds(session.handle(ANSWERS[(exercise_id, "x")])) == [
            "AnswerChecked",
            "ExerciseSolved",
        ]
        events = session.handle("next")
    assert _kinds(events) == ["AllFinished", "Summary"]
    done, summary = events
    assert isinstance(done, AllFinished) and (done.total, done.set_id) == (3, "chain")
    assert isinstance(summary, Summary) and summary.reason == "complete"
    assert (summary.solved, summary.attempts, summary.correct) == (3, 3, 3)
    assert session.finished
    assert session.handle("2x") == []
    # Everything finished: the next sitting says so at once.
    assert _kinds(_session(store, set_id="chain").start()) == [
        "SessionStarted",
        "AllFinished",
        "Summary",
    ]


def test_quit_gives_the_summary_once(store: ProgressStore) -> None:
    moments = iter([100.0, 142.5])
    session = _session(store, clock=lambda: next(moments))
    session.start()
    session.handle("hint")
    session.handle("x")
    [summary] = session.handle("quit")
    assert isinstance(summary, Summary)
    assert (summary.reason, summary.attempts, summary.hints, summary.seconds) == (
        "quit",
        1,
        1,
        42.5,
    )
    assert session.end("end of input") == []


# --- choosing the exercise -----------------------------------------------------------------------


def test_a_struggling_learner_gets_another_exercise_on_the_rule(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    session.handle("2x")
    session.handle("")  # square solved; product next
    session.handle("skip")  # product skipped; chain-1 next
    assert session.current is not None and session.current.id == "chain-1"
    for wrong in ("1", "2", "3"):
        session.handle(wrong)
    _, shown = session.handle("skip")
    assert isinstance(shown, ExerciseShown) and shown.exercise.id == "chain-2"
    assert shown.reason == "you have missed the chain rule 3 times; here is another one"
    # Next sitting: still struggling, so the first unfinished exercise (product) gives way.
    shown = _session(store).start()[-1]
    assert isinstance(shown, ExerciseShown) and shown.exercise.id == "chain-2"
    assert shown.reason is not None
    # A right answer on the rule clears it.
    again = _session(store)
    again.start()
    again.handle(ANSWERS[("chain-2", "x")])
    assert _shown(again.handle("")) == "product"


def test_explicit_choices_are_checked(store: ProgressStore) -> None:
    with pytest.raises(UnknownSet):
        _session(store, set_id="chains")
    with pytest.raises(UnknownExercise):
        _session(store, exercise_id="chain-9")


def test_an_explicit_exercise_already_solved_is_asked_again(store: ProgressStore) -> None:
    session = _session(store)
    session.start()
    session.handle("2x")
    again = _session(store, exercise_id="square")
    shown = again.start()[-1]
    assert isinstance(shown, ExerciseShown) and shown.exercise.id == "square"
    assert again.prompt == "∂f/∂x = "
    [steps] = again.handle("steps")  # answered before: nothing is revealed
    assert isinstance(steps, StepsShown) and not steps.revealed
    assert exercise_progress(_collection().get("square"), store.activity()).status == "solved"


def test_a_line_with_a_lone_surrogate_is_refused_and_recorded(store: ProgressStore) -> None:
    # Found by tests/tutor/test_practice_fuzz.py: SQLite cannot store a lone surrogate (a byte
    # that was not UTF-8, decoded with surrogateescape), so recording the refusal raised
    # UnicodeEncodeError out of `handle`. It is stored as U+FFFD, as the terminal reads it.
    session = _session(store)
    session.start()
    [refused] = session.handle("2x\udcff")
    assert isinstance(refused, AnswerRefused) and refused.answer == "2x\ufffd"
    assert [(r.answer, r.verdict) for r in store.activity()] == [("2x\ufffd", "invalid")]
