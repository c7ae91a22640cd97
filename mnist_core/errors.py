"""The project's input errors: what a user sent cannot become a digit image."""


class InputError(ValueError):
    """An input that cannot become a digit image: unreadable, too large, or without ink."""


class NoInkError(InputError):
    """The image is readable but holds nothing that could be a digit."""
