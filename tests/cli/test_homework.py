"""`gradtutor homework init`, and examples/homework graded through its own CI commands."""

from __future__ import annotations

import shlex
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import sympy
import yaml
from typer.testing import CliRunner

from gradtutor import homework
from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
from gradtutor.cli import app
from gradtutor.curriculum.loader import load_collection
from gradtutor.homework import init_homework, requirement_from_direct_url
from gradtutor.language.expr import to_ascii
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "homework"


@pytest.fixture(autouse=True)
def installed_from_a_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a checkout installed with `pip install .` is: CI gets the default install."""
    monkeypatch.setattr(homework, "installed_from", lambda: None)


COURSE = """\
set: warmup
title: Warm-up
exercises:
  - id: square-times-y
    title: A product
    prompt: Find the gradient.
    function: x^2 y
  - id: sine-of-square
    title: A sine of a square
    prompt: Differentiate.
    function: sin(x^2)
"""


@pytest.fixture(autouse=True)
def no_step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep a test's GitHub summary out of the real one when the suite itself runs in Actions."""
    summary = tmp_path / "github-step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


@pytest.fixture
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "warmup.yaml").write_text(COURSE, encoding="utf-8")
    return folder


def correct_answers(exercises: Path, student: str = "ada") -> str:
    """Every asked partial, derived by SymPy from the repository's own exercises."""
    answers = {
        exercise.id: {
            wrt: to_ascii(from_sympy(sympy.diff(to_sympy(exercise.tree), symbol(wrt))))
            for wrt in exercise.ask
        }
        for exercise in load_collection(exercises).exercises
    }
    return yaml.safe_dump({"student": student, "answers": answers}, allow_unicode=True)


def wrong_answers(exercises: Path) -> str:
    """The function itself in place of each derivative, the classic mistake (none of these
    exercises is its own derivative, as e^x would be)."""
    answers = {
        exercise.id: dict.fromkeys(exercise.ask, exercise.function)
        for exercise in load_collection(exercises).exercises
    }
    return yaml.safe_dump({"student": "bob", "answers": answers})


def workflow_check_command(repository: Path) -> list[str]:
    """The `gradtutor check ...` command of the GitHub workflow, split as a shell would."""
    workflow = yaml.safe_load((repository / ".github/workflows/grade.yml").read_text("utf-8"))
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    (command,) = [run for run in runs if run.startswith("gradtutor check")]
    return shlex.split(command)


def gitlab_check_command(repository: Path) -> list[str]:
    pipeline = yaml.safe_load((repository / ".gitlab-ci.yml").read_text("utf-8"))
    (command,) = [line for line in pipeline["grade"]["script"] if "gradtutor check" in line]
    return shlex.split(command)


def run_in(runner: CliRunner, repository: Path, command: list[str], monkeypatch: Any) -> Any:
    assert command[0] == "gradtutor"
    monkeypatch.chdir(repository)
    return runner.invoke(app, command[1:])


# --- the scaffold ---------------------------------------------------------------------------------


def test_init_writes_a_repository(runner: CliRunner, course: Path, tmp_path: Path) -> None:
    target = tmp_path / "hw"
    result = runner.invoke(app, ["homework", "init", str(target), "--exercises", str(course)])
    assert result.exit_code == 0, result.output
    assert "2 exercises, 3 answers, passing at 2 of 3 points" in result.stdout
    written = sorted(str(path.relative_to(target)) for path in target.rglob("*") if path.is_file())
    assert written == [
        ".github/workflows/grade.yml", ".gitignore", ".gitlab-ci.yml", "README.md",
        "answers.yaml", "exercises/warmup.yaml",
    ]  # fmt: skip
    assert (target / "exercises/warmup.yaml").read_text("utf-8") == COURSE
    assert "--min-score 2" in " ".join(workflow_check_command(target))


def test_init_with_the_default_install_tells_the_teacher_to_point_ci_at_gradtutor(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    from gradtutor import __version__

    target = tmp_path / "hw"
    result = runner.invoke(app, ["homework", "init", str(target), "--exercises", str(course)])
    assert result.exit_code == 0, result.output
    note = " ".join(result.stderr.split())
    assert note.startswith(f"note: CI will run 'pip install gradtutor=={__version__}'")
    assert "edit .github/workflows/grade.yml and .gitlab-ci.yml" in note
    assert "--install 'git+https://" in note
    readme = (target / "README.md").read_text("utf-8")
    assert "## Before you hand this out (teacher: then delete this section)" in readme
    assert f"python -m pip install gradtutor=={__version__}\n```" in readme

    chosen = tmp_path / "chosen"
    spec = ["--install", "git+https://example.org/gradtutor@v1"]
    result = runner.invoke(
        app, ["homework", "init", str(chosen), "--exercises", str(course), *spec]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "Before you hand this out" not in (chosen / "README.md").read_text("utf-8")


def test_init_refuses_a_non_empty_folder(runner: CliRunner, course: Path, tmp_path: Path) -> None:
    target = tmp_path / "hw"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    refused = runner.invoke(app, ["homework", "init", str(target), "--exercises", str(course)])
    assert refused.exit_code == 2
    said = " ".join(refused.stderr.split())  # the console wraps long paths
    assert "is not empty" in said and "--force" in said
    assert sorted(path.name for path in target.iterdir()) == ["notes.txt"]
    forced = runner.invoke(
        app, ["homework", "init", str(target), "--exercises", str(course), "--force"]
    )
    assert forced.exit_code == 0
    assert (target / "notes.txt").read_text("utf-8") == "mine"
    assert (target / "answers.yaml").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--min-score", "4"], "--min-score 4 is more than the 3 points of all the exercises"),
        (["--set", "nope"], "there is no set 'nope'"),
    ],
)
def test_init_explains_bad_options(
    runner: CliRunner, course: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    target = tmp_path / "hw"
    result = runner.invoke(
        app, ["homework", "init", str(target), "--exercises", str(course), *extra]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert not target.exists() or not any(target.iterdir())


def test_a_percentage_minimum_is_written_as_points(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    target = tmp_path / "hw"
    args = ["homework", "init", str(target), "--exercises", str(course), "--min-score", "50%"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "passing at 1.5 of 3 points" in result.output
    command = workflow_check_command(target)
    assert command[command.index("--min-score") + 1] == "1.5"


def test_ci_files_install_and_report(course: Path, tmp_path: Path) -> None:
    homework = init_homework(
        tmp_path / "hw", course, min_score=1.5, install="git+https://example.org/gradtutor@v1"
    )
    root = homework.root
    workflow = yaml.safe_load((root / ".github/workflows/grade.yml").read_text("utf-8"))
    steps = workflow["jobs"]["grade"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert "pip install git+https://example.org/gradtutor@v1" in steps[2]["run"]
    command = workflow_check_command(root)
    assert command[:3] == ["gradtutor", "check", "answers.yaml"]
    for option in ("--junit", "--format", "--min-score"):
        assert option in command
    assert command[command.index("--format") + 1] == "github"
    assert command[command.index("--min-score") + 1] == "1.5"
    pipeline = yaml.safe_load((root / ".gitlab-ci.yml").read_text("utf-8"))
    gitlab = gitlab_check_command(root)
    assert pipeline["grade"]["artifacts"]["reports"]["junit"] == gitlab[gitlab.index("--junit") + 1]
    assert pipeline["grade"]["artifacts"]["when"] == "always"


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_generated_ci_commands_pass_and_fail(
    runner: CliRunner, course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    root = init_homework(tmp_path / "hw", course).root
    command = workflow_check_command(root) if ci == "github" else gitlab_check_command(root)
    answers = root / "answers.yaml"
    answers.write_text(correct_answers(root / "exercises"), encoding="utf-8")
    passed = run_in(runner, root, command, monkeypatch)
    assert passed.exit_code == 0, passed.output
    junit = ET.parse(root / "reports/junit.xml").getroot()
    assert (junit.get("tests"), junit.get("failures")) == ("4", "0")  # and the pass mark
    answers.write_text(wrong_answers(root / "exercises"), encoding="utf-8")
    failed = run_in(runner, root, command, monkeypatch)
    assert failed.exit_code == 1
    junit = ET.parse(root / "reports/junit.xml").getroot()
    assert (junit.get("tests"), junit.get("failures")) == ("4", "4")  # and the pass mark
    if ci == "github":
        assert failed.stdout.count("::error file=answers.yaml,line=") == 3


# --- examples/homework ----------------------------------------------------------------------------


@pytest.fixture
def example(tmp_path: Path) -> Path:
    copy = tmp_path / "homework"
    shutil.copytree(EXAMPLE, copy)
    return copy


def test_example_passes_with_correct_answers(
    runner: CliRunner, example: Path, monkeypatch: pytest.MonkeyPatch, no_step_summary: Path
) -> None:
    (example / "answers.yaml").write_text(correct_answers(example / "exercises"), "utf-8")
    result = run_in(runner, example, workflow_check_command(example), monkeypatch)
    assert result.exit_code == 0, result.output
    assert "::error" not in result.stdout
    assert "::notice file=answers.yaml,title=Score::answers.yaml (ada): " in result.stdout
    junit = ET.parse(example / "reports/junit.xml").getroot()
    assert junit.get("failures") == "0" and junit.get("skipped") == "0"
    assert "✅ correct" in no_step_summary.read_text("utf-8")


def test_example_fails_with_wrong_or_no_answers(
    runner: CliRunner, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    untouched = run_in(runner, example, workflow_check_command(example), monkeypatch)
    assert untouched.exit_code == 1  # the template as committed: every answer missing
    (example / "answers.yaml").write_text(wrong_answers(example / "exercises"), "utf-8")
    wrong = run_in(runner, example, workflow_check_command(example), monkeypatch)
    assert wrong.exit_code == 1
    assert "::error file=answers.yaml,line=" in wrong.stdout


def test_example_is_what_homework_init_writes(example: Path, tmp_path: Path) -> None:
    """The committed example stays in step with the generator (for its own exercises)."""
    fresh = init_homework(tmp_path / "fresh", EXAMPLE / "exercises").root
    for name in ("answers.yaml", ".github/workflows/grade.yml", ".gitlab-ci.yml", "README.md",
                 ".gitignore"):  # fmt: skip
        assert (fresh / name).read_text("utf-8") == (EXAMPLE / name).read_text("utf-8"), name


@pytest.mark.parametrize(
    ("recorded", "requirement"),
    [
        (
            '{"url": "https://github.com/you/gradtutor.git", '
            '"vcs_info": {"vcs": "git", "commit_id": "4f2a9c1", "requested_revision": "v0.1.0"}}',
            "gradtutor @ git+https://github.com/you/gradtutor.git@4f2a9c1",
        ),
        (
            '{"url": "https://example.org/gradtutor-0.1.0.tar.gz", "archive_info": {}}',
            "gradtutor @ https://example.org/gradtutor-0.1.0.tar.gz",
        ),
        ('{"url": "file:///home/you/gradtutor", "dir_info": {"editable": true}}', None),
        ('{"url": "file:///tmp/gradtutor-0.1.0.tar.gz", "archive_info": {}}', None),
        (
            '{"url": "ssh://git@github.com/you/g.git", '
            '"vcs_info": {"vcs": "git", "commit_id": "1"}}',
            None,
        ),
        ('{"url": "https://hg.example.org/g", "vcs_info": {"vcs": "hg", "commit_id": "1"}}', None),
        ("not json", None),
        (None, None),
    ],
)
def test_where_this_gradtutor_came_from(recorded: str | None, requirement: str | None) -> None:
    # pip's PEP 610 record: a git checkout or a web archive can be installed by CI too.
    assert requirement_from_direct_url(recorded) == requirement


def test_ci_installs_the_gradtutor_the_teacher_installed_from_git(
    runner: CliRunner, course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = "gradtutor @ git+https://github.com/you/gradtutor.git@4f2a9c1"
    monkeypatch.setattr(homework, "installed_from", lambda: spec)
    target = tmp_path / "hw"
    result = runner.invoke(app, ["homework", "init", str(target), "--exercises", str(course)])
    assert result.exit_code == 0, result.output
    assert f"CI installs: {spec}" in result.output
    assert "note:" not in result.stderr
    workflow = (target / ".github/workflows/grade.yml").read_text("utf-8")
    assert f"python -m pip install '{spec}'" in workflow
    assert "Before you hand this out" not in (target / "README.md").read_text("utf-8")
