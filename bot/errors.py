"""Exceptions a user can see, each with a hint on how to fix it."""
from __future__ import annotations


class BotError(Exception):
    """Base class: the message is shown to the user as is, without a traceback."""


class CorpusError(BotError):
    """An article in the corpus cannot be used (empty, binary, not UTF-8, no headings)."""


class IndexError_(BotError):
    """The index on disk is missing, stale or corrupt; the hint says how it is handled."""


class InputError(BotError):
    """A question or golden file the bot cannot read."""
