"""The exceptions: one class per am_status, all under AidmatchError.

Each carries the status (its number and its C name) and the message the
library left for it (am_errmsg: "file:line: what was expected"), which
never holds a raw ID, a name or key material.
"""

from __future__ import annotations

from typing import Dict, Tuple, Type


class AidmatchError(Exception):
    """A call into libaidmatch failed; status says how, message says where."""

    #: The C name of the status this class stands for ("" for the base class).
    status_name: str = ""

    def __init__(self, message: str, status: int, status_name: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.status_name = status_name

    def __reduce__(self) -> Tuple[Type["AidmatchError"], Tuple[str, int, str]]:
        # Pickled whole: a Dask task's exception reaches the client so.
        return type(self), (self.message, self.status, self.status_name)


class NoMemoryError(AidmatchError):
    """AM_ERR_NOMEM: an allocation failed; the run is still usable."""
    status_name = "AM_ERR_NOMEM"


class InputOutputError(AidmatchError):
    """AM_ERR_IO: a file could not be opened, read or written."""
    status_name = "AM_ERR_IO"


class FormatError(AidmatchError):
    """AM_ERR_FORMAT: an input the run cannot continue with."""
    status_name = "AM_ERR_FORMAT"


class KeyMaterialError(AidmatchError):
    """AM_ERR_KEY: the key is missing, malformed, readable by others, or not
    the key a feed or snapshot was tokenised under."""
    status_name = "AM_ERR_KEY"


class InvalidUseError(AidmatchError):
    """AM_ERR_INVALID: a bad argument or a wrong order of calls."""
    status_name = "AM_ERR_INVALID"


class StateError(InvalidUseError):
    """AM_ERR_STATE: a call out of order; the message names the call to make
    first.  An InvalidUseError, as such calls were before the status existed."""
    status_name = "AM_ERR_STATE"


class LimitError(AidmatchError):
    """AM_ERR_LIMIT: a configured resource limit was exceeded."""
    status_name = "AM_ERR_LIMIT"


class AbortedError(AidmatchError):
    """AM_ERR_ABORTED: a callback asked the library to stop."""
    status_name = "AM_ERR_ABORTED"


_BY_STATUS: Dict[str, Type[AidmatchError]] = {
    cls.status_name: cls
    for cls in (NoMemoryError, InputOutputError, FormatError, KeyMaterialError,
                InvalidUseError, StateError, LimitError, AbortedError)
}


def error_for(status: int, status_name: str, message: str) -> AidmatchError:
    """The exception for a status; a status this module does not know yet
    gets the base class, still carrying its number and name."""
    return _BY_STATUS.get(status_name, AidmatchError)(message, status, status_name)
