"""Vectors and matrices through the CLI: inline `--shape`, answers files, JSON, show, list,
template and a practice session through a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from gradtutor.cli import app
from tests import conftest

LAYERS = conftest.FIXTURES / "exercises" / "layers"
LAYER_SHAPES = ["--shape", "X=n,d", "--shape", "W=d,k", "--shape", "b=k", "--shape", "G=n,k"]
DENSE = "sum(G ⊙ (X @ W + b))"


def words(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def inline(runner: CliRunner, answer: str, *extra: str):  # type: ignore[no-untyped-def]
    args = ["check", "--function", DENSE, *LAYER_SHAPES, "--wrt", "W", "--answer", answer]
    return runner.invoke(app, [*args, *extra])


def test_inline_check_of_a_matrix_answer(runner: CliRunner) -> None:
    result = inline(runner, "Xᵀ G")
    assert result.exit_code == 0, result.output
    assert "read as Xᵀ @ G" in words(result.output)
    assert "SymPy shows every entry equals the derivative" in words(result.output)


def test_inline_check_refuses_shapes_that_do_not_conform(runner: CliRunner) -> None:
    result = inline(runner, "X G")
    assert result.exit_code == 1
    assert "X @ G: X is n×d, G is n×k; the inner sizes d and n differ" in words(result.output)


def test_inline_json_report_gives_the_shape_entry_and_sizes(runner: CliRunner) -> None:
    result = inline(runner, "-Xᵀ G", "--format", "json")
    assert result.exit_code == 1
    (answer,) = json.loads(result.output)["submissions"][0]["results"]
    assert answer["shape"] == "d×k" and answer["verdict"] == "incorrect"
    counterexample = answer["counterexample"]
    assert len(counterexample["entry"]) == 2
    assert set(counterexample["sizes"]) == {"n", "d", "k"}
    assert answer["diagnosis"]["kind"] == "sign"


def test_a_bad_shape_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["check", "--function", "sum(X)", "--shape", "X", "--answer", "ones(n)"]
    )
    assert result.exit_code == 2
    assert "--shape 'X' is not a shape" in words(result.output)


def test_an_answers_file_of_layer_gradients(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "student: ada\nanswers:\n"
        "  dense-weights: {W: Xᵀ G, b: 'sum(G, axis=0)', X: G Wᵀ}\n"
        "  relu-layer: {W: Xᵀ G}\n"
        "  neuron-named: {w: p(1 - p) x}\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["check", str(answers), "--exercises", str(LAYERS), "--format", "json"]
    )
    results = json.loads(result.output)["submissions"][0]["results"]
    verdicts = {(r["exercise"], r["wrt"]): r["verdict"] for r in results}
    assert verdicts == {
        ("dense-weights", "W"): "correct",
        ("dense-weights", "b"): "correct",
        ("dense-weights", "X"): "correct",
        ("relu-layer", "W"): "incorrect",
        ("neuron-named", "w"): "correct",
    }
    shapes = {(r["exercise"], r["wrt"]): r.get("shape") for r in results}
    assert shapes[("dense-weights", "b")] == "k" and shapes[("neuron-named", "w")] is None
    relu = next(r for r in results if r["exercise"] == "relu-layer")
    assert relu["diagnosis"]["kind"] == "missing-activation-slope"
    assert "1(Z > 0)" in relu["diagnosis"]["message"]
    assert result.exit_code == 1


def test_reveal_gives_a_matrix_reference_and_its_steps(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("student: ada\nanswers:\n  dense-weights: {W: Gᵀ X}\n", encoding="utf-8")
    args = ["check", str(answers), "--exercises", str(LAYERS), "--reveal"]
    result = runner.invoke(app, [*args, "--format", "json"])
    (weights,) = (
        r
        for r in json.loads(result.output)["submissions"][0]["results"]
        if (r["exercise"], r["wrt"]) == ("dense-weights", "W")
    )
    assert weights["verdict"] == "incorrect"
    assert weights["reference"] == "Xᵀ @ G"
    assert "the only product of the two that is d×k is Xᵀ @ G" in words(weights["steps"])
    text = runner.invoke(app, args)
    assert "dense-weights ∂/∂W: Xᵀ @ G" in text.output


def test_show_list_and_template_give_each_shape(runner: CliRunner) -> None:
    shown = runner.invoke(app, ["show", "dense-weights", "--exercises", str(LAYERS)])
    assert "shapes X: n×d, W: d×k, b: k, G: n×k" in words(shown.output)
    assert "where Z = X @ W + b" in words(shown.output)
    assert "∂f/∂W (d×k), ∂f/∂b (k), ∂f/∂X (n×d)" in words(shown.output)
    listed = runner.invoke(app, ["list", "--exercises", str(LAYERS), "--format", "json"])
    (dense,) = [e for e in json.loads(listed.output) if e["id"] == "dense-weights"]
    assert dense["shapes"] == {"W": "d×k", "b": "k", "X": "n×d"}
    template = runner.invoke(app, ["template", "--exercises", str(LAYERS)]).output
    assert 'W: ""  # ∂f/∂W (d×k)' in template
    assert "# where: Z = X @ W + b" in template


def test_practice_asks_with_the_shape_and_grades_a_matrix_answer(tmp_path: Path) -> None:
    env = {**os.environ, "GRADTUTOR_HOME": str(tmp_path), "COLUMNS": "80"}
    command = [
        sys.executable, "-m", "gradtutor", "practice", "--exercises", str(LAYERS),
        "--exercise", "dense-weights",
    ]  # fmt: skip
    done = subprocess.run(
        command, input="Gᵀ X\nXᵀ G\n", capture_output=True, text=True, env=env, timeout=120
    )
    assert "∂f/∂W (d×k) =" in done.stdout
    assert "but your answer is k×d" in words(done.stdout)
    assert "read as Xᵀ @ G" in words(done.stdout)
    assert "∂f/∂b (k) =" in done.stdout


def test_parse_echoes_a_tensor_reading_with_its_shape(runner: CliRunner) -> None:
    shapes = ["--shape", "X=n,d", "--shape", "G=n,k"]
    result = runner.invoke(app, ["parse", "X'G", *shapes, "--format", "json"])
    assert result.exit_code == 0
    reading = json.loads(result.output)
    assert reading["read_as"] == "Xᵀ @ G" and reading["shape"] == "d×k"
    refused = runner.invoke(app, ["parse", "X G", *shapes])
    assert refused.exit_code == 1
    assert "X @ G: X is n×d, G is n×k" in words(refused.output)
    malformed = runner.invoke(app, ["parse", "X G", "--shape", "X=n,1000"])
    assert malformed.exit_code == 2
    assert "a size written as a number goes from 1 to 16" in words(malformed.output)
