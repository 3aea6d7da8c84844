"""A Markdown summary: for `GITHUB_STEP_SUMMARY`, a pull-request comment, or any CI's artifacts.

Per submission, a table of every (exercise, variable) with its verdict and points, then the
feedback on each answer that is not right. Everything a learner typed is escaped, so an answer
can neither break the table nor inject links or HTML.
"""

from __future__ import annotations

import re

from gradtutor.reports.common import (
    Json,
    failure_text,
    failures_of,
    feedback_lines,
    format_points,
    partial,
    points_label,
    result_title,
    results_of,
    submission_label,
    submissions_of,
    verdict_counts,
)

_VERDICT_ICONS = {"correct": "✅", "incorrect": "❌", "invalid": "⚠️", "missing": "➖"}
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")


def escape(text: object) -> str:
    """Plain text as Markdown that shows exactly that text, on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def code_span(text: str) -> str:
    """Inline code that shows `text` as is, inside a table cell too (`|` is escaped there)."""
    flat = " ".join(text.split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def code_block(text: str) -> str:
    """A fenced block that no run of backticks inside `text` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def render(report: Json) -> str:
    parts = ["# gradtutor results"]
    for submission in submissions_of(report):
        parts.append(_submission(submission))
    for failure in failures_of(report):
        label = escape(failure.get("file") or "a file")
        parts.append(f"## {label}: not graded\n\n{escape(failure_text(failure))}")
    return "\n\n".join(parts) + "\n"


def _submission(submission: Json) -> str:
    label = escape(submission_label(submission))
    score = format_points(submission.get("score"))
    maximum = format_points(submission.get("max_score"))
    counts = verdict_counts(submission)
    tally = ", ".join(f"{count} {verdict}" for verdict, count in counts.items() if count)
    heading = f"## {label}: {score}/{maximum} points"
    parts = [heading, escape(tally or "no answers"), _table(submission)]
    for result in results_of(submission):
        if result.get("verdict") != "correct" or result.get("reference"):
            parts.append(_details(result))
    return "\n\n".join(parts)


def _table(submission: Json) -> str:
    rows = ["| Exercise | Variable | Verdict | Points |", "| --- | --- | --- | ---: |"]
    for result in results_of(submission):
        verdict = str(result.get("verdict"))
        icon = _VERDICT_ICONS.get(verdict, "")
        rows.append(
            f"| {escape(result.get('exercise', '?'))} | {escape(partial(result))} "
            f"| {icon} {escape(verdict)} | {points_label(result)} |"
        )
    return "\n".join(rows)


def _details(result: Json) -> str:
    heading = f"### {escape(result_title(result))}: {escape(result.get('verdict'))}"
    items = [f"- {escape(line)}" for line in feedback_lines(result, reveal=False)]
    parts = [heading, "\n".join(items)] if items else [heading]
    if result.get("reference"):
        parts.append(f"Reference derivative: {code_span(str(result['reference']))}")
    if result.get("steps"):
        parts.append(code_block(str(result["steps"])))
    return "\n\n".join(parts)
