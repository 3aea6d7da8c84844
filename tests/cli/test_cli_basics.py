"""The CLI skeleton: help, version, `gradtutor parse`, and imports kept lazy."""

from __future__ import annotations

import json
import subprocess
import sys

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
    # Start-up time (issue 8): an inline check needs SymPy and NumPy, but not these.
    loaded = _modules_loaded_by(["check", "--function", "x^2 y", "--wrt", "x", "--answer", "2xy"])
    assert {"sympy", "numpy", "gradtutor.checking.check"} <= loaded
    assert not loaded & {
        "yaml",
        "gradtutor.curriculum.loader",
        "gradtutor.curriculum.model",
        "gradtutor.reports.junit",
    }


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
