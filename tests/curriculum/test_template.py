"""`gradtutor template`: an answers file that loads, grades as all missing, and shows variants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gradtutor.cli import app
from gradtutor.curriculum.answers import parse_answers
from gradtutor.curriculum.loader import load_collection
from gradtutor.curriculum.template import answers_template, comment_lines, yaml_key
from gradtutor.language.expr import to_pretty

VARIANT_EXERCISES = """\
set: powers
title: Powers with your own numbers
exercises:
  - id: scaled-power
    title: A scaled power
    prompt: |-
      Use the power rule.
      Keep the coefficient.
    function: a*x^n
    params: {a: [2, 90], n: [3, 9]}
  - id: "yes"
    title: An awkward id
    prompt: Differentiate.
    function: on^2
    variables: ["on"]
"""


@pytest.fixture
def variant_course(tmp_path: Path) -> Path:
    path = tmp_path / "powers.yaml"
    path.write_text(VARIANT_EXERCISES, encoding="utf-8")
    return path


def test_shipped_template_loads_and_lists_every_partial_in_order() -> None:
    collection = load_collection()
    text = answers_template(collection)
    answers = parse_answers(text)
    expected = [(e.id, wrt) for e in collection.exercises for wrt in e.ask]
    assert [(entry.exercise, entry.wrt) for entry in answers.entries] == expected
    assert all(entry.text is None and entry.problem is None for entry in answers.entries)
    assert answers.student is None
    for exercise in collection.exercises:
        name = exercise.name  # f, or what the exercise calls its function
        assert f"  # {name}({', '.join(exercise.variables)}) = {to_pretty(exercise.tree)}" in text


def test_template_grades_as_all_missing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    made = runner.invoke(app, ["template", "-o", "answers.yaml"])
    assert made.exit_code == 0, made.output
    graded = runner.invoke(app, ["check", "answers.yaml", "--format", "json"])
    assert graded.exit_code == 1
    results = json.loads(graded.stdout)["submissions"][0]["results"]
    partials = sum(len(e.ask) for e in load_collection().exercises)
    assert len(results) == partials
    assert {result["verdict"] for result in results} == {"missing"}
    # Each missing answer points at its empty line in the template.
    lines = (tmp_path / "answers.yaml").read_text("utf-8").splitlines()
    for result in results:
        assert lines[result["line"] - 1].strip().startswith(f'{yaml_key(result["wrt"])}: ""')


def test_template_refuses_to_overwrite_answers(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("answers.yaml").write_text("answers:\n  x: my work\n", encoding="utf-8")
    refused = runner.invoke(app, ["template", "-o", "answers.yaml"])
    assert refused.exit_code == 2
    assert "answers.yaml already exists" in " ".join(refused.stderr.split())
    assert Path("answers.yaml").read_text("utf-8") == "answers:\n  x: my work\n"
    forced = runner.invoke(app, ["template", "-o", "answers.yaml", "--force"])
    assert forced.exit_code == 0
    assert Path("answers.yaml").read_text("utf-8").startswith("# gradtutor answers file.")


def test_template_on_stdout_names_the_student(runner: CliRunner, variant_course: Path) -> None:
    result = runner.invoke(
        app, ["template", "--exercises", str(variant_course), "--student", 'Ada "A." Lovelace']
    )
    assert result.exit_code == 0
    data = yaml.safe_load(result.stdout)
    assert data["student"] == 'Ada "A." Lovelace'
    assert data["answers"] == {"scaled-power": {"x": ""}, "yes": {"on": ""}}


def test_student_template_shows_their_own_function(
    runner: CliRunner, variant_course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADTUTOR_SECRET", "course-secret")
    exercise = load_collection(variant_course).get("scaled-power")
    for student in ("ada", "bob"):
        mine = exercise.for_student(student)
        text = runner.invoke(app, ["template", "--exercises", str(variant_course),
                                   "--student", student]).stdout  # fmt: skip
        assert f"# f(x) = {to_pretty(mine.tree)}  (your own numbers)" in text
    base = runner.invoke(app, ["template", "--exercises", str(variant_course)]).stdout
    assert f"# f(x) = {to_pretty(exercise.tree)}\n" in base
    assert "gradtutor template --student NAME" in base.replace("\n  # ", " ")


def test_prompt_lines_stay_comments() -> None:
    text = "first line\nsecond\u2028third\x85fourth: [not, yaml]"
    lines = list(comment_lines(text, "  "))
    assert lines == ["  # first line", "  # second", "  # third", "  # fourth: [not, yaml]"]
    assert yaml.safe_load("\n".join(lines)) is None


@pytest.mark.parametrize(
    ("key", "written"),
    [("x", "x"), ("w0", "w0"), ("chain-3.1", "chain-3.1"), ("yes", '"yes"'), ("On", '"On"'),
     ("null", '"null"'), ("1.5", '"1.5"'), ("a b", '"a b"')],
)  # fmt: skip
def test_keys_read_back_as_written(key: str, written: str) -> None:
    assert yaml_key(key) == written
    assert list(yaml.safe_load(f"{yaml_key(key)}: 1")) == [key]


def test_the_header_names_a_check_of_these_exercises(
    runner: CliRunner, variant_course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check without --exercises would grade against the whole shipped curriculum."""
    monkeypatch.chdir(variant_course.parent)
    result = runner.invoke(app, ["template", "--exercises", variant_course.name, "-o", "hw.yaml"])
    assert result.exit_code == 0, result.output
    header = (variant_course.parent / "hw.yaml").read_text("utf-8").splitlines()[3:5]
    assert header == [
        "# Check your answers with:",
        f"#   gradtutor check hw.yaml --exercises {variant_course.name}",
    ]
    shipped = answers_template(load_collection()).splitlines()[4]
    assert shipped == "#   gradtutor check answers.yaml"
