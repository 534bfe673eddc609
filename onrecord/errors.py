"""Errors a user sees: each carries a one-line message and never a traceback."""


class OnrecordError(Exception):
    """Base class: the message is shown to the user as is."""


class InputError(OnrecordError):
    """The input cannot be analysed: empty, binary, undecodable, not English, too large, unreadable HTML."""
