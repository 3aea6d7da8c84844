"""A Markdown summary: for `GITHUB_STEP_SUMMARY`, a pull-request comment, or any CI's artifacts.

Per submission: whether it reached the pass mark, a table of every answer given with its verdict
and points, the unanswered partials in one collapsed section (a fresh template has a hundred),
then the feedback on each answer that is not right. Everything a learner typed is escaped, so an
answer can neither break the table nor inject links or HTML.
"""

from __future__ import annotations

import html
import re

from gradtutor.reports.common import (
    Json,
    count,
    encodable,
    failure_text,
    failures_of,
    feedback_lines,
    missing_of,
    partial,
    pass_sentence,
    passed_of,
    points_label,
    result_title,
    results_of,
    score_label,
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
    report = encodable(report)
    parts = ["# gradtutor results"]
    for submission in submissions_of(report):
        parts.append(_submission(submission))
    for failure in failures_of(report):
        label = escape(failure.get("file") or "a file")
        parts.append(f"## {label}: not graded\n\n{escape(failure_text(failure))}")
    return "\n\n".join(parts) + "\n"


def _submission(submission: Json) -> str:
    label = escape(submission_label(submission))
    counts = verdict_counts(submission)
    tally = ", ".join(f"{number} {verdict}" for verdict, number in counts.items() if number)
    parts = [f"## {label}: {escape(score_label(submission))}"]
    passed = passed_of(submission)
    if passed is not None:
        outcome = "✅ **Passed**" if passed else "❌ **Not passed**"
        parts.append(f"{outcome}: {escape(pass_sentence(submission))}.")
    parts.append(escape(tally or "no answers"))
    answered = [result for result in results_of(submission) if result.get("verdict") != "missing"]
    if answered:
        parts.append(_table(answered))
    missing = missing_of(submission)
    if missing:
        parts.append(_missing_section(missing))
    for result in answered:
        if result.get("verdict") != "correct" or result.get("reference"):
            parts.append(_details(result))
    return "\n\n".join(parts)


def _table(results: list[Json]) -> str:
    rows = ["| Exercise | Variable | Verdict | Points |", "| --- | --- | --- | ---: |"]
    for result in results:
        verdict = str(result.get("verdict"))
        icon = _VERDICT_ICONS.get(verdict, "")
        rows.append(
            f"| {escape(result.get('exercise', '?'))} | {escape(partial(result))} "
            f"| {icon} {escape(verdict)} | {points_label(result)} |"
        )
    return "\n".join(rows)


def _missing_section(missing: list[Json]) -> str:
    """The unanswered partials, collapsed under one line: `➖ 119 answers missing, in 71 ...`."""
    exercises = len({str(result.get("exercise")) for result in missing})
    summary = f"{count(len(missing), 'answer')} missing, in {count(exercises, 'exercise')}"
    items = []
    for result in missing:
        item = f"- {escape(result_title(result))}"
        if isinstance(result.get("line"), int):
            item += f" (line {result['line']})"
        if result.get("reference"):  # --reveal
            item += f": {code_span(str(result['reference']))}"
        items.append(item)
    return (
        f"<details><summary>{_VERDICT_ICONS['missing']} {html.escape(summary)}</summary>\n\n"
        + "\n".join(items)
        + "\n\n</details>"
    )


def _details(result: Json) -> str:
    heading = f"### {escape(result_title(result))}: {escape(result.get('verdict'))}"
    items = [f"- {escape(line)}" for line in feedback_lines(result, reveal=False)]
    parts = [heading, "\n".join(items)] if items else [heading]
    if result.get("reference"):
        parts.append(f"Reference derivative: {code_span(str(result['reference']))}")
    if result.get("steps"):
        parts.append(code_block(str(result["steps"])))
    return "\n\n".join(parts)
