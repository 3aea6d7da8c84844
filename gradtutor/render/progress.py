"""How `gradtutor progress` shows the learner's record: sets, then rules, with bars."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradtutor.tutor.progress import ProgressReport

BAR_WIDTH = 20


def bar(share: float, width: int = BAR_WIDTH) -> Text:
    """A bar of `width` cells, `share` (0..1) of them filled."""
    filled = round(max(0.0, min(1.0, share)) * width)
    return Text.assemble(("█" * filled, "green"), ("░" * (width - filled), "dim"))


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def sets_table(report: ProgressReport) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD, title="Sets", title_justify="left", show_edge=False, pad_edge=False
    )
    for name in ("set", "solved", "revealed", "attempted", "total"):
        table.add_column(name, justify="left" if name == "set" else "right")
    table.add_column("")
    for progress in report.sets:
        share = progress.solved / progress.total if progress.total else 0.0
        table.add_row(
            progress.id,
            str(progress.solved),
            str(progress.revealed),
            str(progress.attempted),
            str(progress.total),
            bar(share),
        )
    return table


def rules_table(report: ProgressReport) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD, title="Rules", title_justify="left", show_edge=False, pad_edge=False
    )
    table.add_column("rule")
    table.add_column("mastery", justify="right")
    table.add_column("")
    table.add_column("solved", justify="right")
    table.add_column("right answers", justify="right")
    for mastery in report.rules:
        accuracy = mastery.accuracy
        right = "–" if accuracy is None else f"{mastery.correct} of {mastery.attempts}"
        table.add_row(
            mastery.rule,
            _percent(mastery.mastery),
            bar(mastery.mastery),
            f"{mastery.solved} of {mastery.exercises}",
            right,
        )
    return table


def progress_view(report: ProgressReport, path: Path) -> RenderableType:
    statuses = [progress.status for progress in report.exercises]
    total = len(statuses)
    headline = Text.assemble(
        ("Progress", "bold"),
        f": {statuses.count('solved')} of {total} solved, {statuses.count('revealed')} revealed, "
        f"{statuses.count('attempted')} attempted",
    )
    parts: list[RenderableType] = [headline, Text(""), sets_table(report)]
    if report.rules:
        parts += [Text(""), rules_table(report)]
    parts.append(Text(""))
    parts += [
        Text("mastery: the share of a rule's exercises solved without seeing the steps", "dim"),
        Text(
            f"saved in {path}" if report.saved else f"No progress yet (it will be saved in {path})",
            style="dim",
            no_wrap=True,
            overflow="ignore",
        ),
    ]
    return Group(*parts)
