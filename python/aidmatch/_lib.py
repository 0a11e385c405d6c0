"""Loads libaidmatch through cffi in ABI mode and turns statuses into errors.

ABI mode needs no compiler when the package is installed or imported: the
declarations in _cdef.py are parsed by cffi and the shared library is
opened with dlopen.  Which library: $AIDMATCH_LIBRARY when set (the tests
point it at the build tree), else the one installed beside this package
(_install.py, written by meson install), else the soname through the
dynamic loader's search path.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional

import cffi  # type: ignore[import]

from ._cdef import CDEF
from .errors import error_for

ffi = cffi.FFI()
ffi.cdef(CDEF)

LIBRARY_ENV = "AIDMATCH_LIBRARY"
SONAME = "libaidmatch.so.0"


def _candidates() -> List[str]:
    explicit = os.environ.get(LIBRARY_ENV)
    if explicit:
        return [explicit]
    found = []
    try:
        from ._install import LIBRARY  # type: ignore[import]
    except ImportError:
        pass
    else:
        found.append(LIBRARY)
    found.append(SONAME)
    return found


def _open() -> Any:
    failures = []
    for path in _candidates():
        try:
            return ffi.dlopen(path)
        except OSError as e:
            failures.append(f"{path}: {e}")
    raise ImportError("cannot load libaidmatch (set " + LIBRARY_ENV + " to its path): "
                      + "; ".join(failures))


lib = _open()

STATUS_NAMES = {value: name for value, name in ffi.typeof("am_status").elements.items()}


def text(p: Any) -> str:
    """A C string the library owns, copied into Python ("" for NULL)."""
    return str(ffi.string(p).decode("utf-8")) if p != ffi.NULL else ""


def raise_for(status: int, ctx: Optional[Any]) -> None:
    """Raises the exception of a failed status, with the context's message."""
    if status == lib.AM_OK:
        return
    message = text(lib.am_errmsg(ctx)) if ctx is not None else ""
    raise error_for(status, STATUS_NAMES.get(status, f"status {status}"),
                    message or text(lib.am_strerror(status)))
