"""GitHub Actions workflow commands: annotations on the lines of the answers file.

`::error file=answers.yaml,line=4,title=...::message` puts the feedback beside the answer in the
pull request and on the run's page. The runner splits a command at `::` and its properties at `,`
and `=`, so values are escaped exactly as @actions/core does (toolkit `command.ts`): in data `%`,
`\\r` and `\\n` become `%25`, `%0D` and `%0A`; properties also escape `:` and `,` (`%3A`, `%2C`).

The Markdown summary for `GITHUB_STEP_SUMMARY` is `markdown.render`, cut to fit the runner's limit
of 1 MiB per step by `fit_summary`.
"""

from __future__ import annotations

from gradtutor.reports.common import (
    Json,
    failure_text,
    failures_of,
    feedback_lines,
    format_points,
    is_wrong,
    points_label,
    result_title,
    results_of,
    submission_label,
    submissions_of,
    verdict_counts,
)

# GitHub refuses a step summary over 1 MiB; stay clear of it, whatever was appended before.
SUMMARY_LIMIT = 1024 * 1024
SUMMARY_MARGIN = 4 * 1024

_MARKS = {"correct": "✓", "incorrect": "✗", "invalid": "✗", "missing": "·"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, properties: dict[str, str | int | None]) -> str:
    """One workflow command line; properties that are None are left out."""
    given = [(key, str(value)) for key, value in properties.items() if value is not None]
    text = f"::{name}"
    if given:
        text += " " + ",".join(f"{key}={escape_property(value)}" for key, value in given)
    return f"{text}::{escape_data(message)}"


def render(report: Json) -> str:
    """Annotations for every answer that is not right, a notice with the points, and a log."""
    lines: list[str] = []
    for submission in submissions_of(report):
        lines.extend(_submission_commands(submission))
    lines.extend(_failure_command(failure) for failure in failures_of(report))
    lines.extend(_log_lines(report))
    return "\n".join(lines) + "\n"


def _submission_commands(submission: Json) -> list[str]:
    file = str(submission.get("file") or "") or None
    lines = []
    for result in results_of(submission):
        if is_wrong(result):
            title = f"{result_title(result)}: {result.get('verdict')} [{points_label(result)}]"
            properties = {"file": file, "line": _line(result, file), "title": title}
            lines.append(command("error", "\n".join(feedback_lines(result)), properties))
    missing = [result for result in results_of(submission) if result.get("verdict") == "missing"]
    if missing:
        lines.append(_missing_command(missing, file))
    lines.append(command("notice", _score_sentence(submission), {"file": file, "title": "Score"}))
    return lines


def _line(result: Json, file: str | None) -> int | None:
    line = result.get("line")
    return line if file and isinstance(line, int) and not isinstance(line, bool) else None


def _missing_command(missing: list[Json], file: str | None) -> str:
    """One warning for every unanswered partial: GitHub shows only 10 warnings per step."""
    described = []
    for result in missing:
        line = _line(result, file)
        text = result_title(result) + (f" (line {line})" if line else "")
        if result.get("reference"):  # --reveal
            text += f" [reference: {result['reference']}]"
        described.append(text)
    count = len(missing)
    title = f"{count} answer{'s' if count != 1 else ''} missing"
    properties = {"file": file, "line": _line(missing[0], file), "title": title}
    return command("warning", "No answer was given for: " + ", ".join(described), properties)


def _failure_command(failure: Json) -> str:
    file = str(failure.get("file") or "") or None
    line, column = failure.get("line"), failure.get("column")
    properties: dict[str, str | int | None] = {
        "file": file,
        "line": line if isinstance(line, int) and file else None,
        "col": column if isinstance(column, int) and isinstance(line, int) and file else None,
        "title": f"gradtutor could not grade {file or 'a file'}",
    }
    return command("error", failure_text(failure), properties)


def _score_sentence(submission: Json) -> str:
    counts = verdict_counts(submission)
    tally = ", ".join(f"{count} {verdict}" for verdict, count in counts.items() if count)
    score = format_points(submission.get("score"))
    maximum = format_points(submission.get("max_score"))
    return f"{submission_label(submission)}: {score}/{maximum} points ({tally or 'no answers'})"


def _log_lines(report: Json) -> list[str]:
    """Plain lines for the run's log, where workflow commands themselves are not shown."""
    lines = []
    for submission in submissions_of(report):
        lines.append(_score_sentence(submission))
        for result in results_of(submission):
            mark = _MARKS.get(str(result.get("verdict")), "?")
            lines.append(
                f"  {mark} {result_title(result)}  {result.get('verdict')}  {points_label(result)}"
            )
    for failure in failures_of(report):
        lines.append(f"{failure.get('file') or 'a file'}: not graded: {failure_text(failure)}")
    return lines


def fit_summary(markdown: str, already: int = 0, limit: int = SUMMARY_LIMIT) -> str:
    """`markdown` cut at a line so that the step summary, `already` bytes long, stays in limit."""
    room = limit - SUMMARY_MARGIN - already
    encoded = markdown.encode("utf-8")
    if len(encoded) <= room:
        return markdown
    note = "\n\n*The summary was cut here: it would exceed GitHub's 1 MiB limit.*\n"
    budget = max(0, room - len(note.encode("utf-8")))
    cut = encoded[:budget].decode("utf-8", errors="ignore")
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
    return cut + note if room > len(note.encode("utf-8")) else ""
