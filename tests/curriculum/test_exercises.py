"""The exercise model and loader, through their public functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradtutor.curriculum.loader import (
    ENVIRONMENT_VARIABLE,
    UnreadableExercises,
    exercises_path,
    load_collection,
    shipped_exercises,
)
from gradtutor.curriculum.model import (
    Collection,
    Exercise,
    UnknownExercise,
    UnknownSet,
    exercise_from_function,
)
from gradtutor.errors import GradtutorError, ParseError
from gradtutor.language.expr import BinOp, Var
from tests import conftest

FIXTURES = conftest.FIXTURES / "exercises"
VALID = FIXTURES / "valid"


@pytest.fixture
def collection() -> Collection:
    return load_collection(VALID)


def test_sets_come_in_order_then_file_name(collection: Collection) -> None:
    assert [s.id for s in collection.sets] == ["first", "second", "c-no-order"]
    assert [e.id for e in collection.exercises] == ["sum-xy", "log-x", "product-xy", "relu-x"]


def test_a_set_takes_its_defaults_from_the_file(collection: Collection) -> None:
    unnamed = collection.get_set("c-no-order")
    assert (unnamed.title, unnamed.order, unnamed.description) == ("Without an order", None, None)
    assert unnamed.source == str(VALID / "c-no-order.yaml")
    assert collection.get_set("first").description == "Sums, one term at a time."


def test_defaults_fill_variables_ask_domain_and_points(collection: Collection) -> None:
    exercise = collection.get("sum-xy")
    assert exercise.variables == ["x", "y"]
    assert exercise.ask == ["x", "y"]
    assert exercise.domain == {"x": (-3.0, 3.0), "y": (-3.0, 3.0)}
    assert exercise.points == 1.0
    assert exercise.max_points == 2.0
    assert (exercise.set, exercise.source, exercise.line) == (
        "first", str(VALID / "a-first.yaml"), 7)  # fmt: skip


def test_declared_values_are_kept(collection: Collection) -> None:
    exercise = collection.get("log-x")
    assert exercise.variables == ["y", "x"]
    assert exercise.ask == ["x"]  # `ask: x` is a list of one
    assert exercise.domain == {"y": (-3.0, 3.0), "x": (0.5, 2.0)}
    assert exercise.points == 2.5
    assert exercise.hints == [] and exercise.rules == []


def test_the_tree_is_parsed_once_with_the_declared_variables(collection: Collection) -> None:
    exercise = collection.get("product-xy")
    assert exercise.tree == BinOp("*", Var("x"), Var("y"))
    assert exercise.tree is exercise.tree


def test_text_is_read_as_written_not_as_yaml_values(tmp_path: Path) -> None:
    (tmp_path / "set.yaml").write_text(
        "exercises:\n"
        "  - id: 2024\n"
        "    title: yes\n"
        "    prompt: 1.0\n"
        "    function: x^2\n"
        "    hints: [no, 0x10, ~x]\n"
    )
    exercise = load_collection(tmp_path).get("2024")
    assert (exercise.title, exercise.prompt) == ("yes", "1.0")
    assert exercise.hints == ["no", "0x10", "~x"]
    assert exercise.set == "set"


def test_an_unknown_id_gets_a_did_you_mean(collection: Collection) -> None:
    with pytest.raises(UnknownExercise) as caught:
        collection.get("sum-yx")
    assert caught.value.message == "there is no exercise 'sum-yx'"
    assert caught.value.hint == "did you mean 'sum-xy'? `gradtutor list` shows every exercise id"
    assert caught.value.exit_code == 2


def test_an_unknown_set_lists_the_sets(collection: Collection) -> None:
    with pytest.raises(UnknownSet) as caught:
        collection.get_set("frist")
    assert caught.value.hint == ("did you mean 'first'? the sets are: first, second, c-no-order")


def test_exercise_from_function_fills_in_what_a_file_would() -> None:
    exercise = exercise_from_function("x^2 y + z", wrt="y")
    assert exercise.variables == ["x", "y", "z"]
    assert exercise.ask == ["y"]
    assert exercise.domain == dict.fromkeys(["x", "y", "z"], (-3.0, 3.0))
    assert exercise.function == "x^2 y + z"
    assert exercise.source is None and exercise.line is None
    assert exercise_from_function("a b", variables=["a", "b"]).ask == ["a", "b"]
    assert exercise_from_function("x0w0", ["x0"], ["x0", "w0"]).tree == BinOp(
        "*", Var("x0"), Var("w0")
    )


def test_exercise_from_function_refuses_what_it_cannot_use() -> None:
    with pytest.raises(ParseError):
        exercise_from_function("x +")
    with pytest.raises(GradtutorError, match="'q' is not a variable of x\\^2"):
        exercise_from_function("x^2", wrt="q")
    with pytest.raises(GradtutorError, match="has no variables"):
        exercise_from_function("2 + 3")


def test_an_exercise_is_a_frozen_pydantic_model() -> None:
    exercise = exercise_from_function("x")
    with pytest.raises(ValueError, match="frozen"):
        exercise.id = "other"
    assert Exercise.model_validate(exercise.model_dump()) == exercise


def test_where_exercises_come_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    assert exercises_path() == shipped_exercises()
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(VALID))
    assert exercises_path() == VALID
    assert load_collection().exercises[0].id == "sum-xy"
    explicit = FIXTURES / "duplicate-across-files"
    assert exercises_path(explicit) == explicit


def test_a_missing_path_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableExercises, match="no such file or folder"):
        load_collection(tmp_path / "nowhere.yaml")
    with pytest.raises(UnreadableExercises, match=r"holds no \.yaml exercise files"):
        load_collection(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(UnreadableExercises, match="not UTF-8"):
        load_collection(tmp_path / "latin1.yaml")


def test_a_folder_reads_yaml_and_yml_but_not_hidden_or_other_files(tmp_path: Path) -> None:
    text = "exercises:\n  - {id: %s, title: t, prompt: p, function: x}\n"
    (tmp_path / "a.yml").write_text(text % "from-yml")
    (tmp_path / "b.yaml").write_text(text % "from-yaml")
    (tmp_path / ".hidden.yaml").write_text("not: [valid")
    (tmp_path / "notes.txt").write_text("not: [valid")
    assert [e.id for e in load_collection(tmp_path).exercises] == ["from-yml", "from-yaml"]
