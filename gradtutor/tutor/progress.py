"""The learner's progress: an SQLite log of what happened, and what it says about the learner.

The database holds one table, `activity`: every answer (time, exercise, variable, answer, verdict,
hints seen), every hint and every step-by-step derivation shown, every skip. Nothing else is stored:
the status of an exercise and the mastery of a rule are derived from the log each time, so a
change in how they are judged never needs a migration, and the log can always be re-read.

Durability: every write is its own transaction, committed before the caller shows any feedback,
with SQLite's rollback journal and `synchronous=FULL`. A process killed at any moment loses at most
the answer being typed. A file that cannot be read is reported (`ProgressFileError`, naming the
file and how to move it aside) and is never overwritten.

Statuses, derived per exercise from its asked partials:
- `solved`: every asked partial has a correct answer, and no partial's derivation was shown before
  that partial was answered correctly. Derivations viewed after solving change nothing.
- `revealed`: the derivation of some partial was shown before that partial was answered correctly.
  It stays revealed (answering afterwards does not make it solved) until `gradtutor reset ID`.
- `attempted`: something was tried (an answer, even a refused one, or a hint), but neither of the
  above.
- `new`: nothing recorded (a skip alone leaves an exercise new).

An exercise is *finished* when every asked partial has a correct answer, whatever its status;
practice offers the unfinished ones. Refused answers (`invalid`: they could not be read) are
recorded but never count as attempts or against mastery.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Protocol

from gradtutor.errors import GradtutorError

SCHEMA_VERSION = 1
# `PRAGMA application_id`: marks the file as gradtutor's ("GRDT"), so another program's SQLite
# file is recognised and refused instead of being written to.
APPLICATION_ID = 0x47524454
FILE_NAME = "progress.sqlite3"

Kind = Literal["answer", "hint", "steps", "skip"]
Verdict = Literal["correct", "incorrect", "invalid"]
Status = Literal["new", "attempted", "solved", "revealed"]
STATUSES: tuple[Status, ...] = ("new", "attempted", "solved", "revealed")


class ProgressFileError(GradtutorError):
    """The progress file cannot be opened, read or written."""


# --- where the file lives ------------------------------------------------------------------------


def data_dir() -> Path:
    """gradtutor's folder: `$GRADTUTOR_HOME` when set, else the user data dir of the platform."""
    home = os.environ.get("GRADTUTOR_HOME", "").strip()
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("gradtutor", appauthor=False))


def progress_path(explicit: Path | None = None) -> Path:
    """The progress file: `--progress FILE` when given, else `progress.sqlite3` in `data_dir()`."""
    return explicit.expanduser() if explicit is not None else data_dir() / FILE_NAME


# --- the schema and its migrations ---------------------------------------------------------------


def _create_version_1(connection: sqlite3.Connection) -> None:
    connection.execute(
        """
        CREATE TABLE activity (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,                -- UTC, ISO 8601
            session TEXT NOT NULL,           -- one id per practice session
            exercise TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('answer', 'hint', 'steps', 'skip')),
            wrt TEXT,                        -- the partial asked, for answers and steps
            answer TEXT,                     -- what the learner typed, for answers
            verdict TEXT CHECK (verdict IN ('correct', 'incorrect', 'invalid')),
            hints_seen INTEGER NOT NULL DEFAULT 0 CHECK (hints_seen >= 0)
        )
        """
    )
    connection.execute("CREATE INDEX activity_by_exercise ON activity (exercise, id)")


# MIGRATIONS[n] brings a database at user_version n to n + 1; each runs in its own transaction.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _create_version_1}


def _move_aside_hint(path: Path) -> str:
    return (
        f"move it aside (mv '{path}' '{path}.broken') and gradtutor will start a new, empty "
        "progress file; or point --progress at another file. Nothing was changed."
    )


def _unreadable(path: Path, reason: str) -> ProgressFileError:
    return ProgressFileError(
        f"cannot read the progress file {path}: {reason}", _move_aside_hint(path)
    )


def _failure(path: Path, error: sqlite3.Error) -> ProgressFileError:
    text = str(error)
    if "locked" in text or "busy" in text:
        return ProgressFileError(
            f"the progress file {path} is busy: another gradtutor is writing it",
            "wait for it to finish, then try again",
        )
    if "readonly" in text or "unable to open" in text:
        return ProgressFileError(
            f"cannot write the progress file {path}: {text}",
            "check that the file and its folder are writable, or choose another with --progress",
        )
    return _unreadable(path, text)


# --- the store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """One row of the log."""

    id: int
    at: datetime
    session: str
    exercise: str
    kind: Kind
    wrt: str | None = None
    answer: str | None = None
    verdict: Verdict | None = None
    hints_seen: int = 0


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ProgressStore:
    """The SQLite log of one learner. Open with `open_progress`; use as a context manager."""

    def __init__(
        self, connection: sqlite3.Connection, path: Path, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._connection = connection
        self.path = path
        self.session = uuid.uuid4().hex[:12]
        self._clock = clock

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def _reported(self) -> Iterator[sqlite3.Connection]:
        """A transaction, committed on leaving; any SQLite failure becomes a `ProgressFileError`."""
        try:
            with self._connection:
                yield self._connection
        except sqlite3.Error as error:
            raise _failure(self.path, error) from None

    def _record(
        self,
        exercise: str,
        kind: Kind,
        *,
        wrt: str | None = None,
        answer: str | None = None,
        verdict: Verdict | None = None,
        hints_seen: int = 0,
    ) -> None:
        at = self._clock().astimezone(timezone.utc).isoformat(timespec="microseconds")
        with self._reported() as connection:
            connection.execute(
                "INSERT INTO activity (at, session, exercise, kind, wrt, answer, verdict, "
                "hints_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (at, self.session, exercise, kind, wrt, answer, verdict, hints_seen),
            )

    def record_answer(
        self, exercise: str, wrt: str, answer: str, verdict: Verdict, hints_seen: int
    ) -> None:
        self._record(
            exercise, "answer", wrt=wrt, answer=answer, verdict=verdict, hints_seen=hints_seen
        )

    def record_hint(self, exercise: str, number: int) -> None:
        """Hint `number` (1-based) of `exercise` was shown."""
        self._record(exercise, "hint", hints_seen=number)

    def record_steps(self, exercise: str, wrt: str, hints_seen: int = 0) -> None:
        self._record(exercise, "steps", wrt=wrt, hints_seen=hints_seen)

    def record_skip(self, exercise: str) -> None:
        self._record(exercise, "skip")

    def activity(self, exercise: str | None = None) -> list[Activity]:
        """The log in the order it was written, for one exercise or all."""
        query = (
            "SELECT id, at, session, exercise, kind, wrt, answer, verdict, hints_seen FROM activity"
        )
        parameters: tuple[str, ...] = ()
        if exercise is not None:
            query += " WHERE exercise = ?"
            parameters = (exercise,)
        with self._reported() as connection:
            rows = connection.execute(query + " ORDER BY id", parameters).fetchall()
        return [Activity(row[0], datetime.fromisoformat(row[1]), *row[2:]) for row in rows]

    def exercises_recorded(self) -> set[str]:
        with self._reported() as connection:
            rows = connection.execute("SELECT DISTINCT exercise FROM activity").fetchall()
        return {row[0] for row in rows}

    def reset(self, exercise: str | None = None) -> int:
        """Forget one exercise (or everything); returns how many rows were removed."""
        with self._reported() as connection:
            if exercise is None:
                cursor = connection.execute("DELETE FROM activity")
            else:
                cursor = connection.execute("DELETE FROM activity WHERE exercise = ?", (exercise,))
        return cursor.rowcount


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    """Check that the file is a sound gradtutor database, then bring its schema up to date."""
    integrity = connection.execute("PRAGMA quick_check").fetchall()
    if integrity != [("ok",)]:
        raise _unreadable(
            path, "the database is damaged (" + "; ".join(r[0] for r in integrity[:3]) + ")"
        )
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if application_id not in (0, APPLICATION_ID) or (application_id == 0 and tables):
        raise ProgressFileError(
            f"{path} is an SQLite database, but not a gradtutor progress file",
            "choose another file with --progress, or move this one aside; it was not changed",
        )
    if version > SCHEMA_VERSION:
        raise ProgressFileError(
            f"the progress file {path} was written by a newer gradtutor (schema {version}; "
            f"this one reads up to {SCHEMA_VERSION})",
            "upgrade gradtutor (pip install -U gradtutor), or use another file with --progress",
        )
    while version < SCHEMA_VERSION:
        with connection:
            MIGRATIONS[version](connection)
            version += 1
            connection.execute(f"PRAGMA user_version = {version:d}")
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")


def _looked_up(path: Path, question: Callable[[Path], bool]) -> bool:
    """`question(path)` (`Path.exists`, `Path.is_dir`), with a name the file system cannot look up
    at all (longer than it allows, say) a `ProgressFileError` instead of an OSError."""
    try:
        return question(path)
    except OSError as error:
        raise ProgressFileError(
            f"cannot use the progress file {path}: {error.strerror or error}",
            "choose another file with --progress, or set GRADTUTOR_HOME to another folder",
        ) from None


def open_progress(
    path: Path | None = None, clock: Callable[[], datetime] = _utc_now
) -> ProgressStore:
    """Open (creating when missing) the progress file; `None` means `progress_path()`."""
    path = progress_path(path)
    if _looked_up(path, Path.is_dir):
        raise ProgressFileError(
            f"the progress file {path} is a folder",
            f"give a file instead, for example --progress {path / FILE_NAME}",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ProgressFileError(
            f"cannot create the folder {path.parent} for the progress file: {error.strerror}",
            "set GRADTUTOR_HOME to a writable folder, or choose a file with --progress",
        ) from None
    connection: sqlite3.Connection | None = None
    try:
        connection = sqlite3.connect(path, timeout=5.0)
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA synchronous = FULL")
        _prepare(connection, path)
    except sqlite3.Error as error:
        if connection is not None:
            connection.close()
        raise _failure(path, error) from None
    except ProgressFileError:
        if connection is not None:
            connection.close()
        raise
    return ProgressStore(connection, path, clock)


# --- what the log says ---------------------------------------------------------------------------


class ExerciseLike(Protocol):
    """What progress needs of an exercise (an `gradtutor.curriculum.loader.Exercise` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def set(self) -> str: ...
    @property
    def ask(self) -> Sequence[str]: ...
    @property
    def rules(self) -> Sequence[str]: ...


class SetLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def exercises(self) -> Sequence[ExerciseLike]: ...


class CollectionLike(Protocol):
    @property
    def sets(self) -> Sequence[SetLike]: ...
    @property
    def exercises(self) -> Sequence[ExerciseLike]: ...


@dataclass(frozen=True)
class ExerciseProgress:
    id: str
    status: Status
    attempts: int  # graded answers: correct or incorrect (refused ones are not attempts)
    correct_answers: int
    refused: int
    hints: int  # the highest hint number shown
    solved_partials: frozenset[str]
    finished: bool  # every asked partial answered correctly

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "attempts": self.attempts,
            "hints": self.hints,
        }


def exercise_progress(exercise: ExerciseLike, log: Iterable[Activity]) -> ExerciseProgress:
    """The status of one exercise from its log (rows of other exercises are ignored)."""
    solved: set[str] = set()
    revealed = touched = False
    attempts = correct = refused = hints = 0
    for row in log:
        if row.exercise != exercise.id:
            continue
        hints = max(hints, row.hints_seen)
        if row.kind == "steps" and row.wrt not in solved:
            revealed = True
        elif row.kind == "hint":
            touched = True
        elif row.kind == "answer":
            touched = True
            if row.verdict == "invalid":
                refused += 1
                continue
            attempts += 1
            if row.verdict == "correct" and row.wrt is not None:
                correct += 1
                solved.add(row.wrt)
    finished = all(name in solved for name in exercise.ask)
    status: Status = (
        "revealed" if revealed else "solved" if finished else "attempted" if touched else "new"
    )
    return ExerciseProgress(
        exercise.id, status, attempts, correct, refused, hints, frozenset(solved), finished
    )


@dataclass(frozen=True)
class SetProgress:
    id: str
    title: str
    total: int
    solved: int
    revealed: int
    attempted: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "total": self.total,
            "solved": self.solved,
            "revealed": self.revealed,
            "attempted": self.attempted,
        }


@dataclass(frozen=True)
class RuleMastery:
    """How far the learner has got with one rule, over the exercises that practise it."""

    rule: str
    exercises: int
    solved: int
    attempts: int
    correct: int

    @property
    def mastery(self) -> float:
        """The share of this rule's exercises solved without revealing the steps."""
        return self.solved / self.exercises if self.exercises else 0.0

    @property
    def accuracy(self) -> float | None:
        """The share of graded answers that were correct; None before any."""
        return self.correct / self.attempts if self.attempts else None

    def to_json(self) -> dict[str, Any]:
        accuracy = self.accuracy
        return {
            "exercises": self.exercises,
            "solved": self.solved,
            "attempts": self.attempts,
            "correct": self.correct,
            "mastery": round(self.mastery, 4),
            "accuracy": None if accuracy is None else round(accuracy, 4),
        }


@dataclass(frozen=True)
class ProgressReport:
    exercises: list[ExerciseProgress]
    sets: list[SetProgress]
    rules: list[RuleMastery]
    saved: bool = True  # the progress file exists (before the first practice, it does not)

    def to_json(self) -> dict[str, Any]:
        return {
            "exercises": [progress.to_json() for progress in self.exercises],
            "sets": [progress.to_json() for progress in self.sets],
            "rules": {mastery.rule: mastery.to_json() for mastery in self.rules},
        }


def progress_by_exercise(
    exercises: Iterable[ExerciseLike], log: Sequence[Activity]
) -> dict[str, ExerciseProgress]:
    rows: dict[str, list[Activity]] = {}
    for row in log:
        rows.setdefault(row.exercise, []).append(row)
    return {
        exercise.id: exercise_progress(exercise, rows.get(exercise.id, []))
        for exercise in exercises
    }


def progress_report(collection: CollectionLike, log: Sequence[Activity]) -> ProgressReport:
    """Status per exercise, counts per set and mastery per rule, in curriculum order."""
    by_id = progress_by_exercise(collection.exercises, log)
    sets = []
    for exercise_set in collection.sets:
        statuses = [by_id[exercise.id].status for exercise in exercise_set.exercises]
        sets.append(
            SetProgress(
                exercise_set.id,
                exercise_set.title,
                len(statuses),
                statuses.count("solved"),
                statuses.count("revealed"),
                statuses.count("attempted"),
            )
        )
    rules: dict[str, list[ExerciseProgress]] = {}
    for exercise in collection.exercises:
        for rule in exercise.rules:
            rules.setdefault(rule, []).append(by_id[exercise.id])
    mastery = [
        RuleMastery(
            rule,
            len(progresses),
            sum(progress.status == "solved" for progress in progresses),
            sum(progress.attempts for progress in progresses),
            sum(progress.correct_answers for progress in progresses),
        )
        for rule, progresses in sorted(rules.items())
    ]
    return ProgressReport([by_id[exercise.id] for exercise in collection.exercises], sets, mastery)


@dataclass(frozen=True)
class Struggle:
    """A rule the learner keeps missing: `misses` wrong answers since the last right one."""

    rule: str
    misses: int
    last_exercise: str


def struggling_rules(
    exercises: Sequence[ExerciseLike],
    log: Sequence[Activity],
    threshold: int = 3,
    window: int = 20,
) -> list[Struggle]:
    """Rules with at least `threshold` recent misses in the last `window` answers, worst first.

    A miss is an incorrect answer to an exercise that practises the rule; a correct answer to any
    exercise that practises it clears its count. Ties go to the rule fewer exercises practise (the
    more specific one: `chain` rather than `power`), then to the name.
    """
    rules_of = {exercise.id: exercise.rules for exercise in exercises}
    graded = [
        row
        for row in log
        if row.kind == "answer" and row.verdict != "invalid" and row.exercise in rules_of
    ][-window:]
    misses: dict[str, int] = {}
    last: dict[str, str] = {}
    for row in graded:
        for rule in rules_of[row.exercise]:
            if row.verdict == "correct":
                misses[rule] = 0
            else:
                misses[rule] = misses.get(rule, 0) + 1
                last[rule] = row.exercise
    frequency = {rule: sum(rule in rules for rules in rules_of.values()) for rule in misses}
    candidates = [rule for rule, count in misses.items() if count >= threshold]
    candidates.sort(key=lambda name: (-misses[name], frequency[name], name))
    return [Struggle(rule, misses[rule], last[rule]) for rule in candidates]


# --- what the commands ask for -------------------------------------------------------------------


def read_report(
    exercises: Path | None = None, progress: Path | None = None
) -> tuple[ProgressReport, Path]:
    """`gradtutor progress`: the report on the collection, and the file it was read from."""
    from gradtutor.curriculum.loader import load_collection

    collection = load_collection(exercises)
    path = progress_path(progress)
    report = progress_report(collection, _read_log(path))
    return replace(report, saved=_looked_up(path, Path.exists)), path


def read_statuses(collection: CollectionLike, progress: Path | None = None) -> dict[str, Status]:
    """The status of every exercise of `collection` (for `gradtutor list`)."""
    log = _read_log(progress_path(progress))
    return {
        key: value.status for key, value in progress_by_exercise(collection.exercises, log).items()
    }


def _read_log(path: Path) -> list[Activity]:
    """The whole log; a file not there yet is an empty log (reading never creates the file)."""
    if not _looked_up(path, Path.exists):
        return []
    with open_progress(path) as store:
        return store.activity()


@dataclass(frozen=True)
class ResetPlan:
    """What `gradtutor reset` would forget, found before asking the learner to confirm."""

    path: Path
    exercise: str | None  # None: everything
    rows: int

    def describe(self) -> str:
        what = "all progress" if self.exercise is None else f"the progress on {self.exercise}"
        return f"{what} ({self.rows} records) in {self.path}"

    def apply(self) -> int:
        with open_progress(self.path) as store:
            return store.reset(self.exercise)


def plan_reset(
    exercise: str | None, exercises: Path | None = None, progress: Path | None = None
) -> ResetPlan:
    """Check the exercise id (an id only the log knows, from an older collection, is fine)."""
    path = progress_path(progress)
    recorded: set[str] = set()
    rows = 0
    if _looked_up(path, Path.exists):  # opening a file that is not there would create it
        with open_progress(path) as store:
            recorded = store.exercises_recorded()
            rows = len(store.activity(exercise))
    if exercise is not None and exercise not in recorded:
        from gradtutor.curriculum.loader import load_collection

        load_collection(exercises).get(exercise)  # an unknown id: did-you-mean
    return ResetPlan(path, exercise, rows)
