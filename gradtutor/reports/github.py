"""GitHub Actions workflow commands: annotations on the lines of the answers file.

`::error file=answers.yaml,line=4,title=...::message` puts the feedback beside the answer in the
pull request and on the run's page. The runner splits a command at `::` and its properties at `,`
and `=`, so values are escaped exactly as @actions/core does (toolkit `command.ts`): in data `%`,
`\\r` and `\\n` become `%25`, `%0D` and `%0A`; properties also escape `:` and `,` (`%3A`, `%2C`).

GitHub shows 10 annotations of each kind (error, warning, notice) per step and drops the rest
without a word (actions/toolkit, docs/problem-matchers.md). Past that, the tenth annotation of a
kind names the ones GitHub would have dropped, so that no student reads 10 errors as all of them.

The Markdown summary for `GITHUB_STEP_SUMMARY` is `markdown.render`, cut to fit the runner's limit
of 1 MiB per step by `fit_summary`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from gradtutor.reports.common import (
    Json,
    encodable,
    failure_text,
    failures_of,
    feedback_lines,
    is_wrong,
    missing_of,
    missing_summary,
    pass_sentence,
    passed_of,
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

# Annotations of one kind that GitHub shows per step.
SHOWN_PER_KIND = 10
# At most this many hidden annotations are named in the one that stands for them.
NAMED_WHEN_FOLDED = 30
_PLURALS = {"error": "errors", "warning": "warnings", "notice": "notices"}


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


@dataclass(frozen=True)
class _Annotation:
    kind: str  # error, warning or notice
    message: str
    properties: dict[str, str | int | None]
    brief: str  # how an annotation that stands for it names it: `answers.yaml:6 chain ∂/∂x`


def render(report: Json) -> str:
    """Annotations for every answer that is not right, a notice with the points, and a log."""
    report = encodable(report)
    annotations: list[_Annotation] = []
    for submission in submissions_of(report):
        annotations.extend(_submission_annotations(submission))
    annotations.extend(_failure_annotation(failure) for failure in failures_of(report))
    lines = [command(a.kind, a.message, a.properties) for a in _within_limits(annotations)]
    lines.extend(inert(_log_lines(report)))
    return "\n".join(lines) + "\n"


def inert(lines: list[str]) -> list[str]:
    """`lines` wrapped so that the runner acts on no command in them.

    The log repeats what students wrote (a name, a file name, a message quoting an answer), and
    the runner acts on a line that starts with `::` and on `##[` anywhere in a line: a student
    named `x\\n::error::...` or `##[add-mask]...` would otherwise write annotations or change
    the run. `::stop-commands::TOKEN` stops all commands until `::TOKEN::`; the token is a hash of
    the lines themselves, so no line can hold it (and the output stays the same run to run).
    """
    if not lines:
        return []
    digest = hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()
    token = f"gradtutor-log-{digest[:32]}"
    return [f"::stop-commands::{token}", *lines, f"::{token}::"]


def _within_limits(annotations: list[_Annotation]) -> list[_Annotation]:
    """Every annotation, unless a kind has more than GitHub shows: then its first nine, and one
    in place of the tenth that names the rest."""
    counts = Counter(annotation.kind for annotation in annotations)
    kept: list[_Annotation] = []
    seen: Counter[str] = Counter()
    for annotation in annotations:
        kind = annotation.kind
        seen[kind] += 1
        if counts[kind] <= SHOWN_PER_KIND or seen[kind] < SHOWN_PER_KIND:
            kept.append(annotation)
        elif seen[kind] == SHOWN_PER_KIND:
            hidden = [a for a in annotations if a.kind == kind][SHOWN_PER_KIND - 1 :]
            kept.append(_folded(kind, hidden))
    return kept


def _folded(kind: str, hidden: list[_Annotation]) -> _Annotation:
    named = [annotation.brief for annotation in hidden[:NAMED_WHEN_FOLDED]]
    if len(hidden) > NAMED_WHEN_FOLDED:
        named.append(f"and {len(hidden) - NAMED_WHEN_FOLDED} more")
    files = {annotation.properties.get("file") for annotation in hidden}
    plural = _PLURALS[kind]
    message = (
        f"GitHub shows {SHOWN_PER_KIND} {plural} a step; these {len(hidden)} are in the step "
        f"summary and the log: {'; '.join(named)}."
    )
    title = f"{len(hidden)} {plural} not shown as annotations"
    file = files.pop() if len(files) == 1 else None
    return _Annotation(kind, message, {"file": file, "title": title}, title)


def _submission_annotations(submission: Json) -> list[_Annotation]:
    """Below the pass mark first (so that GitHub never folds it away), then each wrong answer,
    one warning for all the missing ones, and a notice with the points."""
    file = str(submission.get("file") or "") or None
    annotations = []
    if passed_of(submission) is False:
        title = "Not passed"
        message = f"{submission_label(submission)}: {pass_sentence(submission)}."
        brief = f"{file or '(inline)'}: not passed"
        annotations.append(_Annotation("error", message, {"file": file, "title": title}, brief))
    for result in results_of(submission):
        if is_wrong(result):
            title = f"{result_title(result)}: {result.get('verdict')} [{points_label(result)}]"
            line = _line(result, file)
            properties = {"file": file, "line": line, "title": title}
            brief = f"{_place(file, line)} {result_title(result)}"
            message = "\n".join(feedback_lines(result))
            annotations.append(_Annotation("error", message, properties, brief))
    missing = missing_of(submission)
    if missing:
        annotations.append(_missing_annotation(missing, file))
    score = _score_sentence(submission)
    annotations.append(_Annotation("notice", score, {"file": file, "title": "Score"}, score))
    return annotations


def _place(file: str | None, line: int | None) -> str:
    """`answers.yaml:6`, or as much of it as is known."""
    where = file or "(inline)"
    return f"{where}:{line}" if line else where


def _line(result: Json, file: str | None) -> int | None:
    line = result.get("line")
    return line if file and isinstance(line, int) and not isinstance(line, bool) else None


def _missing_annotation(missing: list[Json], file: str | None) -> _Annotation:
    """One warning, in one line, for every unanswered partial of a file, rather than one each."""
    count = len(missing)
    title = f"{count} answer{'s' if count != 1 else ''} missing"
    properties = {"file": file, "line": _line(missing[0], file), "title": title}
    message = missing_summary(missing) + "."
    return _Annotation("warning", message, properties, f"{file or '(inline)'}: {title}")


def _failure_annotation(failure: Json) -> _Annotation:
    file = str(failure.get("file") or "") or None
    line, column = failure.get("line"), failure.get("column")
    properties: dict[str, str | int | None] = {
        "file": file,
        "line": line if isinstance(line, int) and file else None,
        "col": column if isinstance(column, int) and isinstance(line, int) and file else None,
        "title": f"gradtutor could not grade {file or 'a file'}",
    }
    brief = f"{file or 'a file'} could not be graded"
    return _Annotation("error", failure_text(failure), properties, brief)


def _score_sentence(submission: Json) -> str:
    counts = verdict_counts(submission)
    tally = ", ".join(f"{count} {verdict}" for verdict, count in counts.items() if count)
    return f"{submission_label(submission)}: {pass_sentence(submission)} ({tally or 'no answers'})"


def _log_lines(report: Json) -> list[str]:
    """Plain lines for the run's log, where workflow commands themselves are not shown."""
    lines = []
    for submission in submissions_of(report):
        lines.append(_score_sentence(submission))
        for result in results_of(submission):
            mark = _MARKS.get(str(result.get("verdict")), "?")
            verdict = result.get("verdict")
            line = f"  {mark} {result_title(result)}  {verdict}  {points_label(result)}"
            if result.get("reference"):  # --reveal
                line += f"  (reference: {result['reference']})"
            lines.append(line)
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
