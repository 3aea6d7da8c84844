"""A practice session as a state machine: lines in, events out. It knows nothing of terminals.

`PracticeSession.start()` picks the learner's next exercise; `handle(line)` takes one line typed at
the prompt (an answer or a command) and returns what happened, as events for a renderer to show;
`end(reason)` closes the session with a summary. Everything worth keeping is written to the
progress store *before* the events that report it are returned, so what the learner has seen is
always on disk.

Which exercise comes next: the first unfinished one in curriculum order (within `--set` when
given), unless the learner keeps missing one rule (`progress.struggling_rules`): then an unfinished
exercise that practises that rule, other than the one just missed, with the reason shown. A session
started at an exercise (`--exercise ID`) reads on from there: the next unfinished exercise after
it in its set, then the sets after it, then the unfinished ones before it.

`steps` shows the derivation at once when that changes nothing; when it would count the exercise
as revealed (a partial not yet answered, an exercise not already revealed) it asks first, and only
a yes shows the steps and records them.

The check and the step engine are passed in (`check`, `derive`) so that the session can be tested
with small fakes and stays free of SymPy.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from gradtutor.calculus.steps import Derivation
from gradtutor.checking.report import Result
from gradtutor.curriculum.model import Collection, Exercise
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.declarations import read_formula
from gradtutor.tutor.progress import (
    ProgressStore,
    Verdict,
    exercise_progress,
    progress_by_exercise,
    struggling_rules,
)

# Checks one answer: (exercise, variable, answer) -> Result (`checking.check.check_answer`).
CheckAnswer = Callable[[Exercise, str, str], Result]
# The step-by-step derivative of an exercise's function by a variable (`calculus.steps.derive`).
Derive = Callable[[Exercise, str], Derivation]

EndReason = Literal["quit", "end of input", "interrupted", "complete"]

# What may be typed at the prompt besides an answer. A declared variable of the exercise with one
# of these names is still read as an answer.
COMMANDS: dict[str, str] = {
    "hint": "hint",
    "?": "hint",
    "steps": "steps",
    "skip": "skip",
    "next": "next",
    "help": "help",
    "quit": "quit",
    "exit": "quit",
}


# A line that starts with a command word, and what follows it. Such a line is never read as
# math (`hint two` is not a product of unknown variables) unless the word is a declared variable.
COMMAND_LINE = re.compile(
    r"(hint|\?|steps|skip|next|help|quit|exit)(?![^\W\d])\s*(.*)", re.IGNORECASE | re.DOTALL
)
# `hint 2` (or `? 2`, `hint2`): a hint by its number, as a diagnosis may point at one.
HINT_NUMBER = re.compile(r"\d{1,3}")
NAME = re.compile(r"[^\W\d]\w*")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Phase(Enum):
    ASKING = "asking"  # waiting for the answer to a partial
    CONFIRMING = "confirming"  # `steps` would reveal the exercise: waiting for yes or no
    SOLVED = "solved"  # exercise done: offer the derivation, wait for Enter
    FINISHED = "finished"


# The replies that confirm `steps` at its question; any other line declines.
YES = frozenset({"y", "yes", "steps"})
NO = frozenset({"", "n", "no"})


# --- events --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionStarted:
    total: int
    finished: int  # exercises in scope already finished
    store_path: str


@dataclass(frozen=True)
class ExerciseShown:
    exercise: Exercise
    number: int  # 1-based place in the curriculum (within the set, with --set)
    total: int
    reason: str | None = None  # why this exercise, when it is not simply the next one
    done_before: tuple[str, ...] = ()  # partials answered correctly in an earlier session


@dataclass(frozen=True)
class AnswerChecked:
    exercise: Exercise
    wrt: str
    answer: str
    result: Result
    hints_shown: int  # hints shown so far, so a diagnosis can point at the right one


@dataclass(frozen=True)
class AnswerRefused:
    """The answer could not be read: recorded as invalid, not counted as an attempt."""

    exercise: Exercise
    wrt: str
    answer: str
    error: GradtutorError


@dataclass(frozen=True)
class CheckFailed:
    """The checker itself failed on this answer: nothing is recorded."""

    exercise: Exercise
    wrt: str
    answer: str
    message: str


@dataclass(frozen=True)
class HintShown:
    exercise: Exercise
    number: int  # 1-based
    total: int
    text: str


@dataclass(frozen=True)
class NoMoreHints:
    exercise: Exercise
    total: int
    asked: int | None = None  # the number asked for (`hint 5`), when one was


@dataclass(frozen=True)
class CommandMisused:
    """A command word followed by something it does not take (`hint two`, `skip it`)."""

    exercise: Exercise
    word: str  # the command word as typed, lower-cased (`?`, `hint`, `exit`, ...)
    argument: str  # what followed it
    takes_number: bool  # a hint by its number is the only argument any command takes
    hints: int  # how many hints the exercise has


@dataclass(frozen=True)
class StepsShown:
    exercise: Exercise
    wrt: str
    derivation: Derivation
    revealed: bool  # shown before this partial was answered: the exercise is now revealed


@dataclass(frozen=True)
class StepsWarning:
    """`steps` before this partial was answered: showing them would reveal the exercise."""

    exercise: Exercise
    wrt: str


@dataclass(frozen=True)
class StepsDeclined:
    """The learner said no at the steps question: nothing shown, nothing recorded."""

    exercise: Exercise


@dataclass(frozen=True)
class StepsUnavailable:
    exercise: Exercise
    wrt: str
    message: str


@dataclass(frozen=True)
class PartialSolved:
    """One partial right; `next_wrt` is asked next."""

    exercise: Exercise
    wrt: str
    next_wrt: str


@dataclass(frozen=True)
class ExerciseSolved:
    exercise: Exercise
    revealed: bool  # the steps were shown first: it counts as revealed, not solved


@dataclass(frozen=True)
class Skipped:
    exercise: Exercise


@dataclass(frozen=True)
class AlreadySolved:
    """Something other than a command was typed after the exercise was done."""

    exercise: Exercise


@dataclass(frozen=True)
class HelpShown:
    asking: bool  # at an answer prompt (else after solving)
    variables: tuple[str, ...]


@dataclass(frozen=True)
class AllFinished:
    total: int
    set_id: str | None
    skipped: int = 0  # exercises left unfinished, skipped in this session: offered next time


@dataclass(frozen=True)
class Summary:
    reason: EndReason
    solved: int
    revealed: int
    attempts: int  # graded answers
    correct: int
    refused: int
    hints: int
    steps: int
    skipped: int
    seconds: float


Event = (
    SessionStarted
    | ExerciseShown
    | AnswerChecked
    | AnswerRefused
    | CheckFailed
    | HintShown
    | NoMoreHints
    | CommandMisused
    | StepsShown
    | StepsWarning
    | StepsDeclined
    | StepsUnavailable
    | PartialSolved
    | ExerciseSolved
    | Skipped
    | AlreadySolved
    | HelpShown
    | AllFinished
    | Summary
)


def _failure_text(error: Exception) -> str:
    if isinstance(error, GradtutorError):
        return error.message
    return f"{type(error).__name__}: {error}"


def _storable(line: str) -> str:
    """`line` with any lone surrogate (a byte that was not UTF-8, decoded with surrogateescape)
    as U+FFFD: SQLite cannot store one, so it would fail the write that records the answer."""
    return LONE_SURROGATE.sub("\ufffd", line)


def rule_name(rule: str) -> str:
    """`chain` -> `the chain rule`, for messages."""
    return f"the {rule.replace('-', ' ')} rule"


@dataclass
class _Tally:
    solved: int = 0
    revealed: int = 0
    attempts: int = 0
    correct: int = 0
    refused: int = 0
    hints: int = 0
    steps: int = 0
    skipped: int = 0


@dataclass
class _Current:
    exercise: Exercise
    pending: list[str]  # partials still to answer, in order
    hints_shown: int = 0
    answered: set[str] = field(default_factory=set)  # partials answered correctly, ever


# --- the session ---------------------------------------------------------------------------------


class PracticeSession:
    """One sitting of practice. Raises `UnknownSet` / `UnknownExercise` for bad choices."""

    def __init__(
        self,
        collection: Collection,
        store: ProgressStore,
        *,
        check: CheckAnswer,
        derive: Derive,
        set_id: str | None = None,
        exercise_id: str | None = None,
        struggle_threshold: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.collection = collection
        self.store = store
        self._check = check
        self._derive = derive
        self.set_id = set_id
        self.scope: Sequence[Exercise] = (
            collection.get_set(set_id).exercises if set_id is not None else collection.exercises
        )
        self._first = collection.get(exercise_id) if exercise_id is not None else None
        if self._first is not None and self._first.id not in {e.id for e in self.scope}:
            raise GradtutorError(
                f"exercise {self._first.id} is not in set {set_id}",
                f"it is in set {self._first.set}: leave out --set, or choose an exercise of "
                f"{set_id} (gradtutor list --set {set_id})",
            )
        # The order exercises are offered in: from the chosen one on, as a reader goes on.
        self._order: Sequence[Exercise] = self.scope
        if self._first is not None:
            start = [e.id for e in self.scope].index(self._first.id)
            self._order = [*self.scope[start + 1 :], *self.scope[: start + 1]]
        self._threshold = struggle_threshold
        self._clock = clock
        self._started = clock()
        self._left: set[str] = set()  # skipped or done in this session: not offered again
        self._tally = _Tally()
        self._current: _Current | None = None
        self.phase = Phase.ASKING

    # --- what the terminal needs to know ---

    @property
    def finished(self) -> bool:
        return self.phase is Phase.FINISHED

    @property
    def prompt(self) -> str:
        if self.phase is Phase.CONFIRMING:
            return "show the steps? [y/N] "
        if self.phase is Phase.ASKING and self._current is not None:
            wrt = self._current.pending[0]
            shape = self._current.exercise.shape_text(wrt)
            name = self._current.exercise.name
            return f"∂{name}/∂{wrt}" + (f" ({shape})" if shape else "") + " = "
        return "next> "

    @property
    def current(self) -> Exercise | None:
        return self._current.exercise if self._current is not None else None

    # --- the flow ---

    def start(self) -> list[Event]:
        progress = progress_by_exercise(self.scope, self.store.activity())
        finished = sum(progress[exercise.id].finished for exercise in self.scope)
        events: list[Event] = [SessionStarted(len(self.scope), finished, str(self.store.path))]
        if self._first is None:
            return events + self._advance()
        answered = exercise_progress(self._first, self.store.activity(self._first.id))
        return [*events, self._show(self._first, None, answered.solved_partials)]

    def handle(self, line: str) -> list[Event]:
        """One line typed at the prompt."""
        if self.phase is Phase.FINISHED or self._current is None:
            return []
        line = _storable(line)
        if self.phase is Phase.CONFIRMING:
            return self._confirm(line)
        text = line.strip()
        typed = COMMAND_LINE.fullmatch(text)
        first_name = NAME.match(text)
        if typed and not (first_name and first_name.group() in self._current.exercise.variables):
            word, argument = typed.group(1).lower(), typed.group(2).strip()
            if COMMANDS[word] == "hint":
                return self._hint_command(word, argument)
            if argument and COMMANDS[word] != "help":  # help shows the commands whatever follows
                return [self._misused(word, argument)]
            return self._command(COMMANDS[word])
        if self.phase is Phase.SOLVED:
            return self._advance() if not text else [AlreadySolved(self._current.exercise)]
        if not text:
            return []
        return self._answer(text)

    def end(self, reason: EndReason) -> list[Event]:
        """Close the session (quit, end of input, Ctrl-C): the summary of this sitting."""
        if self.phase is Phase.FINISHED:
            return []
        self.phase = Phase.FINISHED
        tally = self._tally
        return [
            Summary(
                reason,
                tally.solved,
                tally.revealed,
                tally.attempts,
                tally.correct,
                tally.refused,
                tally.hints,
                tally.steps,
                tally.skipped,
                self._clock() - self._started,
            )
        ]

    # --- choosing exercises ---

    def _advance(self) -> list[Event]:
        log = self.store.activity()
        progress = progress_by_exercise(self.scope, log)
        unfinished = [
            exercise
            for exercise in self._order
            if not progress[exercise.id].finished and exercise.id not in self._left
        ]
        if not unfinished:
            self._current = None
            skipped = sum(not progress[exercise.id].finished for exercise in self.scope)
            return [AllFinished(len(self.scope), self.set_id, skipped), *self.end("complete")]
        choice, reason = unfinished[0], None
        for struggle in struggling_rules(self.collection.exercises, log, self._threshold):
            focus = [
                exercise
                for exercise in unfinished
                if struggle.rule in exercise.rules and exercise.id != struggle.last_exercise
            ]
            if focus:
                choice = focus[0]
                reason = (
                    f"you have missed {rule_name(struggle.rule)} {struggle.misses} times; "
                    "here is another one"
                )
                break
        return [self._show(choice, reason, progress[choice.id].solved_partials)]

    def _show(self, exercise: Exercise, reason: str | None, done: frozenset[str]) -> ExerciseShown:
        pending = [name for name in exercise.ask if name not in done] or list(exercise.ask)
        self._current = _Current(exercise, pending, answered=set(done))
        self.phase = Phase.ASKING
        number = next((i for i, e in enumerate(self.scope, 1) if e.id == exercise.id), 0)
        done_before = tuple(name for name in exercise.ask if name in done and name not in pending)
        return ExerciseShown(exercise, number, len(self.scope), reason, done_before)

    # --- commands ---

    def _command(self, command: str) -> list[Event]:
        current = self._current
        assert current is not None
        if command == "quit":
            return self.end("quit")
        if command == "help":
            return [HelpShown(self.phase is Phase.ASKING, tuple(current.exercise.variables))]
        if command == "steps":
            return self._ask_before_steps()
        if command in ("skip", "next"):
            if self.phase is Phase.SOLVED:
                return self._advance()
            if command == "next":
                return [HelpShown(True, tuple(current.exercise.variables))]
            self.store.record_skip(current.exercise.id)
            self._tally.skipped += 1
            self._left.add(current.exercise.id)
            return [Skipped(current.exercise), *self._advance()]
        return self._hint_command("hint", "")

    def _hint_command(self, word: str, argument: str) -> list[Event]:
        """`hint`, or `hint N`; anything else after the word is explained, never parsed."""
        current = self._current
        assert current is not None
        if self.phase is Phase.SOLVED:
            return [AlreadySolved(current.exercise)]
        if not argument:
            return [self._hint()]
        if HINT_NUMBER.fullmatch(argument):
            return [self._hint(int(argument))]
        return [self._misused(word, argument)]

    def _misused(self, word: str, argument: str) -> CommandMisused:
        current = self._current
        assert current is not None
        exercise = current.exercise
        return CommandMisused(
            exercise, word, argument, COMMANDS[word] == "hint", len(exercise.hints)
        )

    def _hint(self, number: int | None = None) -> HintShown | NoMoreHints:
        """The next hint, or hint `number` (1-based) when asked for by number."""
        current = self._current
        assert current is not None
        hints = current.exercise.hints
        wanted = current.hints_shown + 1 if number is None else number
        if not 1 <= wanted <= len(hints):
            return NoMoreHints(current.exercise, len(hints), number)
        current.hints_shown = max(current.hints_shown, wanted)
        self.store.record_hint(current.exercise.id, wanted)
        self._tally.hints += 1
        return HintShown(current.exercise, wanted, len(hints), hints[wanted - 1])

    def _ask_before_steps(self) -> list[Event]:
        """The steps, or first the question when seeing them would reveal the exercise."""
        current = self._current
        assert current is not None
        exercise = current.exercise
        if self.phase is Phase.ASKING and current.pending[0] not in current.answered:
            status = exercise_progress(exercise, self.store.activity(exercise.id)).status
            if status != "revealed":
                self.phase = Phase.CONFIRMING
                return [StepsWarning(exercise, current.pending[0])]
        return self._steps()

    def _confirm(self, line: str) -> list[Event]:
        """The reply to the steps question: yes shows them; anything else declines, and a line
        that is neither yes nor no (an answer, a command) is then taken as typed."""
        current = self._current
        assert current is not None
        self.phase = Phase.ASKING
        reply = line.strip().lower()
        if reply in YES:
            return self._steps()
        declined: list[Event] = [StepsDeclined(current.exercise)]
        return declined if reply in NO else [*declined, *self.handle(line)]

    def _steps(self) -> list[Event]:
        current = self._current
        assert current is not None
        exercise = current.exercise
        wanted = [current.pending[0]] if self.phase is Phase.ASKING else list(exercise.ask)
        events: list[Event] = []
        for wrt in wanted:
            try:
                derivation = self._derive(exercise, wrt)
            except Exception as error:  # a failure of the step engine must not end the session
                events.append(StepsUnavailable(exercise, wrt, _failure_text(error)))
                continue
            revealed = wrt not in current.answered
            self.store.record_steps(exercise.id, wrt, current.hints_shown)
            self._tally.steps += 1
            events.append(StepsShown(exercise, wrt, derivation, revealed))
        return events

    # --- answers ---

    def _answer(self, text: str) -> list[Event]:
        current = self._current
        assert current is not None
        exercise, wrt = current.exercise, current.pending[0]
        try:
            read_formula(text, exercise.declarations)
        except ParseError as error:
            return [self._refused(text, error)]
        try:
            result = self._check(exercise, wrt, text)
        except Exception as error:  # not the learner's doing: say so, record nothing
            return [CheckFailed(exercise, wrt, text, _failure_text(error))]
        if result.verdict not in ("correct", "incorrect"):
            message = result.message or "the answer was refused"
            column = result.error_column
            refusal = GradtutorError(message) if column is None else ParseError(message, column)
            return [self._refused(text, refusal)]
        verdict: Verdict = "correct" if result.verdict == "correct" else "incorrect"
        self.store.record_answer(exercise.id, wrt, text, verdict, current.hints_shown)
        self._tally.attempts += 1
        events: list[Event] = [AnswerChecked(exercise, wrt, text, result, current.hints_shown)]
        if verdict == "correct":
            self._tally.correct += 1
            events += self._partial_done()
        return events

    def _refused(self, text: str, error: GradtutorError) -> AnswerRefused:
        current = self._current
        assert current is not None
        wrt = current.pending[0]
        self.store.record_answer(current.exercise.id, wrt, text, "invalid", current.hints_shown)
        self._tally.refused += 1
        return AnswerRefused(current.exercise, wrt, text, error)

    def _partial_done(self) -> list[Event]:
        current = self._current
        assert current is not None
        done = current.pending.pop(0)
        current.answered.add(done)
        if current.pending:
            return [PartialSolved(current.exercise, done, current.pending[0])]
        self.phase = Phase.SOLVED
        self._left.add(current.exercise.id)
        status = exercise_progress(current.exercise, self.store.activity(current.exercise.id))
        revealed = status.status == "revealed"
        if revealed:
            self._tally.revealed += 1
        else:
            self._tally.solved += 1
        return [ExerciseSolved(current.exercise, revealed)]
