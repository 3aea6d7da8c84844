"""Whole classes in worker processes: the same report as one process, in order, past failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import gradtutor.checking.submissions
from gradtutor.checking.grading import grade_files_parallel
from gradtutor.checking.submissions import grade_files
from gradtutor.curriculum.loader import load_collection

COURSE = """\
set: warmup
title: Warm-up
exercises:
  - id: cube
    title: A cube
    prompt: Differentiate.
    function: x^3 y
"""

ANSWERS = ["3x^2 y", "3 x^2 y", "x^3", "3x y", "", "y 3 x^2", "3x^2"]


def without_times(report: Any) -> dict[str, Any]:
    data: dict[str, Any] = report.to_json()
    return data


@pytest.fixture
def class_files(tmp_path: Path) -> tuple[Any, list[Path]]:
    course = tmp_path / "warmup.yaml"
    course.write_text(COURSE, encoding="utf-8")
    paths = []
    for number, answer in enumerate(ANSWERS):
        path = tmp_path / f"student{number}.yaml"
        answers = {"student": f"s{number}", "answers": {"cube": {"x": answer, "y": "x^3"}}}
        path.write_text(yaml.safe_dump(answers), encoding="utf-8")
        paths.append(path)
    paths.insert(3, tmp_path / "missing.yaml")  # a file that is not there
    return load_collection(course), paths


def test_parallel_equals_sequential(class_files: tuple[Any, list[Path]]) -> None:
    collection, paths = class_files
    parallel = grade_files_parallel(collection, paths, seed=3, jobs=3)
    sequential = grade_files(collection, paths, seed=3)
    assert without_times(parallel) == without_times(sequential)
    assert [s.student for s in parallel.submissions] == [f"s{n}" for n in range(len(ANSWERS))]
    assert [f.file for f in parallel.failures] == [str(paths[3])]
    assert parallel.exit_code() == 2


def test_a_worker_that_breaks_costs_only_its_file(
    class_files: tuple[Any, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    collection, paths = class_files
    original = gradtutor.checking.submissions.grade_submission

    def fragile(collection: Any, answers: Any, **options: Any) -> Any:
        if answers.student == "s2":
            raise MemoryError("out of memory")
        return original(collection, answers, **options)

    # Worker processes are forked from this one, so they see the patched function.
    monkeypatch.setattr(gradtutor.checking.submissions, "grade_submission", fragile)
    report = grade_files_parallel(collection, paths, jobs=2)
    assert [s.student for s in report.submissions] == ["s0", "s1", "s3", "s4", "s5", "s6"]
    broken = {failure.file: failure.message for failure in report.failures}
    assert "MemoryError: out of memory" in broken[str(paths[2])]
    assert str(paths[3]) in broken
