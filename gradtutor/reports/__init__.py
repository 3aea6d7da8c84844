"""Reports that CI systems read, each a pure function of the JSON report of DESIGN.md.

`junit`, `github`, `markdown`, `gradescope`, `classroom` and `grades_csv` each turn the report
dict (`schema: gradtutor-report/1`) into text or bytes. `write_reports` is the one place that
touches files: it writes any number of them in one run, beside the console output, and appends
the Markdown summary to `$GITHUB_STEP_SUMMARY` when asked to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gradtutor.errors import GradtutorError
from gradtutor.reports import github, grades_csv, gradescope, junit, markdown
from gradtutor.reports.common import Json


class ReportWriteError(GradtutorError):
    """A report file that could not be written."""


@dataclass(frozen=True)
class ReportFiles:
    """Where to write each report; None leaves it out."""

    json: Path | None = None
    junit: Path | None = None
    markdown: Path | None = None
    gradescope: Path | None = None
    grades_csv: Path | None = None
    step_summary: Path | None = None  # appended to, as GitHub's GITHUB_STEP_SUMMARY expects

    def any(self) -> bool:
        return any(path is not None for path in vars(self).values())


def render_json(report: Json) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def write_reports(report: Json, files: ReportFiles) -> list[Path]:
    """Write every requested report; returns the paths written. Raises `ReportWriteError`."""
    renderers: list[tuple[Path | None, Callable[[Json], bytes | str]]] = [
        (files.json, render_json),
        (files.junit, junit.render),
        (files.markdown, markdown.render),
        (files.gradescope, gradescope.render),
        (files.grades_csv, grades_csv.render),
    ]
    written = []
    for path, render in renderers:
        if path is not None:
            data = render(report)
            _write(path, data.encode("utf-8") if isinstance(data, str) else data)
            written.append(path)
    if files.step_summary is not None:
        append_step_summary(files.step_summary, markdown.render(report))
        written.append(files.step_summary)
    return written


def append_step_summary(path: Path, text: str) -> None:
    """Append to GitHub's step summary, cut so that the file stays under the 1 MiB limit."""
    try:
        already = path.stat().st_size if path.exists() else 0
        fitted = github.fit_summary(text, already)
        if fitted:
            with path.open("a", encoding="utf-8") as summary:
                summary.write(fitted)
    except OSError as error:
        raise _write_error(path, error) from None


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        raise _write_error(path, error) from None


def _write_error(path: Path, error: OSError) -> ReportWriteError:
    reason = error.strerror or str(error)
    return ReportWriteError(
        f"cannot write the report {path}: {reason}",
        "choose a path in a folder you can write to",
    )
