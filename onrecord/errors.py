"""Errors a user sees: each carries a one-line message and never a traceback."""


class OnrecordError(Exception):
    """Base class: the message is shown to the user as is."""


class InputError(OnrecordError):
    """The input cannot be analysed: empty, binary, undecodable, not English, too large, unreadable HTML."""


class TooLong(InputError):
    """The article's text is longer than the limit in characters (``onrecord.read.max_chars``)."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"the article is {length:,} characters long, over the limit of {limit:,} characters; "
                         f"raise it with ONRECORD_MAX_CHARS=<characters> (onrecord serve --max-chars)")
        self.length = length
        self.limit = limit
