"""Duta: translation for the languages of Asia from small specialised models."""

__version__ = "0.1.0"
