"""`gradtutor check` grades each submission against its own student's variant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sympy
import yaml
from typer.testing import CliRunner

from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
from gradtutor.cli import app
from gradtutor.curriculum.loader import load_collection
from gradtutor.curriculum.model import Exercise
from gradtutor.language.expr import to_ascii

COURSE = """\
set: powers
title: Powers
exercises:
  - id: scaled-power
    title: A scaled power
    prompt: Differentiate with the power rule.
    function: a*x^n + b*x
    params: {a: [2, 90], n: [3, 9], b: [-9, 9]}
  - id: fixed
    title: No parameters
    prompt: Differentiate.
    function: x^3
"""


def derivative(exercise: Exercise, wrt: str = "x") -> str:
    return to_ascii(from_sympy(sympy.diff(to_sympy(exercise.tree), symbol(wrt))))


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GRADTUTOR_SECRET", raising=False)
    path = tmp_path / "powers.yaml"
    path.write_text(COURSE, encoding="utf-8")
    return path


def submit(tmp_path: Path, name: str, student: str | None, exercise: Exercise) -> Path:
    data: dict[str, Any] = {"answers": {"scaled-power": {"x": derivative(exercise)},
                                        "fixed": {"x": "3x^2"}}}  # fmt: skip
    if student is not None:
        data["student"] = student
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def grade(runner: CliRunner, course: Path, *files: Path) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["check", *map(str, files), "--exercises", str(course),
                                 "--format", "json"])  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    submissions: list[dict[str, Any]] = json.loads(result.stdout)["submissions"]
    return submissions


def test_own_variant_correct_and_a_neighbours_incorrect(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    exercise = load_collection(course).get("scaled-power")
    ada, bob = exercise.for_student("ada"), exercise.for_student("bob")
    assert ada.function != bob.function
    own = submit(tmp_path, "ada.yaml", "ada", ada)
    copied = submit(tmp_path, "bob.yaml", "bob", ada)  # bob hands in ada's answers
    graded_ada, graded_bob = grade(runner, course, own, copied)
    assert graded_ada["results"][0]["verdict"] == "correct"
    assert graded_ada["results"][0]["variant"] == ada.variant
    assert graded_bob["results"][0]["verdict"] == "incorrect"
    assert graded_bob["results"][0]["variant"] == bob.variant
    # An exercise without parameters records no variant and is graded as usual.
    assert "variant" not in graded_bob["results"][1]
    assert graded_bob["results"][1]["verdict"] == "correct"


def test_without_a_student_the_base_variant_and_a_note(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    exercise = load_collection(course).get("scaled-power")
    base = exercise.for_student(None)
    (graded,) = grade(runner, course, submit(tmp_path, "anon.yaml", None, base))
    result = graded["results"][0]
    assert result["verdict"] == "correct"
    assert result["variant"] == {"a": 2, "n": 3, "b": -9}
    assert "names no `student:`" in result["message"]


def test_the_course_secret_decides_the_variant(
    runner: CliRunner, course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exercise = load_collection(course).get("scaled-power")
    keyed = exercise.for_student("ada", secret="s3cret")
    unkeyed = exercise.for_student("ada", secret="")
    assert keyed.function != unkeyed.function
    files = [submit(tmp_path, "keyed.yaml", "ada", keyed),
             submit(tmp_path, "unkeyed.yaml", "ada", unkeyed)]  # fmt: skip
    monkeypatch.setenv("GRADTUTOR_SECRET", "s3cret")
    verdicts = [s["results"][0]["verdict"] for s in grade(runner, course, *files)]
    assert verdicts == ["correct", "incorrect"]
    monkeypatch.delenv("GRADTUTOR_SECRET")
    verdicts = [s["results"][0]["verdict"] for s in grade(runner, course, *files)]
    assert verdicts == ["incorrect", "correct"]


def test_reveal_derives_the_students_own_reference(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    exercise = load_collection(course).get("scaled-power")
    ada, bob = exercise.for_student("ada"), exercise.for_student("bob")
    answers = submit(tmp_path, "bob.yaml", "bob", ada)
    result = runner.invoke(app, ["check", str(answers), "--exercises", str(course),
                                 "--format", "json", "--reveal"])  # fmt: skip
    revealed = json.loads(result.stdout)["submissions"][0]["results"][0]
    assert (
        sympy.simplify(
            to_sympy(_parse(revealed["reference"])) - sympy.diff(to_sympy(bob.tree), symbol("x"))
        )
        == 0
    )


def _parse(pretty: str) -> Any:
    from gradtutor.language.parser import parse

    return parse(pretty, ["x"])
