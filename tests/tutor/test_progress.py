"""The progress store: the SQLite log, its durability and refusals, and what it says."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtutor.tutor.progress import (
    SCHEMA_VERSION,
    Activity,
    ProgressFileError,
    data_dir,
    exercise_progress,
    open_progress,
    progress_path,
    progress_report,
    struggling_rules,
)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRADTUTOR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@dataclass
class FakeExercise:
    id: str
    ask: list[str] = field(default_factory=lambda: ["x"])
    rules: list[str] = field(default_factory=list)
    set: str = "basics"


@dataclass
class FakeSet:
    id: str
    title: str
    exercises: list[FakeExercise]


@dataclass
class FakeCollection:
    sets: list[FakeSet]

    @property
    def exercises(self) -> list[FakeExercise]:
        return [exercise for s in self.sets for exercise in s.exercises]


def _row(
    number: int, exercise: str, kind: str, wrt: str | None = None, verdict: str | None = None
) -> Activity:
    at = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=number)
    return Activity(number, at, "s", exercise, kind, wrt, "answer", verdict)  # type: ignore[arg-type]


# --- where the file lives ------------------------------------------------------------------------


def test_the_file_lives_in_gradtutor_home(home: Path) -> None:
    assert data_dir() == home
    assert progress_path() == home / "progress.sqlite3"
    assert progress_path(Path("/elsewhere/p.db")) == Path("/elsewhere/p.db")


def test_without_gradtutor_home_the_platform_data_dir_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import platformdirs

    monkeypatch.delenv("GRADTUTOR_HOME")
    assert data_dir() == Path(platformdirs.user_data_dir("gradtutor", appauthor=False))


# --- the store -----------------------------------------------------------------------------------


def test_every_write_is_on_disk_before_the_call_returns(home: Path) -> None:
    store = open_progress()
    store.record_hint("chain-1", 1)
    store.record_answer("chain-1", "x", "2x", "incorrect", hints_seen=1)
    store.record_steps("chain-1", "x")
    store.record_skip("chain-1")
    # Another connection (as after a crash) sees everything, without `store` being closed.
    with sqlite3.connect(home / "progress.sqlite3") as other:
        rows = other.execute(
            "SELECT exercise, kind, wrt, answer, verdict, hints_seen FROM activity ORDER BY id"
        ).fetchall()
    assert rows == [
        ("chain-1", "hint", None, None, None, 1),
        ("chain-1", "answer", "x", "2x", "incorrect", 1),
        ("chain-1", "steps", "x", None, None, 0),
        ("chain-1", "skip", None, None, None, 0),
    ]
    store.close()


def test_activity_reads_back_in_order_with_times(home: Path) -> None:
    moments = iter(datetime(2024, 5, 1, 12, 0, second, tzinfo=timezone.utc) for second in range(9))
    with open_progress(clock=lambda: next(moments)) as store:
        store.record_answer("a", "x", "1", "correct", 0)
        store.record_answer("b", "y", "2", "invalid", 0)
        session = store.session
    with open_progress() as store:
        rows = store.activity()
        assert [row.exercise for row in rows] == ["a", "b"]
        assert rows[0].at == datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
        assert rows[1].verdict == "invalid"
        assert {row.session for row in rows} == {session}
        assert store.session != session
        assert [row.exercise for row in store.activity("b")] == ["b"]
        assert store.exercises_recorded() == {"a", "b"}


def test_reset_one_exercise_or_all(home: Path) -> None:
    with open_progress() as store:
        for exercise in ("a", "a", "b"):
            store.record_hint(exercise, 1)
        assert store.reset("a") == 2
        assert [row.exercise for row in store.activity()] == ["b"]
        assert store.reset() == 1
        assert store.activity() == []


def test_a_new_file_gets_the_current_schema_version(home: Path) -> None:
    open_progress().close()
    with sqlite3.connect(home / "progress.sqlite3") as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


# --- refusals: never overwrite what cannot be read -----------------------------------------------


def test_a_corrupt_file_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    garbage = b"this is not a database\n" * 100
    path.write_bytes(garbage)
    with pytest.raises(ProgressFileError) as caught:
        open_progress(path)
    assert str(path) in caught.value.message
    assert caught.value.hint is not None and "mv" in caught.value.hint
    assert caught.value.exit_code == 2
    assert path.read_bytes() == garbage


def test_a_damaged_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    with open_progress(path) as store:
        for number in range(300):
            store.record_answer("a", "x", "x" * 50, "incorrect", number)
    data = bytearray(path.read_bytes())
    data[2 * 4096 : 3 * 4096] = b"\xff" * 4096  # scribble over the third page: table rows
    path.write_bytes(bytes(data))
    with pytest.raises(ProgressFileError) as caught:
        open_progress(path).activity()
    assert str(path) in caught.value.message
    assert path.read_bytes() == bytes(data)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(ProgressFileError, match="not a gradtutor progress file"):
        open_progress(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    open_progress(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ProgressFileError, match="newer gradtutor"):
        open_progress(path)


def test_a_folder_is_not_a_progress_file(tmp_path: Path) -> None:
    with pytest.raises(ProgressFileError, match="is a folder"):
        open_progress(tmp_path)


def test_a_home_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ProgressFileError, match="cannot create the folder"):
        open_progress(blocker / "sub" / "p.db")


# --- statuses ------------------------------------------------------------------------------------


def test_status_new_attempted_solved() -> None:
    exercise = FakeExercise("e", ask=["x", "y"])
    assert exercise_progress(exercise, []).status == "new"
    assert exercise_progress(exercise, [_row(1, "e", "skip")]).status == "new"
    assert exercise_progress(exercise, [_row(1, "e", "hint")]).status == "attempted"
    log = [_row(1, "e", "answer", "x", "invalid")]
    assert exercise_progress(exercise, log).status == "attempted"
    log = [_row(1, "e", "answer", "x", "correct"), _row(2, "e", "answer", "y", "incorrect")]
    progress = exercise_progress(exercise, log)
    assert (progress.status, progress.finished, progress.attempts) == ("attempted", False, 2)
    log.append(_row(3, "e", "answer", "y", "correct"))
    progress = exercise_progress(exercise, log)
    assert (progress.status, progress.finished, progress.attempts) == ("solved", True, 3)


def test_refused_answers_are_not_attempts() -> None:
    log = [_row(1, "e", "answer", "x", "invalid"), _row(2, "e", "answer", "x", "correct")]
    progress = exercise_progress(FakeExercise("e"), log)
    assert (progress.attempts, progress.refused, progress.status) == (1, 1, "solved")


def test_steps_before_solving_reveal_and_stay_revealed() -> None:
    exercise = FakeExercise("e", ask=["x", "y"])
    log = [
        _row(1, "e", "answer", "x", "correct"),
        _row(2, "e", "steps", "y"),
        _row(3, "e", "answer", "y", "correct"),
    ]
    progress = exercise_progress(exercise, log)
    assert (progress.status, progress.finished) == ("revealed", True)


def test_steps_after_solving_change_nothing() -> None:
    exercise = FakeExercise("e", ask=["x", "y"])
    log = [
        _row(1, "e", "answer", "x", "correct"),
        _row(2, "e", "steps", "x"),  # x was already answered: nothing revealed
        _row(3, "e", "answer", "y", "correct"),
        _row(4, "e", "steps", "y"),
    ]
    assert exercise_progress(exercise, log).status == "solved"


def test_a_wrong_answer_after_solving_does_not_unsolve() -> None:
    log = [_row(1, "e", "answer", "x", "correct"), _row(2, "e", "answer", "x", "incorrect")]
    assert exercise_progress(FakeExercise("e"), log).status == "solved"


# --- the report ----------------------------------------------------------------------------------


def _collection() -> FakeCollection:
    return FakeCollection(
        [
            FakeSet("basics", "Basics", [FakeExercise("a", rules=["power"])]),
            FakeSet(
                "chain",
                "The chain rule",
                [
                    FakeExercise("b", rules=["chain", "power"], set="chain"),
                    FakeExercise("c", ask=["x", "y"], rules=["chain"], set="chain"),
                ],
            ),
        ]
    )


def test_report_per_set_and_per_rule() -> None:
    log = [
        _row(1, "a", "answer", "x", "incorrect"),
        _row(2, "a", "answer", "x", "correct"),
        _row(3, "b", "steps", "x"),
        _row(4, "c", "hint"),
        _row(5, "gone", "answer", "x", "correct"),  # an exercise no longer in the collection
    ]
    report = progress_report(_collection(), log)
    assert report.to_json() == {
        "exercises": [
            {"id": "a", "status": "solved", "attempts": 2, "hints": 0},
            {"id": "b", "status": "revealed", "attempts": 0, "hints": 0},
            {"id": "c", "status": "attempted", "attempts": 0, "hints": 0},
        ],
        "sets": [
            {
                "id": "basics",
                "title": "Basics",
                "total": 1,
                "solved": 1,
                "revealed": 0,
                "attempted": 0,
            },
            {
                "id": "chain",
                "title": "The chain rule",
                "total": 2,
                "solved": 0,
                "revealed": 1,
                "attempted": 1,
            },
        ],
        "rules": {
            "chain": {
                "exercises": 2,
                "solved": 0,
                "attempts": 0,
                "correct": 0,
                "mastery": 0.0,
                "accuracy": None,
            },
            "power": {
                "exercises": 2,
                "solved": 1,
                "attempts": 2,
                "correct": 1,
                "mastery": 0.5,
                "accuracy": 0.5,
            },
        },
    }


# --- struggling ----------------------------------------------------------------------------------


def test_three_recent_misses_on_a_rule_are_a_struggle() -> None:
    exercises = _collection().exercises
    log = [_row(n, "b", "answer", "x", "incorrect") for n in range(1, 4)]
    # b practises chain and power, each practised by two exercises here: the name decides.
    chain, power = struggling_rules(exercises, log)
    assert (chain.rule, chain.misses, chain.last_exercise) == ("chain", 3, "b")
    assert (power.rule, power.misses) == ("power", 3)


def test_a_correct_answer_clears_the_misses_and_refusals_do_not_count() -> None:
    exercises = _collection().exercises
    log = [
        _row(1, "b", "answer", "x", "incorrect"),
        _row(2, "b", "answer", "x", "incorrect"),
        _row(3, "c", "answer", "x", "correct"),  # chain right: chain cleared, power not
        _row(4, "b", "answer", "x", "incorrect"),
        _row(5, "b", "answer", "x", "invalid"),
        _row(6, "b", "answer", "x", "invalid"),
    ]
    [struggle] = struggling_rules(exercises, log)
    assert (struggle.rule, struggle.misses) == ("power", 3)
    assert struggling_rules(exercises, log, threshold=4) == []


def test_the_more_specific_rule_wins_a_tie() -> None:
    exercises = [
        FakeExercise("p1", rules=["power"]),
        FakeExercise("p2", rules=["power"]),
        FakeExercise("c1", rules=["chain", "power"]),
    ]
    log = [_row(n, "c1", "answer", "x", "incorrect") for n in range(1, 4)]
    assert [struggle.rule for struggle in struggling_rules(exercises, log)] == ["chain", "power"]


def test_the_migration_hook_upgrades_an_older_file_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gradtutor.tutor.progress as progress

    path = tmp_path / "p.db"
    with open_progress(path) as store:
        store.record_answer("a", "x", "2x", "correct", 0)

    def add_a_column(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE activity ADD COLUMN seconds REAL")

    monkeypatch.setattr(progress, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(progress.MIGRATIONS, SCHEMA_VERSION, add_a_column)
    with open_progress(path) as store:
        assert [row.answer for row in store.activity()] == ["2x"]
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
        columns = [row[1] for row in connection.execute("PRAGMA table_info(activity)")]
    assert "seconds" in columns


_ROW = st.one_of(
    st.tuples(st.just("answer"), st.sampled_from(["x", "y"]),
              st.sampled_from(["correct", "incorrect", "invalid"])),
    st.tuples(st.just("hint"), st.none(), st.none()),
    st.tuples(st.just("steps"), st.sampled_from(["x", "y"]), st.none()),
    st.tuples(st.just("skip"), st.none(), st.none()),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_ROW, max_size=12))
def test_status_agrees_with_its_definition(rows: list[tuple[str, str | None, str | None]]) -> None:
    log = [_row(n, "e", kind, wrt, verdict) for n, (kind, wrt, verdict) in enumerate(rows, 1)]
    progress = exercise_progress(FakeExercise("e", ask=["x", "y"]), log)
    first_correct = {
        wrt: next(n for n, (k, w, v) in enumerate(rows) if k == "answer" and w == wrt
                  and v == "correct")
        for wrt in ("x", "y")
        if ("answer", wrt, "correct") in rows
    }  # fmt: skip
    revealed = any(
        kind == "steps" and (wrt not in first_correct or n < first_correct[wrt])
        for n, (kind, wrt, _) in enumerate(rows)
    )
    assert progress.finished == (len(first_correct) == 2)
    assert progress.attempts == sum(k == "answer" and v != "invalid" for k, _, v in rows)
    if revealed:
        assert progress.status == "revealed"
    elif progress.finished:
        assert progress.status == "solved"
    elif any(kind in ("answer", "hint") for kind, _, _ in rows):
        assert progress.status == "attempted"
    else:
        assert progress.status == "new"
