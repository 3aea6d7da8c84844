"""A time budget that can stop SymPy.

SymPy cannot be interrupted from another thread, so the budget uses an interval timer
(`signal.setitimer(ITIMER_REAL)`) whose handler raises `BudgetExceeded` in the main thread. Where
that is impossible (another thread, or a platform without SIGALRM), `Budget.interruptible` is False
and callers must run only work whose cost they have bounded beforehand.

`BudgetExceeded` derives from `BaseException`, like `KeyboardInterrupt`, because SymPy has many
`except Exception:` blocks that would otherwise swallow it; and the timer re-fires every few
milliseconds until the protected block is left, in case something swallows it anyway.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

# How soon the alarm fires again if the exception it raised was caught and ignored.
_REFIRE_SECONDS = 0.02


class BudgetExceeded(BaseException):
    """The time allowed for a computation ran out."""


def can_interrupt() -> bool:
    """Whether an alarm can stop a computation here (main thread, SIGALRM available)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@dataclass
class Budget:
    """`seconds` of wall time from creation; `limit()` enforces it on a block of code."""

    seconds: float
    started: float = field(default_factory=time.monotonic)
    interruptible: bool = field(default_factory=can_interrupt)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return max(0.0, self.seconds - self.elapsed())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    @contextmanager
    def limit(self, seconds: float | None = None) -> Iterator[None]:
        """Run the block for at most `seconds` (default: what is left); raise `BudgetExceeded`.

        Without an alarm the block is not stopped; only an already spent budget is refused.
        """
        allowed = self.remaining() if seconds is None else min(seconds, self.remaining())
        if allowed <= 0.0:
            raise BudgetExceeded
        if not self.interruptible:
            yield
            return
        with _alarm(allowed):
            yield


@dataclass
class _AlarmState:
    active: bool = True


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise `BudgetExceeded` in the block after `seconds`; restore any timer set by the caller."""
    state = _AlarmState()

    def ring(signum: int, frame: FrameType | None) -> None:
        if state.active:
            signal.setitimer(signal.ITIMER_REAL, _REFIRE_SECONDS)
            raise BudgetExceeded

    started = time.monotonic()
    # None: a handler installed outside Python; the default is the closest we can restore.
    previous_handler: Any = signal.signal(signal.SIGALRM, ring) or signal.SIG_DFL
    previous_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        _disarm(state, previous_handler)
        if previous_delay > 0:
            # The caller's own timer keeps running: give back what is left of it (at least a tick).
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6))


def _disarm(state: _AlarmState, previous_handler: Any) -> None:
    # The alarm may ring while we disarm it; retry until it is off, then it cannot raise again.
    while True:
        try:
            state.active = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)
            return
        except BudgetExceeded:
            continue
