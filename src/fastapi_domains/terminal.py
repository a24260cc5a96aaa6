"""Whether a person is at the terminal: light, so a command can ask it before loading its prompts."""

import sys


def interactive() -> bool:
    """Prompts only make sense when a person is at both ends."""
    return sys.stdin.isatty() and sys.stdout.isatty()
