"""Exceptions raised by :mod:`duta.models`."""

from __future__ import annotations


class ModelDirError(Exception):
    """A model directory cannot be used.

    The message names the file at fault, says what is wrong with it and what to do.
    """


class UnservedLanguagePair(ValueError):
    """A model was asked for a language it does not read or write."""


class PullError(Exception):
    """A model could not be pulled, converted or installed; nothing was installed.

    The message says what failed (the repository, revision or file at fault) and what to do.
    """
