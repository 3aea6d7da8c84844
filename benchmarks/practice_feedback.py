"""Time from an answer to its feedback in `gradtutor practice`, on the shipped curriculum.

For every shipped exercise: start a session on it (the exercise is shown, as the learner sees it),
then time `session.handle(line)` (parse, check, write to the progress file) for a wrong answer
(the function itself, a classic slip) and then the right one (the step engine's simplified
derivative). The first answer pays for the exercise's check context (SymPy's derivative, sample
points); the second shows the steady state. The progress file is a temporary one.

Run: python benchmarks/practice_feedback.py [--limit N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from gradtutor.calculus.steps import derive
from gradtutor.checking.check import check_answer
from gradtutor.curriculum.loader import load_collection
from gradtutor.language.expr import to_ascii
from gradtutor.tutor.practice import AnswerChecked, PracticeSession
from gradtutor.tutor.progress import open_progress


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N exercises")
    limit = parser.parse_args().limit
    collection = load_collection()
    exercises = collection.exercises[:limit] if limit else collection.exercises
    first: list[float] = []
    second: list[float] = []
    unexpected: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        store = open_progress(Path(folder) / "progress.sqlite3")
        for exercise in exercises:
            session = PracticeSession(
                collection,
                store,
                check=lambda e, w, a: check_answer(e, w, a),
                derive=lambda e, w: derive(e.tree, w),
                exercise_id=exercise.id,
            )
            session.start()
            wrt = exercise.ask[0]
            right = to_ascii(derive(exercise.tree, wrt).simplified)
            for line, times in ((exercise.function, first), (right, second)):
                started = time.perf_counter()
                events = session.handle(line)
                times.append(time.perf_counter() - started)
                if not any(isinstance(event, AnswerChecked) for event in events):
                    unexpected.append(f"{exercise.id}: {line!r} gave {events}")
        store.close()
    for label, times in (("first answer", first), ("second answer", second)):
        print(
            f"{label:14} median {statistics.median(times) * 1000:7.1f} ms   "
            f"p90 {_percentile(times, 0.9) * 1000:7.1f} ms   "
            f"max {max(times) * 1000:7.1f} ms   ({len(times)} exercises)"
        )
    for line in unexpected:
        print("not checked:", line)


if __name__ == "__main__":
    main()
