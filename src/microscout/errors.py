"""Every error microscout raises, under one root.

The CLI prints ``Error: <message>`` and exits non-zero for any :class:`MicroscoutError`;
the API renders it as ``{"ok": false, "error": ..., "errors": [...], "status": N}``.
"""

from __future__ import annotations


class MicroscoutError(Exception):
    """Root of every error microscout raises on purpose."""

    status = 500

    def __init__(self, message: str, *, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or [message]

    @property
    def message(self) -> str:
        """The one-line message shown to users."""
        return str(self.args[0]) if self.args else ""

    @message.setter
    def message(self, value: str) -> None:
        self.args = (value,)


class InvalidInputError(MicroscoutError, ValueError):
    """Input from a user or a file is not valid."""

    status = 400


class BriefError(InvalidInputError):
    """A campaign brief does not follow the brief schema."""


class NotFoundError(MicroscoutError, LookupError):
    """Something asked for does not exist."""

    status = 404


class AmbiguousCreatorError(InvalidInputError):
    """A bare handle matches creators on several platforms."""

    status = 409


class StoreError(MicroscoutError):
    """The store cannot be opened, read or written."""


class SchemaError(StoreError):
    """The store's schema is newer than this version of microscout understands."""


class ReferenceDataError(MicroscoutError):
    """A reference table (shipped or overridden) is missing or malformed."""


class MissingDependencyError(MicroscoutError, ImportError):
    """An optional dependency is not installed; the message says how to install it."""
