"""Ctrl-C as the CLI takes it: one line, and nothing half-written.

Python raises KeyboardInterrupt wherever the main thread is when Ctrl-C comes; inside a callback
that an import runs, it cannot propagate (Python prints it as an ignored exception and goes on).
So the CLI's imports run with Ctrl-C deferred to their end, and once a command starts writing the
service, Ctrl-C is ignored until it has finished and reported: a change is either not started or
done and reported, never reported and then interrupted.
"""

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def deferred() -> Iterator[None]:
    """A Ctrl-C inside the block raises KeyboardInterrupt at its end."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield  # Ignored already (the command is writing), or someone else's (an in-process caller).
        return
    received: list[int] = []
    signal.signal(signal.SIGINT, lambda number, _: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received:
        raise KeyboardInterrupt


def raise_if_interrupted(error: BaseException) -> None:
    """Raise KeyboardInterrupt if `error` happened while one unwound (say, a temporary folder that
    could not be removed as Ctrl-C stopped a process writing in it): the user interrupted, and that
    is what the CLI says, rather than a failure or a traceback."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        seen = seen.__context__


def point_of_no_return() -> None:
    """From here the process finishes what it does: Ctrl-C is ignored until it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
