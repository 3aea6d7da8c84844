"""Every input ends in a clear answer, in a real process: no traceback, no hang (issue 18).

Each command runs as a user runs it, in its own interpreter. The timeouts are hang guards (a
process that runs past them fails the test), not measurements: timings live in benchmarks/.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXERCISES = str(ROOT / "tests/fixtures/answers/exercises.yaml")

# Far more than any of these needs (about a second each); only a hang reaches it.
HANG_GUARD_SECONDS = 60

LONG_SUM = "+".join(["x"] * 499)
LONG_PRODUCT = "*".join(["x"] * 499)
LONG_RUN = "x" * 1000


def gradtutor(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradtutor", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=HANG_GUARD_SECONDS,
        cwd=cwd,
    )


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout


@pytest.mark.parametrize("formula", [LONG_SUM, LONG_PRODUCT, LONG_RUN])
def test_a_long_flat_formula_is_read_and_checked(formula: str) -> None:
    read = gradtutor("parse", "--var", "x", formula)
    assert_clean(read)
    assert read.returncode == 0
    assert "x·x·x" in read.stdout or "x + x + x" in read.stdout
    checked = gradtutor("check", "--function", "x^2", "--answer", formula, "--format", "json")
    assert_clean(checked)
    assert checked.returncode == 1 and '"verdict": "incorrect"' in checked.stdout


@pytest.mark.parametrize("operator", ["@", "⊙", "+", "*"])
def test_a_long_chain_of_matrices_is_refused_with_the_limit(operator: str) -> None:
    chain = operator.join(["A"] * 400)
    read = gradtutor("parse", "--shape", "A=n,n", chain)
    assert_clean(read)
    assert read.returncode == 1
    assert "may chain at most 100 operations" in read.stderr + read.stdout
    as_answer = gradtutor(
        "check", "--function", "sum(A)", "--shape", "A=n,n", "--wrt", "A", "--answer", chain,
        "--format", "json",
    )  # fmt: skip
    assert_clean(as_answer)
    assert as_answer.returncode == 1 and '"verdict": "invalid"' in as_answer.stdout
    as_function = gradtutor(
        "check", "--function", f"sum({chain})", "--shape", "A=n,n", "--wrt", "A", "--answer", "A"
    )
    assert_clean(as_function)
    assert as_function.returncode == 2


@pytest.mark.parametrize("formula", [LONG_SUM, LONG_RUN])
def test_a_long_flat_function_checks_an_answer_and_looks_for_the_mistake(formula: str) -> None:
    # A wrong answer makes the checker rebuild the function with each mistake learners make.
    done = gradtutor(
        "check", "--function", formula, "--var", "x", "--answer", "x", "--format", "json"
    )
    assert_clean(done)
    assert done.returncode == 1 and '"verdict": "incorrect"' in done.stdout


def test_a_long_sum_is_explained() -> None:
    done = gradtutor("explain", "--wrt", "x", LONG_SUM)
    assert_clean(done)
    assert done.returncode == 0 and "499" in done.stdout


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (LONG_PRODUCT, "product rule on these 499 factors"),
        (LONG_RUN, "product rule on these 1000 factors"),
        ("/".join(["x"] * 499), "nest more than 100 levels deep"),
    ],
)
def test_an_explanation_too_large_to_write_is_refused(formula: str, message: str) -> None:
    done = gradtutor("explain", "--var", "x", "--wrt", "x", formula)
    assert_clean(done)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr


def test_deeply_nested_indicators_are_checked() -> None:
    # Converted to SymPy with a Piecewise in every condition, 14 levels took minutes.
    nested = "x"
    for level in range(14):
        nested = f"1({nested} + y > 1(y > x) + {level})"
    done = gradtutor("check", "--function", f"x*{nested}", "--wrt", "x", "--answer", nested)
    assert_clean(done)
    assert done.returncode == 0


# --- files ----------------------------------------------------------------------------------------

DEEP = "answers:\n  sum-two-vars: " + "[" * 5000 + "]" * 5000 + "\n"
DUPLICATE_ANSWERS = "answers:\n  relu-of-x: {x: '[x > 0]'}\nanswers:\n  sum-two-vars: {x: '1'}\n"
DUPLICATE_VARIABLE = "answers:\n  sum-two-vars:\n    x: '1'\n    x: '2'\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deep.yaml", DEEP, "deep.yaml:2:47: the YAML nests more than 32 levels deep"),
        (
            "twice.yaml",
            DUPLICATE_ANSWERS,
            "twice.yaml:3:1: `answers:` is written twice, on lines 1 and 3",
        ),
        ("var.yaml", DUPLICATE_VARIABLE, "var.yaml:4:5: `x:` is written twice, on lines 3 and 4"),
        ("folder.yaml", None, "folder.yaml: this is a folder, not a file"),
        ("pipe.yaml", "fifo", "pipe.yaml: this is a named pipe (FIFO), not a regular file"),
    ],
)
def test_an_answers_file_that_cannot_be_graded_exits_2_with_the_reason(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    elif content == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes here")
        os.mkfifo(path)  # no writer ever opens it: reading it would wait forever
    else:
        path.write_text(content, "utf-8")
    done = gradtutor("check", "--exercises", EXERCISES, name, cwd=tmp_path)
    assert_clean(done)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {message}\n  hint: ")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
@pytest.mark.parametrize("command", [["check", "--exercises", EXERCISES], ["validate"]])
def test_dev_zero_is_refused_not_read(command: list[str]) -> None:
    # /dev/zero never ends, and reports a size of 0: a cap on the reported size lets it through.
    done = gradtutor(*command, "/dev/zero")
    assert_clean(done)
    assert done.returncode == 2
    assert (
        "/dev/zero" in done.stderr
        and "this is a character device, not a regular file" in done.stderr
    )


def test_a_deep_exercise_file_is_a_problem_for_validate(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text("title: T\nexercises: " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    done = gradtutor("validate", str(path))
    assert_clean(done)
    assert done.returncode == 1
    assert f"{path}:2:" in done.stdout + done.stderr
    assert "nests more than 32 levels deep" in done.stdout + done.stderr


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file names must be UTF-8")
@pytest.mark.parametrize("output", ["json", "markdown", "github", "classroom"])
def test_an_answers_file_whose_name_is_not_utf8_is_reported_in_every_format(
    tmp_path: Path, output: str
) -> None:
    # The name reaches the report as a lone surrogate (surrogateescape), which no UTF-8 writer
    # can encode: JSON, Markdown and Classroom ended in a UnicodeEncodeError traceback.
    name = os.fsdecode(b"bad\xff name.yaml")
    (tmp_path / name).write_text("answers:\n  sum-two-vars: {x: '1'}\n", "utf-8")
    reports = ["--junit", "r.xml", "--gradescope", "g.json", "--grades-csv", "g.csv"]
    done = gradtutor(
        "check", "--exercises", EXERCISES, name, "--format", output, *reports, cwd=tmp_path
    )
    assert_clean(done)
    assert done.returncode == 1  # answers missing: not passed, but graded and reported
    printed = base64.b64decode(done.stdout).decode() if output == "classroom" else done.stdout
    assert "bad\ufffd name.yaml" in printed
    for report in ("r.xml", "g.json", "g.csv"):
        assert "bad\ufffd name.yaml" in (tmp_path / report).read_text("utf-8")
