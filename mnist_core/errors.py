"""The project's input errors (what a user sent cannot become a digit image), and how a command reports an error."""

import sys


class InputError(ValueError):
    """An input that cannot become a digit image: unreadable, too large, or without ink."""


class NoInkError(InputError):
    """The image is readable but holds nothing that could be a digit."""


def fail(message: str, code: int = 2) -> int:
    """A command's error: one line on stderr; returns the exit status."""
    print(f"error: {message}", file=sys.stderr)
    return code
