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
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['gradtutor', *{args!r}]\n"
        "try:\n    runpy.run_module('gradtutor', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stderr.split())


def test_help_does_not_import_sympy_or_numpy() -> None:
    from gradtutor.cli import app as loaded

    commands = [c.name or "" for c in loaded.registered_commands]
    for args in [["--help"], *[[name, "--help"] for name in commands]]:
        loaded_modules = _modules_loaded_by(args)
        assert "sympy" not in loaded_modules, args
        assert "numpy" not in loaded_modules, args


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gradtutor", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"gradtutor {__version__}"
