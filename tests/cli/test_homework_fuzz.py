"""`gradtutor homework init` fuzzed: odd names, occupied folders, broken courses, edge options.

Every run either refuses in plain words (exit 2, no traceback) and leaves the file system as it
was, or writes a repository whose CI files parse and whose own check command, run in the
repository as CI runs it, grades the answers template (exit 0 or 1) with readable reports.
"""

from __future__ import annotations

import os
import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradtutor.cli import app
from tests.conftest import FIXTURES, fuzz_examples

COURSE = FIXTURES / "answers/exercises.yaml"  # one set, check-fixture: 3 exercises, 5 points
BROKEN_COURSE = "set: broken\ntitle: Broken\nexercises:\n  - id: a\n    function: x^\n"

NAMES = st.one_of(
    st.sampled_from(
        [
            "hw",
            "with space",
            "ünï cødé ∂",
            "-dash",
            "--force",
            "a'quote\"",
            "$(touch pwned)",
            "*",
            "x" * 300,
            "nested/deeper/hw",
            "tab\tname",
            "new\nline",
            "🙂",
            ".hidden",
            "trailing ",
            "nul\x00byte",
        ]
    ),
    st.text(st.characters(exclude_characters="/\x00", codec="utf-8"), min_size=1, max_size=12),
)
STATES = st.sampled_from(["missing", "empty", "notes", "exercises-file", "readme-folder", "file"])
COURSES = st.sampled_from(["file", "folder", "broken", "missing"])
SETS = st.sampled_from([[], ["check-fixture"], ["nope"], ["check-fixture", "check-fixture"]])
MIN_SCORES = st.sampled_from(
    [None, "0", "0%", "1", "2.5", "60%", "100%", "5", "6", "101%", "-1", "nan", "inf", "", " 3 ",
     "1e309", "٣", "1/2", "3 points", "50 %"]
)  # fmt: skip
INSTALLS = st.sampled_from(
    [None, None, None, "gradtutor==0.1.0", "", "a\nb", "missing.whl", "https://example.com/g.whl"]
)
ACTIONS = st.sampled_from([None, None, "someone/gradtutor@" + "a" * 40, "not an action"])


@pytest.fixture(autouse=True)
def no_step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the check's GitHub summary out of the real one when the suite runs in Actions."""
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step-summary.md"))


@contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run in `folder`, as CI runs the check in the repository."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _prepare(scratch: Path, name: str, state: str, course: str) -> tuple[Path, Path]:
    """The target folder in the given state, and the course to copy from."""
    target = scratch / name
    if state != "missing" and "\x00" not in name and len(name) < 200:
        if state == "file":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("a file", encoding="utf-8")
        else:
            target.mkdir(parents=True, exist_ok=True)
        if state == "notes":
            (target / "notes.txt").write_text("mine", encoding="utf-8")
        if state == "exercises-file":
            (target / "exercises").write_text("mine", encoding="utf-8")
        if state == "readme-folder":
            (target / "README.md").mkdir()
    source = {"file": COURSE, "folder": COURSE.parent, "missing": scratch / "nowhere.yaml"}
    if course == "broken":
        source["broken"] = scratch / "broken.yaml"
        source["broken"].write_text(BROKEN_COURSE, encoding="utf-8")
    return target, source[course]


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in folder.rglob("*")
    }


def _arguments(
    target: Path,
    course: Path,
    sets: list[str],
    options: tuple[str | None, str | None, str | None, bool],
) -> list[str]:
    min_score, install, action, force = options
    arguments = ["homework", "init", str(target), "--exercises", str(course)]
    for set_id in sets:
        arguments += ["--set", set_id]
    for option, value in (("--min-score", min_score), ("--install", install), ("--action", action)):
        if value is not None:
            arguments.append(f"{option}={value}")
    return arguments + (["--force"] if force else [])


def _check_the_repository(runner: CliRunner, root: Path) -> None:
    """The CI files parse, and the check CI runs grades the template with readable reports."""
    workflow = yaml.safe_load((root / ".github/workflows/grade.yml").read_text("utf-8"))
    assert "jobs" in workflow
    pipeline = yaml.safe_load((root / ".gitlab-ci.yml").read_text("utf-8"))
    (command,) = [line for line in pipeline["grade"]["script"] if "gradtutor check" in line]
    words = shlex.split(command)
    assert words[:2] == ["gradtutor", "check"]
    with inside(root):
        checked = runner.invoke(app, words[1:])
    assert checked.exception is None or isinstance(checked.exception, SystemExit), checked.output
    assert checked.exit_code in (0, 1), checked.output  # passed, or not passed
    ET.parse(root / "reports/junit.xml")


@settings(
    max_examples=fuzz_examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    name=NAMES,
    state=STATES,
    course=COURSES,
    sets=SETS,
    min_score=MIN_SCORES,
    install=INSTALLS,
    action=ACTIONS,
    force=st.booleans(),
)
def test_init_refuses_clearly_and_leaves_no_trace_or_writes_a_repository_that_checks(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    state: str,
    course: str,
    sets: list[str],
    min_score: str | None,
    install: str | None,
    action: str | None,
    force: bool,
) -> None:
    scratch = tmp_path_factory.mktemp("homework-fuzz")
    target, source = _prepare(scratch, name, state, course)
    before = _snapshot(scratch)
    runner = CliRunner()
    options = (min_score, install, action, force)
    result = runner.invoke(app, _arguments(target, source, sets, options))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    event("refused" if result.exit_code else "written")
    if result.exit_code != 0:
        assert result.exit_code == 2, result.output
        # gradtutor's `error: ...`, or the command line's own `Error: Invalid value ...`
        assert re.search(r"^error: ", result.stderr, re.MULTILINE | re.IGNORECASE), result.stderr
        assert _snapshot(scratch) == before  # a refusal writes nothing, anywhere
        return
    _check_the_repository(runner, target)
