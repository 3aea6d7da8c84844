"""Reports that CI systems read, each a pure function of the JSON report of DESIGN.md.

`junit`, `github`, `markdown`, `gradescope`, `classroom` and `grades_csv` each turn the report
dict (`schema: gradtutor-report/1`) into text or bytes. `report_data` makes that dict from a
`Report`, with what the writers use beyond the JSON report (each result's `set` and `seconds`,
and with `--reveal` the reference derivative and its steps). `write_reports` is the one place
that touches files: it writes any number of them in one run, beside the console output, and
appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when asked to. A report whose path is `-`
(`STANDARD_OUTPUT`) is not written here: `standard_output` names it and `render_report` gives its
bytes, for the command line to print in place of its own output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradtutor.checking.report import Report, Result
from gradtutor.errors import GradtutorError
from gradtutor.reports.common import Json, encodable


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

    def standard_output(self) -> list[str]:
        """The reports asked for on standard output (path `-`), by their `render_report` kind."""
        return [kind for kind in REPORT_KINDS if getattr(self, kind) == STANDARD_OUTPUT]


# The reports that can be written to a file, in the order they are written.
REPORT_KINDS = ("json", "junit", "markdown", "gradescope", "grades_csv")
# A report path that means standard output, as in many command-line tools.
STANDARD_OUTPUT = Path("-")


STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"


def github_step_summary(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The file GitHub Actions shows as the step's summary, when running there."""
    path = environ.get(STEP_SUMMARY_VARIABLE, "").strip()
    return Path(path) if path else None


def report_data(
    report: Report, *, reveal: bool = False, exercises: Path | None = None, inline: bool = False
) -> dict[str, Any]:
    """The JSON report with what the writers add: each result's `set` and `seconds`.

    With `reveal`, each result graded against a collection (`exercises`, as `check` loaded it)
    also gets its `reference` derivative and `steps` from the step engine, for the variant that
    was graded; an inline check keeps the checker's reference only.
    """
    data = report.to_json(reveal)
    revealer = _Revealer(exercises, report.seed) if reveal and not inline else None
    for submission, shown in zip(report.submissions, data["submissions"], strict=True):
        for result, entry in zip(submission.results, shown["results"], strict=True):
            entry["set"] = result.exercise_set
            if result.seconds is not None:
                entry["seconds"] = round(result.seconds, 6)
            if revealer is not None:
                entry.update(revealer.reveal(result))
    return data


class _Revealer:
    """The reference derivative and its steps, derived once per exercise, variant and variable."""

    def __init__(self, exercises: Path | None, seed: int) -> None:
        from gradtutor.curriculum.loader import load_collection

        self.collection = load_collection(exercises)
        self.seed = seed
        self.cache: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.checked: dict[tuple[str, str, str], str | None] = {}

    def reveal(self, result: Result) -> dict[str, Any]:
        variant = tuple(sorted((result.variant or {}).items()))
        key = (result.exercise, repr(variant), result.wrt)
        if key not in self.cache:
            self.cache[key] = self.derive(result)
        revealed = dict(self.cache[key])
        reference = result.reference
        if reference is None and result.verdict in ("correct", "incorrect"):
            # An answer that was checked shows the derivative it was checked against.
            if key not in self.checked:
                self.checked[key] = self.checked_reference(result)
            reference = self.checked[key]
        if reference:
            revealed["reference"] = reference
        return revealed

    def checked_reference(self, result: Result) -> str | None:
        from gradtutor.checking.check import checked_reference
        from gradtutor.curriculum.variants import with_values

        try:
            exercise = self.collection.get(result.exercise)
            if result.variant:
                exercise = with_values(exercise, result.variant)
            return checked_reference(exercise, result.wrt, self.seed)
        except GradtutorError:
            return None

    def derive(self, result: Result) -> dict[str, Any]:
        from gradtutor.calculus.layer_steps import derive_any
        from gradtutor.curriculum.variants import with_values
        from gradtutor.language.expr import to_pretty

        try:
            exercise = self.collection.get(result.exercise)
        except GradtutorError:
            return {}  # an answer to an exercise that does not exist: nothing to reveal
        if result.variant:
            exercise = with_values(exercise, result.variant)
        if result.wrt not in exercise.variables:
            return {}
        try:
            derivation = derive_any(exercise.tree, result.wrt, exercise.declarations, exercise.name)
        except (GradtutorError, ArithmeticError, ValueError, TypeError, RecursionError):
            return {}
        return {"reference": to_pretty(derivation.simplified), "steps": steps_text(derivation)}


def steps_text(derivation: Any) -> str:
    """A derivation as indented plain lines: each rule's explanation, then the result."""
    from gradtutor.language.expr import to_pretty

    lines: list[str] = []

    def visit(step: Any, depth: int) -> None:
        lines.append(f"{'  ' * depth}{step.number}. {step.explanation}")
        for sub in step.substeps:
            visit(sub, depth + 1)

    visit(derivation.root, 0)
    for step in derivation.simplification:
        lines.append(f"{step.number}. {step.explanation}")
    lines.append(f"∂{derivation.name}/∂{derivation.wrt} = {to_pretty(derivation.simplified)}")
    return "\n".join(lines)


# What `report_data` adds for the writers but the JSON report of DESIGN.md does not carry.
WRITER_FIELDS = ("set", "seconds")


def json_report(data: Json) -> dict[str, Any]:
    """The JSON report (`--format json`, `--json`) from `report_data`'s dict.

    That is `Report.to_json` exactly, plus, with `--reveal`, `reference` and `steps` for every
    result (the checker itself has no reference for an answer that was not given).
    """
    plain = dict(data)
    plain["submissions"] = [
        {
            **submission,
            "results": [
                {key: value for key, value in result.items() if key not in WRITER_FIELDS}
                for result in submission["results"]
            ],
        }
        for submission in data.get("submissions", [])
    ]
    return plain


def render_json(report: Json) -> str:
    return json.dumps(encodable(report), ensure_ascii=False, indent=2) + "\n"


def write_reports(report: Json, files: ReportFiles) -> list[Path]:
    """Write every requested report; returns the paths written. Raises `ReportWriteError`."""
    if not files.any():
        return []
    written = []
    for kind in REPORT_KINDS:
        path: Path | None = getattr(files, kind)
        if path is not None and path != STANDARD_OUTPUT:
            _write(path, render_report(kind, report))
            written.append(path)
    if files.step_summary is not None:
        from gradtutor.reports import markdown

        append_step_summary(files.step_summary, markdown.render(report))
        written.append(files.step_summary)
    return written


def render_report(kind: str, report: Json) -> bytes:
    """One report (a `REPORT_KINDS` name) as the bytes of its file."""
    data = _RENDERERS[kind](report)
    return data.encode("utf-8") if isinstance(data, str) else data


# Each writer loads only when its report is asked for: `--format json` has no use for the others.


def _junit(report: Json) -> str | bytes:
    from gradtutor.reports import junit

    return junit.render(report)


def _markdown(report: Json) -> str | bytes:
    from gradtutor.reports import markdown

    return markdown.render(report)


def _gradescope(report: Json) -> str | bytes:
    from gradtutor.reports import gradescope

    return gradescope.render(report)


def _grades_csv(report: Json) -> str | bytes:
    from gradtutor.reports import grades_csv

    return grades_csv.render(report)


_RENDERERS: dict[str, Callable[[Json], bytes | str]] = {
    "json": lambda data: render_json(json_report(data)),
    "junit": _junit,
    "markdown": _markdown,
    "gradescope": _gradescope,
    "grades_csv": _grades_csv,
}


def append_step_summary(path: Path, text: str) -> None:
    """Append to GitHub's step summary, cut so that the file stays under the 1 MiB limit."""
    from gradtutor.reports import github

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
