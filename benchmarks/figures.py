"""What a benchmark prints: throughput, per-answer latency, memory and disagreements with the
ground truth of each grader's `Outcome`."""

from __future__ import annotations

from collections import Counter

from answer_files import Answer
from graders import Outcome


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def disagreements(outcome: Outcome, truth: dict[tuple[str, str, str], Answer]) -> Counter[str]:
    wrong: Counter[str] = Counter()
    for key, answer in truth.items():
        verdict = outcome.verdicts.get(key, "absent")
        if verdict != answer.truth:
            wrong[f"{answer.truth}->{verdict}"] += 1
    return wrong


def describe(outcome: Outcome, truth: dict[tuple[str, str, str], Answer]) -> str:
    count = len(truth)
    wrong = disagreements(outcome, truth)
    lines = [
        f"{outcome.name}",
        f"  {count} answers in {outcome.seconds:.2f} s: {count / outcome.seconds:,.0f} answers/s",
    ]
    if outcome.latencies:
        lines.append(
            f"  per answer: p50 {percentile(outcome.latencies, 0.5) * 1000:.2f} ms, "
            f"p99 {percentile(outcome.latencies, 0.99) * 1000:.1f} ms, "
            f"max {max(outcome.latencies) * 1000:.0f} ms"
        )
    if outcome.peak_mb is not None:
        lines.append(f"  peak memory (max RSS): {outcome.peak_mb:.0f} MB")
    if outcome.timeouts:
        lines.append(f"  timeouts: {outcome.timeouts}")
    summary = ", ".join(f"{k} {v}" for k, v in wrong.most_common()) or "none"
    lines.append(f"  disagreements with the ground truth: {sum(wrong.values())} ({summary})")
    if outcome.diagnosed is not None:
        with_diagnosis, incorrect = outcome.diagnosed
        lines.append(f"  incorrect answers with a diagnosis: {with_diagnosis} of {incorrect}")
    return "\n".join(lines)


def show_disagreements(outcome: Outcome, truth: dict[tuple[str, str, str], Answer]) -> None:
    seen = set()
    for key, answer in truth.items():
        verdict = outcome.verdicts.get(key, "absent")
        if verdict != answer.truth and (key[1], key[2], answer.text) not in seen:
            seen.add((key[1], key[2], answer.text))
            print(f"    {key[1]} d/d{key[2]}: {answer.text!r} ({answer.kind}): "
                  f"truth {answer.truth}, got {verdict}")  # fmt: skip


def print_outcomes(
    outcomes: list[Outcome], truth: dict[tuple[str, str, str], Answer], verbose: bool
) -> None:
    for outcome in outcomes:
        print(describe(outcome, truth))
        if verbose:
            show_disagreements(outcome, truth)


def print_ratios(reference: Outcome, outcomes: list[Outcome]) -> None:
    """Each grader's throughput against the reference script's, on the same answers."""
    for outcome in outcomes:
        ratio = reference.seconds / outcome.seconds
        shown = f"{ratio:.1f}" if ratio >= 10 else f"{ratio:.2f}"
        print(f"throughput of {outcome.name}: {shown}x the reference script's")
