"""The library's exceptions: one base, three kinds.

Catch :class:`ComplaintNLPError` to handle anything the library refuses; catch a subclass to tell
apart what went wrong. Each also derives from the built-in exception that earlier versions raised
(``ValueError``, ``RuntimeError``, ``TypeError``, ``KeyError``), so existing ``except`` clauses
keep working. Every message is one line that names the file, the rule or row, and the key.
"""

from __future__ import annotations

__all__ = ["ComplaintNLPError", "ConfigError", "ModelError", "InputError", "InputTypeError", "ColumnError", "ScoringError"]


class ComplaintNLPError(Exception):
    """Base of every error the library raises on purpose."""


class ConfigError(ComplaintNLPError, ValueError):
    """A rule, lexicon, escalation, placeholder or settings file is malformed: unknown section or
    key, wrong type, value out of range, missing cue list, unsafe or invalid regular expression."""


class ModelError(ComplaintNLPError, RuntimeError):
    """A model directory is missing, corrupt, tampered with, too large, or of an unknown format."""


class InputError(ComplaintNLPError, ValueError):
    """Input the library cannot score as asked (wrong type, missing column, unsupported format)."""


class InputTypeError(InputError, TypeError):
    """A value of the wrong type where text is required (``analyze(None)``)."""


class ColumnError(InputError, KeyError):
    """A named column is not in the input file."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class ScoringError(ComplaintNLPError, RuntimeError):
    """A batch run could not score: too many rows failed inside the analyser (not because of
    their input), so its output was not written."""
