"""Grading a whole class: answers files in parallel worker processes.

`grade_files_parallel` hands each file to a `ProcessPoolExecutor` worker that holds the collection
(sent once per worker), grades it with `gradtutor.check.grade_files`, and sends back that file's
submission or failure. Results come back in the order the files were given, whatever order the
workers finish in. A file that cannot be read is a `FileFailure` as in a sequential run; a file
whose grading breaks the worker itself (a crash, memory exhausted) is reported the same way, and
the other files are still graded. Each worker is a separate process, so the checker's alarm-based
time budget works there as in the main process.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from gradtutor.report import FileFailure, Report, Submission

# Set in each worker by `_start_worker`: what every file is graded against.
_worker: dict[str, Any] = {}


def grade_files_parallel(
    collection: Any,
    paths: Sequence[Path],
    *,
    seed: int = 0,
    timeout: float = 2.0,
    jobs: int = 1,
) -> Report:
    """Grade every answers file with up to `jobs` processes; the same report as a sequential run."""
    from gradtutor.check import grade_files

    if jobs <= 1 or len(paths) <= 1:
        return grade_files(collection, paths, seed=seed, timeout=timeout)
    workers = min(jobs, len(paths))
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_start_worker, initargs=(collection, seed, timeout)
    ) as pool:
        futures = [pool.submit(_grade_one_file, path) for path in paths]
        outcomes = [_outcome(future, path) for future, path in zip(futures, paths, strict=True)]
    submissions = [outcome for outcome in outcomes if isinstance(outcome, Submission)]
    failures = [outcome for outcome in outcomes if isinstance(outcome, FileFailure)]
    return Report(seed, submissions, failures)


def _start_worker(collection: Any, seed: int, timeout: float) -> None:
    _worker.update(collection=collection, seed=seed, timeout=timeout)


def _grade_one_file(path: Path) -> Submission | FileFailure:
    from gradtutor.check import grade_files

    report = grade_files(
        _worker["collection"], [path], seed=_worker["seed"], timeout=_worker["timeout"]
    )
    return report.submissions[0] if report.submissions else report.failures[0]


def _outcome(future: Future[Submission | FileFailure], path: Path) -> Submission | FileFailure:
    try:
        return future.result()
    except Exception as error:  # the worker died or grading raised: report it, go on
        return FileFailure(
            str(path),
            f"gradtutor could not grade this file ({type(error).__name__}: {error})",
            hint="grade it alone with gradtutor check to see more; please report this",
        )
