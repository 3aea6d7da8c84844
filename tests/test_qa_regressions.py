"""Regressions for what QA found using gradtutor as its users would, each through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradtutor.cli import app

SQUARE = """\
title: Squares
exercises:
  - id: square
    title: A square
    prompt: Differentiate.
    function: x^2
"""


@pytest.fixture
def square(tmp_path: Path) -> Path:
    path = tmp_path / "squares.yaml"
    path.write_text(SQUARE, encoding="utf-8")
    return path


def test_practice_reads_bytes_that_are_not_utf8_as_an_unreadable_answer(
    runner: CliRunner, square: Path
) -> None:
    result = runner.invoke(app, ["practice", "--exercises", str(square)], input=b"\xff\xfe1\n2x\n")
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "could not read that: unexpected character '\ufffd'" in result.output
    assert "correct" in result.output
    assert "1 solved" in result.output
