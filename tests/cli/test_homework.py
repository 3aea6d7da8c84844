"""`gradtutor homework init`, and examples/homework graded through its own CI commands.

These run the check commands in this process; tests/cli/test_homework_ci.py runs a generated
repository's CI step by step in a fresh virtual environment, as CI itself would.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import sympy
import yaml
from typer.testing import CliRunner

from gradtutor import __version__
from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
from gradtutor.cli import app
from gradtutor.curriculum.loader import load_collection
from gradtutor.homework.repository import init_homework
from gradtutor.language.expr import to_ascii
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "homework"
WHEEL = f"gradtutor-{__version__}-py3-none-any.whl"


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
        ".github/workflows/grade.yml", ".gitignore", ".gitlab-ci.yml", ".pre-commit-config.yaml",
        "README.md", "answers.yaml", f"ci/{WHEEL}", "exercises/warmup.yaml",
    ]  # fmt: skip
    assert (target / "exercises/warmup.yaml").read_text("utf-8") == COURSE
    assert "--min-score 2" in " ".join(workflow_check_command(target))
    digest = hashlib.sha256((target / "ci" / WHEEL).read_bytes()).hexdigest()
    said = " ".join(result.stdout.split())
    # Built from this checkout, or rebuilt from the installed files where CI installed it.
    assert re.search(rf"CI installs ci/{re.escape(WHEEL)} \((built from|rebuilt from)", said)
    assert f"sha256 {digest}." in said


def test_by_default_ci_installs_the_wheel_in_the_repository(course: Path, tmp_path: Path) -> None:
    homework = init_homework(tmp_path / "hw", course)
    assert homework.wheel is not None
    digest = hashlib.sha256(homework.wheel.path.read_bytes()).hexdigest()
    install = [
        f'echo "{digest}  ci/{WHEEL}" | sha256sum --check --strict',
        f"python -m pip install ci/{WHEEL}",
    ]
    workflow = yaml.safe_load((homework.root / ".github/workflows/grade.yml").read_text("utf-8"))
    steps = workflow["jobs"]["grade"]["steps"]
    (step,) = [step for step in steps if step.get("name") == "Install gradtutor"]
    assert step["run"].splitlines() == install
    pipeline = yaml.safe_load((homework.root / ".gitlab-ci.yml").read_text("utf-8"))
    assert pipeline["grade"]["script"][:2] == install
    assert pipeline["grade"]["image"] == "python:3.12-slim"  # pip and sha256sum, nothing else
    readme = (homework.root / "README.md").read_text("utf-8")
    assert f"python -m pip install ci/{WHEEL}\n" in readme
    assert digest in readme
    # Nothing points at a release or a page that does not exist.
    for path in homework.files:
        if path.suffix != ".whl":
            text = path.read_text("utf-8")
            assert "pypi.org" not in text and "gradtutor==" not in text, path


def test_install_takes_a_requirement_or_a_wheel_file(course: Path, tmp_path: Path) -> None:
    spec = "gradtutor @ git+https://example.org/gradtutor@v1"
    chosen = init_homework(tmp_path / "spec", course, install=spec)
    assert chosen.wheel is None and not (chosen.root / "ci").exists()
    workflow = (chosen.root / ".github/workflows/grade.yml").read_text("utf-8")
    assert f"python -m pip install '{spec}'\n" in workflow
    pipeline = yaml.safe_load((chosen.root / ".gitlab-ci.yml").read_text("utf-8"))
    assert pipeline["grade"]["script"][0] == f"python -m pip install '{spec}'"
    built = init_homework(tmp_path / "built", course).wheel
    assert built is not None
    copied = init_homework(tmp_path / "copied", course, install=str(built.path)).wheel
    assert copied is not None and copied.path == tmp_path / "copied/ci" / WHEEL
    assert copied.sha256 == built.sha256


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--install", "a\nb"], "holds a line break"),
        (["--action", "you/gradtutor"], "is not a GitHub action reference"),
        (["--install", "dist/gradtutor-9-py3-none-any.whl"], "no such wheel file"),
    ],
)
def test_init_refuses_install_and_action_it_cannot_write(
    runner: CliRunner, course: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    target = tmp_path / "hw"
    result = runner.invoke(
        app, ["homework", "init", str(target), "--exercises", str(course), *extra]
    )
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert not target.exists()


def test_the_answers_header_names_the_command_ci_runs(course: Path, tmp_path: Path) -> None:
    root = init_homework(tmp_path / "hw", course, min_score=2).root
    header = (root / "answers.yaml").read_text("utf-8").splitlines()
    label = next(number for number, line in enumerate(header) if line.startswith("# Check"))
    assert shlex.split(header[label + 1].removeprefix("#")) == gitlab_check_command(root)
    assert workflow_check_command(root) == [*gitlab_check_command(root), "--format", "github"]
    hook = yaml.safe_load((root / ".pre-commit-config.yaml").read_text("utf-8"))
    assert shlex.split(hook["repos"][0]["hooks"][0]["entry"]) == gitlab_check_command(root)
    readme = (root / "README.md").read_text("utf-8")
    assert f"   {shlex.join(gitlab_check_command(root))}\n" in readme


def test_action_makes_the_workflow_use_gradtutors_action(course: Path, tmp_path: Path) -> None:
    reference = "you/gradtutor@" + "0123456789abcdef" * 2 + "01234567"
    homework = init_homework(tmp_path / "hw", course, min_score=2, action=reference)
    workflow = yaml.safe_load((homework.root / ".github/workflows/grade.yml").read_text("utf-8"))
    steps = workflow["jobs"]["grade"]["steps"]
    (step,) = [step for step in steps if step.get("uses") == reference]
    assert homework.wheel is not None
    assert step["with"] == {
        "answers": "answers.yaml", "exercises": "exercises", "min-score": "2",
        "reports": "reports", "install": f"ci/{WHEEL}", "install-sha256": homework.wheel.sha256,
    }  # fmt: skip
    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    assert set(step["with"]) <= set(action["inputs"])


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


def test_a_name_too_long_for_the_file_system_is_refused(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    # Found by tests/cli/test_homework_fuzz.py: os.stat raised ENAMETOOLONG as a traceback.
    target = tmp_path / ("x" * 300)
    refused = runner.invoke(app, ["homework", "init", str(target), "--exercises", str(course)])
    assert refused.exit_code == 2 and isinstance(refused.exception, SystemExit)
    assert "File name too long" in " ".join(refused.stderr.split())


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in folder.rglob("*")
    }


def test_a_file_where_a_folder_goes_is_refused_before_anything_is_written(
    runner: CliRunner, course: Path, tmp_path: Path
) -> None:
    # Found by tests/cli/test_homework_fuzz.py: --force wrote ci/ and its wheel, then failed to
    # copy the exercises into `exercises`, a file, and left the wheel behind.
    target = tmp_path / "hw"
    target.mkdir()
    (target / "exercises").write_text("my notes", encoding="utf-8")
    (target / "README.md").mkdir()
    before = _tree(target)
    args = ["homework", "init", str(target), "--exercises", str(course), "--force"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    said = " ".join(refused.stderr.split())
    assert "exercises is a file, where the homework repository has a folder" in said
    assert _tree(target) == before


@pytest.mark.parametrize("existing", [False, True])
def test_a_write_that_fails_part_way_leaves_the_folder_as_it_was(
    course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    from gradtutor.homework import repository

    target = tmp_path / "new" / "hw"
    if existing:
        target.mkdir(parents=True)
        (target / "notes.txt").write_text("mine", encoding="utf-8")
    before = _tree(tmp_path)
    write = repository._write

    def disk_full_at_the_readme(path: Path, text: str) -> Path:
        if path.name == "README.md":
            raise repository.HomeworkError(f"cannot write {path}: No space left on device")
        return write(path, text)

    monkeypatch.setattr(repository, "_write", disk_full_at_the_readme)
    with pytest.raises(repository.HomeworkError, match="No space left"):
        init_homework(target, course, force=True)
    assert _tree(tmp_path) == before


def test_a_set_named_twice_counts_once(runner: CliRunner, course: Path, tmp_path: Path) -> None:
    # Found by tests/cli/test_homework_fuzz.py: --set warmup --set warmup counted its points twice
    # (pass mark 4 of 6), but exercises/ holds the set once (3 points), so the repository's own
    # check refused its --min-score 4 with exit 2.
    target = tmp_path / "hw"
    args = ["homework", "init", str(target), "--exercises", str(course)]
    result = runner.invoke(app, [*args, "--set", "warmup", "--set", "warmup"])
    assert result.exit_code == 0, result.output
    assert "2 exercises, 3 answers, passing at 2 of 3 points" in result.output
    command = workflow_check_command(target)
    assert command[command.index("--min-score") + 1] == "2"


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


def test_example_is_what_homework_init_writes(tmp_path: Path) -> None:
    """The committed example stays in step with the generator (for its own exercises).

    Its wheel is the gradtutor of the day it was written, so its hash may differ from a wheel
    built now; the files must agree on everything else, and on the hash of the wheel they carry.
    """
    fresh = init_homework(tmp_path / "fresh", EXAMPLE / "exercises").root
    carried = hashlib.sha256((EXAMPLE / "ci" / WHEEL).read_bytes()).hexdigest()
    built = hashlib.sha256((fresh / "ci" / WHEEL).read_bytes()).hexdigest()
    names = sorted(
        str(path.relative_to(fresh)) for path in fresh.rglob("*") if path.suffix != ".whl"
    )
    for name in names:
        if (fresh / name).is_file():
            expected = (fresh / name).read_text("utf-8").replace(built, carried)
            assert (EXAMPLE / name).read_text("utf-8") == expected, name
    example = {str(path.relative_to(EXAMPLE)) for path in EXAMPLE.rglob("*")}
    assert example == {str(path.relative_to(fresh)) for path in fresh.rglob("*")}
