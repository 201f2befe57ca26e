"""Exceptions raised by :mod:`duta.models`."""

from __future__ import annotations


class ModelDirError(Exception):
    """A model directory cannot be used.

    The message names the file at fault, says what is wrong with it and what to do.
    """


class UnservedLanguagePair(ValueError):
    """A model was asked for a language it does not read or write."""
