"""Start-up: wall time of gradtutor commands against `python -c "import sympy"`.

Each command runs as a fresh process, `--repeat` times, alternating with the SymPy import so that
a busy moment on the machine costs both alike; the medians are compared. A one-answer check of a
function that is not a polynomial has to import SymPy itself (the symbolic check needs it), so it
cannot beat 1x; `--help`, `parse` and a check of a polynomial (proved by its terms, issue 16)
must not import SymPy at all.

Run: python benchmarks/startup.py [--repeat 15]
Goals (issue 8): `gradtutor --help` at most 0.5x, a one-answer `gradtutor check` at most 1.5x.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from graders import compile_like_an_install

GRADTUTOR = [sys.executable, "-m", "gradtutor"]
COMMANDS = {
    "gradtutor --help": [*GRADTUTOR, "--help"],
    "gradtutor parse": [*GRADTUTOR, "parse", "15(2x^2)^4 * 4x"],
    "gradtutor check (one answer)": [
        *GRADTUTOR, "check", "--function", "3(2x^2)^5", "--wrt", "x", "--answer", "15(2x^2)^4 * 4x",
    ],
    "gradtutor check (one polynomial answer)": [
        *GRADTUTOR, "check", "--function", "3x^3 y - 2x y^2", "--wrt", "x", "--answer",
        "9x^2 y - 2y^2",
    ],
}  # fmt: skip
GOALS = {"gradtutor --help": 0.5, "gradtutor check (one answer)": 1.5}
SYMPY = [sys.executable, "-c", "import sympy"]


def wall_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return seconds


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeat", type=int, default=15)
    repeat = options.parse_args().repeat

    compile_like_an_install()
    wall_seconds(SYMPY)  # warm the file cache before anything is timed
    sympy_times: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeat):
        for name, command in COMMANDS.items():
            sympy_times.append(wall_seconds(SYMPY))
            times[name].append(wall_seconds(command))
    sympy = statistics.median(sympy_times)
    print(f"python -c 'import sympy': median {sympy * 1000:.0f} ms ({len(sympy_times)} runs)")
    for name, values in times.items():
        median = statistics.median(values)
        goal = GOALS.get(name)
        verdict = (
            ""
            if goal is None
            else f" (goal <= {goal}: {'met' if median / sympy <= goal else 'NOT met'})"
        )
        print(f"{name}: median {median * 1000:.0f} ms, ratio {median / sympy:.2f}{verdict}")


if __name__ == "__main__":
    main()
