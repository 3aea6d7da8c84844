"""Parse time per typical answer, and how fast hostile input is refused.

Run: python benchmarks/parse_speed.py [--repeat N]
Goals (issue 2): under 1 ms median per typical answer; every hostile input refused within 50 ms.
`gradtutor --help` against `python -c "import sympy"` is measured by benchmarks/startup.py.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from gradtutor.errors import ParseError
from gradtutor.language.parser import parse

TYPICAL = [
    ("15(2x^2)^4 * 4x", ["x"]),
    ("960x^9", ["x"]),
    ("9x^2z", ["x", "y", "z"]),
    ("-2y + 2z", ["x", "y", "z"]),
    ("1(x > y)", ["x", "y"]),
    ("[z > 0]*x0", ["x0", "w0", "z"]),
    ("σ(z)(1−σ(z))", ["z"]),
    ("exp(z0)/(exp(z0)+exp(z1)) * (1 - exp(z0)/(exp(z0)+exp(z1)))", ["z0", "z1"]),
    ("-(y/p - (1-y)/(1-p))", ["y", "p"]),
    ("2(x0w0 + x1w1 + x2w2 + b - t)x0", ["x0", "x1", "x2", "w0", "w1", "w2", "b", "t"]),
    ("1 - tanh(x)^2", ["x"]),
    ("x^x (ln(x) + 1)", ["x"]),
]

HOSTILE = [
    "__import__('os').system('touch F')",
    "9**9**9**9",
    "factorial(10**7)",
    "(" * 3000 + "x" + ")" * 3000,
    "+".join(["x"] * 30000),
    "1(" * 300 + "x>0" + ")" * 300,
    "-" * 999 + "x",
    "x" * 999,
]


def median_ms(action: object, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def refuse(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text, ["x"])


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--repeat", type=int, default=200)
    repeat = options.parse_args().repeat

    per_answer = [median_ms(lambda t=t, v=v: parse(t, v), repeat) for t, v in TYPICAL]
    print(
        f"parse, typical answers: median {statistics.median(per_answer):.3f} ms, "
        f"slowest {max(per_answer):.3f} ms ({len(TYPICAL)} answers, {repeat} runs each)"
    )
    hostile = [median_ms(lambda t=t: refuse(t), max(repeat // 10, 5)) for t in HOSTILE]
    print(f"hostile inputs refused: slowest {max(hostile):.3f} ms (goal < 50 ms)")


if __name__ == "__main__":
    main()
