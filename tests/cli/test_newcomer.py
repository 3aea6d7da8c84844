"""What a newcomer trips over (issue 19), each through the command line as they met it.

Argument parsing is tested in real processes, since that is where a shell hands gradtutor a
formula that starts with a minus sign; the rest through CliRunner.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradtutor.cli import app
from tests.conftest import ROOT

GUARD_SECONDS = 120  # a guard against a hung child, never an assertion about speed


def _gradtutor(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradtutor", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=ROOT,
        timeout=GUARD_SECONDS,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", "NO_COLOR": "1", "PYTHONUTF8": "1"},
    )


def _flowing(text: str) -> str:
    return " ".join(text.split())


# --- a formula that starts with a minus sign ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "-x^2", "--wrt", "x", "--plain"],
        ["explain", "--wrt", "x", "-x^2", "--plain"],
        ["explain", "--wrt", "x", "--plain", "-x^2"],
        ["explain", "--wrt", "x", "--plain", "--", "-x^2"],
        ["explain", "--wrt=x", "-x^2", "--plain"],
    ],
)
def test_a_formula_starting_with_a_minus_works_wherever_it_stands(args: list[str]) -> None:
    result = _gradtutor(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "∂f/∂x = −2·x"


def test_parse_reads_a_leading_minus_and_options_keep_working() -> None:
    result = _gradtutor("parse", "-log(p)", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["read_as"] == "−log(p)"
    # An option's value is never taken for the formula, and a misspelt long option is named.
    assert _gradtutor("explain", "--wrt", "-x", "x").returncode == 2
    typo = _gradtutor("explain", "-x^2", "--plian")
    assert typo.returncode == 2 and "No such option: --plian" in typo.stderr
    # Two formulas are still one too many.
    assert _gradtutor("explain", "x", "-y").returncode == 2
    # -h is help, a newcomer's first try, not the formula -h (which goes after --).
    assert _gradtutor("explain", "-h").stdout.startswith("Usage: ")
    assert "∂f/∂h = −1" in _gradtutor("explain", "--", "-h").stdout


def test_a_broken_formula_starting_with_a_minus_gets_the_parsers_message() -> None:
    result = _gradtutor("parse", "-x^")
    assert result.returncode == 1
    assert "a power needs an exponent" in result.stderr


# --- a constant function -------------------------------------------------------------------------


def test_a_constant_function_derives_zero(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "5", "--wrt", "x", "--plain"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "∂f/∂x = 0"
    checked = runner.invoke(app, ["check", "--function", "5", "--wrt", "x", "--answer", "0"])
    assert checked.exit_code == 0, checked.output
    backprop = runner.invoke(app, ["explain", "2*pi", "--wrt", "x", "--at", "x=1", "--plain"])
    assert "∂f/∂x = 0" in backprop.output.split("gradient (")[-1]
    # Without a variable named anywhere, there is still nothing to differentiate.
    alone = runner.invoke(app, ["explain", "5"])
    assert alone.exit_code == 2 and "--wrt x" in alone.stderr


def test_an_exercise_id_typed_as_the_formula_is_refused_with_the_way_to_each(
    runner: CliRunner,
) -> None:
    """`explain net-first-weights` would differentiate net − first − weights."""
    result = runner.invoke(app, ["explain", "net-first-weights"])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "'net-first-weights' is the id of an exercise" in message
    assert "gradtutor explain --exercise net-first-weights" in message
    assert "gradtutor explain 'net - first - weights'" in message
    # A formula that is no exercise's id is a formula, hyphens and all.
    formula = runner.invoke(app, ["explain", "net-first", "--wrt", "net", "--plain"])
    assert formula.exit_code == 0, formula.output
    assert formula.output.splitlines()[-1] == "∂f/∂net = 1"


# --- relu and max of an inner expression ---------------------------------------------------------


@pytest.mark.parametrize("function", ["max(w*x + b, 0)", "relu(w*x + b)", "max(0, x*w + b)"])
def test_a_neurons_activation_is_explained_by_the_chain_rule(
    runner: CliRunner, function: str
) -> None:
    result = runner.invoke(app, ["explain", function, "--wrt", "w", "--plain"])
    assert result.exit_code == 0, result.output
    text = _flowing(result.output)
    assert "1 chain ∂/∂w" in text
    assert "let z = w·x + b" in text or "let z = x·w + b" in text
    assert "the outer slope 1(z > 0)" in text
    assert "times the inner derivative ∂z/∂w" in text


# --- the backward pass in decimals ----------------------------------------------------------------


def test_the_backward_pass_prints_decimals(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["explain", "relu(x*w1 + b1)/400", "--at", "x=2,w1=-0.1,b1=0.3", "--plain"]
    )
    assert result.exit_code == 0, result.output
    table = result.output.split("forward pass")[1]
    assert not re.search(r"\d/\d", table), table  # no 3/10 nor 1/400 anywhere
    assert "w1 = −0.1, b1 = 0.3" in result.output
    assert "∂f/∂b1 = 0.0025" in table


# --- the book, named ------------------------------------------------------------------------------


def test_the_relu_convention_names_the_book(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "relu(x)", "--at", "x=0", "--plain"])
    text = _flowing(result.output)
    assert "the book" not in text
    assert "Neural Networks from Scratch in Python (chapter 9)" in text
    shipped = [
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "exercises").glob("*.yaml"),
        *(ROOT / "gradtutor").rglob("*.py"),
    ]
    for path in shipped:  # "the book" is never left unnamed
        assert not re.search(r"the book\b|book's", path.read_text(encoding="utf-8")), path


# --- practice: the order after --exercise, and steps that ask first ------------------------------

SETS = """\
set: {name}
title: {name}
order: {order}
exercises:
  - id: {name}-1
    title: one
    prompt: p
    function: x^2
  - id: {name}-2
    title: two
    prompt: p
    function: x^3
  - id: {name}-3
    title: three
    prompt: p
    function: x^4
"""


@pytest.fixture
def two_sets(tmp_path: Path) -> Path:
    folder = tmp_path / "sets"
    folder.mkdir()
    for order, name in enumerate(["first", "second"], 1):
        (folder / f"{name}.yaml").write_text(SETS.format(name=name, order=order))
    return folder


def _headings(output: str) -> list[str]:
    return re.findall(r"== Exercise \d+ of \d+ · \S+ · (\S+) ==", output)


def test_practice_after_an_exercise_goes_on_to_the_next_in_its_set(
    runner: CliRunner, two_sets: Path
) -> None:
    answers = "3x^2\n\n4x^3\n\n2x\n\n"
    args = ["practice", "--exercises", str(two_sets), "--exercise", "second-2"]
    result = runner.invoke(app, args, input=answers)
    assert result.exit_code == 0, result.output
    # second-2, then the next in its set, then the unfinished ones before it, in order.
    assert _headings(result.output) == ["second-2", "second-3", "first-1", "first-2"]


def test_steps_ask_before_revealing(runner: CliRunner, two_sets: Path) -> None:
    args = ["practice", "--exercises", str(two_sets), "--exercise", "first-1"]
    declined = runner.invoke(app, args, input="steps\n\nquit\n")
    assert "they count this exercise as revealed, not solved" in _flowing(declined.output)
    assert "show the steps? [y/N]" in declined.output
    assert "∂f/∂x for f = x²" not in declined.output  # not shown
    listed = runner.invoke(app, ["list", "--exercises", str(two_sets), "--format", "json"])
    assert json.loads(listed.output)[0]["status"] == "new"  # and not recorded
    shown = runner.invoke(app, args, input="steps\ny\n2x\nquit\n")
    assert "∂f/∂x for f = x²" in shown.output
    listed = runner.invoke(app, ["list", "--exercises", str(two_sets), "--format", "json"])
    assert json.loads(listed.output)[0]["status"] == "revealed"


def test_steps_ask_before_revealing_in_a_piped_session(two_sets: Path, tmp_path: Path) -> None:
    result = _gradtutor(
        "practice", "--exercises", str(two_sets), "--progress", str(tmp_path / "p.sqlite3"),
        stdin="steps\nn\n2x\nquit\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "show the steps? [y/N] n\n" in result.stdout
    assert "Steps not shown" in result.stdout
    assert "Solved: one." in result.stdout


# --- an exercise names its function ---------------------------------------------------------------

LOSS = """\
set: losses
title: Losses
exercises:
  - id: squared-error
    title: A squared error
    prompt: The loss of one prediction w·x against y is L = (w·x − y)². Find ∂L/∂w.
    function: (w*x - y)^2
    variables: [w, x, y]
    ask: [w]
    name: L
"""


@pytest.fixture
def loss(tmp_path: Path) -> Path:
    path = tmp_path / "loss.yaml"
    path.write_text(LOSS, encoding="utf-8")
    return path


def test_an_exercise_names_its_function_everywhere(runner: CliRunner, loss: Path) -> None:
    practice = runner.invoke(
        app, ["practice", "--exercises", str(loss)], input="2x\nsteps\ny\n2(w x - y) x\n\n"
    )
    out = practice.output
    assert "L(w, x, y) = (w·x − y)²" in out
    assert "Find ∂L/∂w." in out
    assert "∂L/∂w = 2x" in out  # the prompt
    assert "∂L/∂w for L = (w·x − y)²" in out  # the derivation
    assert "∂f" not in out
    explained = runner.invoke(
        app, ["explain", "--exercises", str(loss), "--exercise", "squared-error", "--plain",
              "--at", "w=1,x=2,y=0.5"],
    )  # fmt: skip
    assert "∂L/∂w = 2·(w·x − y)·x" in explained.output
    assert "∂L/∂w = 6" in explained.output.split("gradient (")[-1]
    assert "∂f" not in explained.output
    shown = runner.invoke(app, ["show", "squared-error", "--exercises", str(loss)])
    assert "∂L/∂w" in shown.output
    template = runner.invoke(app, ["template", "--exercises", str(loss)])
    assert '  w: ""  # ∂L/∂w' in template.output
    answers = loss.parent / "answers.yaml"
    answers.write_text("answers:\n  squared-error:\n    w: 2(w x - y) x\n", encoding="utf-8")
    report = runner.invoke(app, ["check", str(answers), "--exercises", str(loss), "--reveal"])
    assert "∂L/∂w = " in report.output and "∂f" not in report.output


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x", "also a variable"),
        ("2L", "not a name"),
        ("[L]", "should be text"),
        ("r\n    where: {r: w*x - y}", "also a name in 'where'"),
    ],
)
def test_the_name_key_is_validated(runner: CliRunner, loss: Path, name: str, message: str) -> None:
    loss.write_text(LOSS.replace("name: L", f"name: {name}"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(loss)])
    assert result.exit_code == 1
    assert f"{loss}:10:11:" in result.output and message in result.output


# --- formats and standard output ------------------------------------------------------------------


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text('answers:\n  sum-x-plus-y: {x: "1", y: "1"}\n', encoding="utf-8")
    return path


def test_check_prints_markdown_like_explain(
    runner: CliRunner, answers: Path, tmp_path: Path
) -> None:
    by_format = runner.invoke(app, ["check", str(answers), "--format", "markdown"])
    assert by_format.exit_code == 1, by_format.output  # graded, short of every point
    assert by_format.stdout.startswith("# gradtutor results\n")
    to_dash = _gradtutor("check", str(answers), "--markdown", "-")  # a real process's stdout
    assert to_dash.stdout == by_format.stdout
    assert not (ROOT / "-").exists()
    junit = runner.invoke(
        app, ["check", str(answers), "--junit", "-", "--json", str(tmp_path / "r.json")]
    )
    assert junit.stdout.startswith("<?xml")
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == "gradtutor-report/1"


def test_two_documents_on_standard_output_are_refused(runner: CliRunner, answers: Path) -> None:
    result = runner.invoke(app, ["check", str(answers), "--format", "json", "--junit", "-"])
    assert result.exit_code == 2
    assert "only one report can go to standard output" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", "yaml"],
        ["check", "--seed", "abc"],
        ["check", "--jobs", "two"],
        ["check", "--timeout", "soon"],
        ["explain", "x", "--format", "pdf"],
        ["parse", "x", "--format", "xml"],
        ["list", "--format", "csv"],
        ["progress", "--format", "csv"],
    ],
)
def test_option_errors_are_in_plain_words(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    message = result.stderr.splitlines()[-1]
    assert message.startswith("Error: Invalid value for '-")
    for wording in ("Value error", "Input should be", "valid integer", "valid number"):
        assert wording not in message, message
    assert re.search(r"is not (one of|a whole number|a number)", message), message


def test_every_option_value_error_is_ours(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any option that is not text, on any command, refuses garbage in gradtutor's words."""
    monkeypatch.chdir(tmp_path)  # a path option given the garbage writes a file there
    import typer.main

    group = typer.main.get_group(app)
    commands = [(name, command) for name, command in group.commands.items()]
    commands += [(f"homework {name}", command) for name, command in
                 getattr(group.commands["homework"], "commands", {}).items()]  # fmt: skip
    checked = 0
    for name, command in commands:
        for param in command.params:
            opts = getattr(param, "opts", [])
            if param.param_type_name != "option" or getattr(param, "is_flag", False):
                continue
            result = runner.invoke(app, [*name.split(), opts[0], "\x01garbage"])
            if "Invalid value" in result.stderr:
                checked += 1
                assert "Value error" not in result.stderr and "Input should" not in result.stderr
    assert checked >= 8


# --- reading --------------------------------------------------------------------------------------


def test_a_function_without_parentheses_is_told_the_argument_read(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["check", "--function", "sin(x^2)", "--wrt", "x", "--answer", "cos x^2 * 2x"]
    )
    assert "write cos(x^2)" in _flowing(result.output)


def test_a_power_of_a_power_is_echoed_with_its_grouping(runner: CliRunner) -> None:
    result = runner.invoke(app, ["parse", "2^x^2"])
    assert result.output.splitlines()[:2] == ["read as  2^(x²)", "ascii    2^(x^2)"]


def test_derivative_notation_is_refused_with_what_to_type(runner: CliRunner) -> None:
    parsed = runner.invoke(app, ["parse", "d/dx x^2"])
    assert parsed.exit_code == 1
    assert "'d/dx' is derivative notation" in parsed.stderr
    assert "type only the derivative's formula" in parsed.stderr
    checked = runner.invoke(
        app, ["check", "--function", "x^2", "--wrt", "x", "--answer", "d/dx x^2"]
    )
    assert "derivative notation" in _flowing(checked.output)


# --- help ---------------------------------------------------------------------------------------


def test_help_shows_no_python_types(runner: CliRunner) -> None:
    commands = [["parse"], ["check"], ["explain"], ["template"], ["practice"], ["progress"],
                ["reset"], ["list"], ["show"], ["validate"], ["homework", "init"]]  # fmt: skip
    for command in commands:
        shown = runner.invoke(app, [*command, "--help"]).output
        assert not re.search(r"<(str|int|float|bool|Path|list\[[^>]*\])>", shown), shown
        assert "list[" not in shown
    assert "ANSWERS.yaml...  Answers files to grade." in runner.invoke(app, ["check", "-h"]).output
    assert "FORMULA  The formula to read" in runner.invoke(app, ["parse", "-h"]).output


# --- explanations -------------------------------------------------------------------------------


def test_a_constant_factor_is_one_clean_step(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "w*x", "--wrt", "w", "--plain"])
    text = _flowing(result.output)
    assert "x does not change when w does, so x is held constant: a constant factor" in text
    assert "∂/∂w x = 0" not in text  # no muddled sub-step
    assert "held-constant" not in text


def test_cancelling_is_not_called_multiplying(runner: CliRunner) -> None:
    cancelled = _flowing(runner.invoke(app, ["explain", "x/x", "--wrt", "x", "--plain"]).output)
    assert "Multiply the numbers" not in cancelled
    assert "(x − x)/x² = 0 The terms cancel: the result is 0." in cancelled
    ratio = _flowing(runner.invoke(app, ["explain", "x*y/x", "--wrt", "y", "--plain"]).output)
    assert "x/x = 1 Cancel common factors." in ratio


def test_the_max_tie_rule_reads_plainly(runner: CliRunner) -> None:
    text = _flowing(runner.invoke(app, ["explain", "max(x, y)", "--wrt", "x", "--plain"]).output)
    assert "Tie convention" not in text
    assert "Where u = v there is a corner and no derivative" in text
    both = _flowing(runner.invoke(app, ["explain", "max(x, x^2)", "--wrt", "x", "--plain"]).output)
    assert "gradtutor takes the slope of the first argument, 1(u ≥ v)·∂u" in both


# --- a counterexample at any magnitude -----------------------------------------------------------


def test_a_counterexample_near_1e36_is_not_shown_as_0(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["check", "--function", "1e36*x^2", "--wrt", "x", "--answer", "1e56*x^2 + 2e36 x"]
    )
    text = _flowing(result.output.replace("│", " "))
    assert re.search(r"the derivative is 1\.6\d*e\+36 but your answer gives 6\.7\d*e\+55", text)
