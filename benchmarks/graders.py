"""Grading a benchmark's answers files, timed: with gradtutor and with the reference script.

- `grade_in_child`: `checking.grading.run_check` (the function behind `gradtutor check`) in a
  fresh process (this module run as a script), timed around the call, imports excluded;
- `grade_with_cli`: a real `gradtutor check FILES --format json` subprocess, wall time with its
  start-up, peak RSS;
- `grade_with_reference`: `reference_script.py` in a worker process, one answer at a time with a
  per-answer timeout; its time is what it reports per answer plus reading the files with PyYAML.
Each returns an `Outcome` with the verdict of every (file, exercise, variable).
"""

from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REFERENCE_SCRIPT = HERE / "reference_script.py"


@dataclass
class Outcome:
    name: str
    seconds: float
    verdicts: dict[tuple[str, str, str], str]
    latencies: list[float] = field(default_factory=list)
    peak_mb: float | None = None
    timeouts: int = 0
    diagnosed: tuple[int, int] | None = None  # (incorrect answers with a diagnosis, incorrect)


def run_measured(command: list[str], stdin: str | None = None) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak RSS in MB) of a child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out, stderr=err)
        if process.stdin is not None:
            process.stdin.write((stdin or "").encode())
            process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode not in (0, 1):
            raise RuntimeError(f"{command[:4]} failed: {err.read().decode()[-2000:]}")
        return out.read().decode(), seconds, usage.ru_maxrss / 1024


def grade_in_child(paths: list[Path], assignment: Path, jobs: int) -> Outcome:
    """`run_check` in a fresh process (cold caches), timed around the call, imports excluded."""
    request = json.dumps(
        {"paths": [str(p) for p in paths], "exercises": str(assignment), "jobs": jobs}
    )
    output, _, peak = run_measured([sys.executable, str(Path(__file__))], request)
    data = json.loads(output)
    verdicts = {tuple(key): verdict for key, verdict in data["verdicts"]}
    name = f"gradtutor run_check (in process, jobs={jobs})"
    # With workers, the results come back pre-computed: their times here would mean nothing.
    latencies = data["latencies"] if jobs == 1 else []
    with_diagnosis, incorrect = data["diagnosed"]
    return Outcome(
        name, data["seconds"], verdicts, latencies, max(peak, data["peak_mb"]),
        diagnosed=(with_diagnosis, incorrect),
    )  # fmt: skip


def child() -> None:
    request = json.loads(sys.stdin.read())
    # Imports are start-up, not grading (as SymPy's is for the reference script); gradtutor
    # imports PyYAML only when it first reads a file, and SymPy (through its bridge) only when an
    # exercise needs it: both are imported here, before the clock starts.
    import yaml  # noqa: F401

    import gradtutor.calculus.symbolic
    import gradtutor.checking.symbolic_check
    import gradtutor.curriculum.answers
    import gradtutor.curriculum.loader  # noqa: F401
    from gradtutor.checking.grading import run_check

    started = time.perf_counter()
    paths = [Path(p) for p in request["paths"]]
    report = run_check(paths, exercises=Path(request["exercises"]), jobs=request["jobs"])
    seconds = time.perf_counter() - started
    verdicts, latencies, diagnosed = [], [], [0, 0]
    for submission in report.submissions:
        for result in submission.results:
            key = [Path(submission.file).name, result.exercise, result.wrt]
            verdicts.append([key, result.verdict])
            if result.seconds is not None:
                latencies.append(result.seconds)
            if result.verdict == "incorrect":
                diagnosed[0] += result.diagnosis is not None
                diagnosed[1] += 1
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    reply = {"seconds": seconds, "verdicts": verdicts, "latencies": latencies, "peak_mb": workers,
             "diagnosed": diagnosed}  # fmt: skip
    print(json.dumps(reply))


def compile_like_an_install() -> None:
    """Write gradtutor's bytecode, as `pip install` does.

    A checkout installed in editable mode, run with PYTHONDONTWRITEBYTECODE set (as some
    containers do, this machine included), would otherwise compile every module it imports from
    source at each start: about 0.1-0.2 s of CPU that no installed copy pays, and that a timed
    `gradtutor check` subprocess counted while `run_check` in a child did not.
    """
    import compileall

    import gradtutor

    compileall.compile_dir(Path(gradtutor.__file__).parent, quiet=1)


def grade_with_cli(paths: list[Path], assignment: Path, jobs: int) -> Outcome:
    compile_like_an_install()
    command = [sys.executable, "-m", "gradtutor", "check", *map(str, paths)]
    command += ["--exercises", str(assignment), "--format", "json", "--jobs", str(jobs)]
    output, seconds, peak = run_measured(command)
    verdicts = {
        (Path(submission["file"]).name, result["exercise"], result["wrt"]): result["verdict"]
        for submission in json.loads(output)["submissions"]
        for result in submission["results"]
    }
    return Outcome(f"gradtutor check (subprocess, --jobs {jobs})", seconds, verdicts, [], peak)


class ReferenceWorker:
    """The reference script in a subprocess, restarted when an answer exceeds the timeout."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REFERENCE_SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )  # fmt: skip
        self.ask({"function": "x", "variables": ["x"], "wrt": "x", "answer": "1"}, 120.0)

    def ask(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, Any] | None:
        if self.process is None:
            self.start()
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(request) + "\n")
        ready, _, _ = select.select([self.process.stdout], [], [], timeout or self.timeout)
        if not ready:
            self.stop()
            return None
        line = self.process.stdout.readline()
        if not line:  # the script died on this answer: a crash is its verdict
            self.stop()
            return {"verdict": "crashed", "seconds": 0.0}
        reply: dict[str, Any] = json.loads(line)
        return reply

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def grade_with_reference(paths: list[Path], assignment: Path, timeout: float) -> Outcome:
    """The script's own time per answer (as it reports it) plus reading the files with PyYAML.

    The pipes to the worker and its restarts after a timeout are not counted against it.
    """
    exercises = {e["id"]: e for e in yaml.safe_load(assignment.read_text())["exercises"]}
    worker = ReferenceWorker(timeout)
    worker.start()
    outcome = Outcome("reference script (parse_expr + simplify)", 0.0, {})
    for path in paths:
        started = time.perf_counter()
        answers = yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]
        outcome.seconds += time.perf_counter() - started
        for exercise_id, by_variable in answers.items():
            exercise = exercises[exercise_id]
            for wrt, given in by_variable.items():
                request = {
                    "function": exercise["function"], "variables": exercise["variables"],
                    "wrt": wrt, "answer": given,
                }  # fmt: skip
                reply = worker.ask(request)
                if reply is None:
                    outcome.timeouts += 1
                    verdict, seconds = "timeout", timeout
                    worker.start()
                else:
                    verdict, seconds = reply["verdict"], reply["seconds"]
                outcome.seconds += seconds
                outcome.latencies.append(seconds)
                outcome.verdicts[(path.name, exercise_id, wrt)] = verdict
    worker.stop()
    return outcome


if __name__ == "__main__":
    child()
