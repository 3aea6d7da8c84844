"""The CLI skeleton: help, version, `gradtutor parse`, and imports kept lazy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from gradtutor import __version__
from gradtutor.cli import app


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"gradtutor {__version__}"


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "parse" in result.output


def test_every_command_has_help(runner: CliRunner) -> None:
    import typer.main

    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        assert command.help, f"command {name} has no help text"
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name


def test_parse_shows_the_reading(runner: CliRunner) -> None:
    result = runner.invoke(app, ["parse", "15(2x^2)^4 * 4x"])
    assert result.exit_code == 0
    assert result.output == "read as  15·(2·x²)⁴·4·x\nascii    15*(2*x^2)^4*4*x\nvariables x\n"


def test_parse_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["parse", "x0w0 + b", "--var", "x0", "--var", "w0", "--var", "b",
                                 "--format", "json"])  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "input": "x0w0 + b",
        "read_as": "x0·w0 + b",
        "ascii": "x0*w0 + b",
        "variables": ["x0", "w0", "b"],
    }


def test_parse_refusal_points_at_the_column(runner: CliRunner) -> None:
    result = runner.invoke(app, ["parse", "2q", "--var", "x", "--var", "y"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: unknown variable 'q'\n  2q\n   ^\n  hint: the variables here are x and y\n"
    )


def test_parse_refusal_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["parse", "sinx", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "input": "sinx",
        "error": {
            "message": "unknown name 'sinx'",
            "column": 1,
            "hint": "did you mean sin(x)? A function's argument goes in parentheses",
        },
    }


def test_usage_errors_exit_2(runner: CliRunner) -> None:
    assert runner.invoke(app, ["parse"]).exit_code == 2
    assert runner.invoke(app, ["parse", "x", "--format", "yaml"]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


def _modules_loaded_by(args: list[str]) -> set[str]:
    # `app`, not `main`: main ends the process before anything could be printed after it.
    probe = (
        "import sys\n"
        f"sys.argv = ['gradtutor', *{args!r}]\n"
        "from gradtutor.cli import app\n"
        "try:\n    app()\n"
        "except SystemExit:\n    pass\n"
        "print('loaded:', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    listed = done.stderr.rpartition("loaded:")[2].split()
    assert "gradtutor.cli" in listed, done.stderr
    return set(listed)


def test_help_does_not_import_sympy_or_numpy() -> None:
    from gradtutor.cli import app as loaded

    commands = [c.name or "" for c in loaded.registered_commands]
    for args in [["--help"], *[[name, "--help"] for name in commands]]:
        loaded_modules = _modules_loaded_by(args)
        assert "sympy" not in loaded_modules, args
        assert "numpy" not in loaded_modules, args


def test_a_one_answer_check_loads_no_yaml_models_or_report_writers() -> None:
    # Start-up time (issue 8): an inline check needs NumPy, but not these; a polynomial, proved
    # by its terms, needs no SymPy either (issue 16).
    loaded = _modules_loaded_by(["check", "--function", "x^2 y", "--wrt", "x", "--answer", "2xy"])
    assert {"numpy", "gradtutor.checking.check"} <= loaded
    assert not loaded & {
        "sympy",
        "yaml",
        "gradtutor.curriculum.loader",
        "gradtutor.curriculum.model",
        "gradtutor.reports.junit",
    }


_POLYNOMIALS = """\
title: Polynomials
exercises:
  - id: cubic
    title: A cubic
    prompt: Differentiate.
    function: 3x^3 y - 2x y^2 + 7
    ask: [x, y]
  - id: large
    title: Ten-digit coefficients
    prompt: Differentiate.
    function: 4874773259 u^3 v w^2 - 612185345 u v^4
    variables: [u, v, w]
    ask: [u]
"""
_POLYNOMIAL_ANSWERS = """\
answers:
  cubic:
    x: 9x^2 y - 2y^2
    y: -3x^3 + 4x y
  large:
    u: 4874773259 u^3 v w^2 - 612185345 u v^4
"""


def _check_in_a_process(
    tmp_path: Path, exercises: str, answers: str
) -> tuple[dict[str, Any], set[str]]:
    """`gradtutor check` run by `main` in a fresh process: its JSON report, and the modules it
    had loaded when its exit hooks ran (`main` ends the process right after them)."""
    (tmp_path / "exercises.yaml").write_text(exercises, encoding="utf-8")
    (tmp_path / "answers.yaml").write_text(answers, encoding="utf-8")
    args = ["check", "answers.yaml", "--exercises", "exercises.yaml", "--format", "json"]
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('loaded:', *sorted(sys.modules), file=sys.stderr, "
        "flush=True))\n"
        f"sys.argv = ['gradtutor', *{args!r}]\n"
        "from gradtutor.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout), set(done.stderr.rpartition("loaded:")[2].split())


def test_a_check_of_polynomials_never_imports_sympy(tmp_path: Path) -> None:
    # Issue 16: every exercise and answer is a sum of monomials, proved by its terms, so the
    # SymPy import (about 0.2 s) is not paid, wrong answers and their diagnoses included.
    report, loaded = _check_in_a_process(tmp_path, _POLYNOMIALS, _POLYNOMIAL_ANSWERS)
    results = report["submissions"][0]["results"]
    assert [(r["verdict"], r["symbolic"]) for r in results] == [
        ("correct", "equal"),
        ("incorrect", "different"),
        ("incorrect", "different"),
    ]
    assert [r["diagnosis"] and r["diagnosis"]["kind"] for r in results] == [
        None,
        "sign",
        "function-itself",
    ]
    assert "gradtutor.checking.decision" in loaded
    assert not {name for name in loaded if name.partition(".")[0] == "sympy"}
    # A JSON report needs neither Rich nor the other report writers.
    assert not loaded & {"rich", "gradtutor.render", "gradtutor.reports.junit"}


def test_a_function_that_is_not_a_polynomial_still_gets_sympys_proof(tmp_path: Path) -> None:
    exercises = _POLYNOMIALS.replace("3x^3 y - 2x y^2 + 7", "sin(x) y^2")
    answers = "answers:\n  cubic:\n    x: y^2 cos(x)\n    y: 2 y sin(x)\n"
    report, loaded = _check_in_a_process(tmp_path, exercises, answers)
    results = report["submissions"][0]["results"]
    assert [(r["exercise"], r["verdict"], r["symbolic"]) for r in results] == [
        ("cubic", "correct", "equal"),
        ("cubic", "correct", "equal"),
        ("large", "missing", None),
    ]
    assert "sympy" in loaded


def _gradtutor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradtutor", *args], capture_output=True, text=True, check=False
    )


def test_the_process_exits_with_the_commands_code_and_all_its_output() -> None:
    # `main` skips the interpreter's teardown; codes and buffered output must survive that.
    right = _gradtutor("check", "--function", "x^2", "--answer", "2x", "--format", "json")
    assert right.returncode == 0
    assert json.loads(right.stdout)["submissions"][0]["score"] == 1.0
    assert _gradtutor("check", "--function", "x^2", "--answer", "3x").returncode == 1
    refused = _gradtutor("check", "--function", "x^", "--answer", "2x")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ")
    listing = _gradtutor("list", "--format", "json")
    assert listing.returncode == 0
    assert len(json.loads(listing.stdout)) >= 70


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gradtutor", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `gradtutor list | head -0` would
    errors = process.stderr.read()
    process.stderr.close()
    assert process.wait() == 1
    assert b"Traceback" not in errors


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gradtutor", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"gradtutor {__version__}"


def test_a_formula_that_starts_with_a_minus_needs_no_double_dash(runner: CliRunner) -> None:
    result = runner.invoke(app, ["parse", "-x^2"])
    assert result.exit_code == 0
    assert result.output.startswith("read as  −x²\n")
    assert runner.invoke(app, ["parse", "--", "-x^2"]).output == result.output  # -- still works
    for command in ("parse", "explain"):
        shown = " ".join(runner.invoke(app, [command, "--help"]).output.split())
        assert "may start with a minus sign wherever it stands" in shown, command
