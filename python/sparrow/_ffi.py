"""The C interface (``sparrow.h``) through ctypes.

The shared object is the one inside the package (``sparrow/_lib/libsparrowc.so``), or the file the
``SPARROW_LIBRARY`` environment variable names. ctypes releases the GIL for every call, so searches
on several Python threads run in parallel.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, c_char, c_char_p, c_float, c_int, c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p
from pathlib import Path

OK = 0
INVALID_ARGUMENT = 1
NOT_FOUND = 2
CORRUPT = 3
IO = 4
BUFFER_TOO_SMALL = 5
LOCKED = 6
READ_ONLY = 7
INTERNAL = 8


class SparrowError(Exception):
    """An error Sparrow reported; ``status`` is the C interface's status code."""

    def __init__(self, message: str, status: int = INTERNAL):
        super().__init__(message)
        self.status = status


class InvalidArgumentError(SparrowError, ValueError):
    """A bad argument, document, query or option."""


class IndexNotFoundError(SparrowError, FileNotFoundError):
    """No index at the path."""


class CorruptIndexError(SparrowError):
    """An index file failed its checks."""


class LockedError(SparrowError):
    """Another writer holds the index directory."""


class ReadOnlyError(SparrowError):
    """A write to an index built in memory or opened read-only."""


_ERRORS = {
    INVALID_ARGUMENT: InvalidArgumentError,
    NOT_FOUND: IndexNotFoundError,
    CORRUPT: CorruptIndexError,
    LOCKED: LockedError,
    READ_ONLY: ReadOnlyError,
}


class CSR(ctypes.Structure):
    _fields_ = [
        ("rows", c_size_t),
        ("indptr", POINTER(c_int64)),
        ("indices", POINTER(c_uint32)),
        ("values", POINTER(c_float)),
        ("vocab", POINTER(c_char_p)),
        ("vocab_size", c_size_t),
    ]


class Info(ctypes.Structure):
    _fields_ = [
        ("documents", c_uint64),
        ("terms", c_uint64),
        ("postings", c_uint64),
        ("segments", c_uint64),
        ("deleted", c_uint64),
        ("clustered_segments", c_uint64),
        ("kind", c_int32),
        ("writable", c_int32),
    ]


def _library_path() -> str:
    explicit = os.environ.get("SPARROW_LIBRARY")
    if explicit:
        return explicit
    bundled = Path(__file__).parent / "_lib" / "libsparrowc.so"
    if bundled.exists():
        return str(bundled)
    raise ImportError(
        f"Sparrow's shared object is not at {bundled}; install the wheel python/build-wheel.sh builds, "
        "or set SPARROW_LIBRARY to a libsparrowc.so"
    )


lib = ctypes.CDLL(_library_path())

_handle = c_void_p
_out_handle = POINTER(c_void_p)
_strings = POINTER(c_char_p)
_SIGNATURES = {
    "sparrow_open": [c_char_p, c_char_p, _out_handle],
    "sparrow_create": [c_char_p, c_char_p, _out_handle],
    "sparrow_build": [c_char_p, _strings, POINTER(CSR), c_char_p, _out_handle],
    "sparrow_build_text": [c_char_p, _strings, _strings, c_size_t, c_char_p, _out_handle],
    "sparrow_close": [_handle],
    "sparrow_upsert": [_handle, _strings, POINTER(CSR), POINTER(c_uint64), POINTER(c_uint64)],
    "sparrow_upsert_text": [_handle, _strings, _strings, c_size_t, POINTER(c_uint64), POINTER(c_uint64)],
    "sparrow_delete": [_handle, _strings, c_size_t, POINTER(c_uint64)],
    "sparrow_commit": [_handle],
    "sparrow_search": [_handle, POINTER(CSR), c_size_t, c_char_p, c_size_t, c_void_p, c_size_t, c_void_p, c_void_p,
                       POINTER(c_size_t)],
    "sparrow_search_text": [_handle, _strings, c_size_t, c_size_t, c_char_p, c_size_t, c_void_p, c_size_t, c_void_p,
                            c_void_p, POINTER(c_size_t)],
    "sparrow_stats": [_handle, POINTER(Info)],
    "sparrow_corpus_statistics": [_handle, POINTER(c_char), c_size_t, POINTER(c_size_t)],
    "sparrow_set_global_statistics": [_handle, c_char_p],
    "sparrow_encoder_open": [c_char_p, c_size_t, _out_handle],
    "sparrow_encode": [_handle, _strings, c_size_t, c_size_t, _out_handle],
    "sparrow_vectors_csr": [_handle, POINTER(CSR)],
    "sparrow_vectors_free": [_handle],
    "sparrow_encoder_free": [_handle],
}
for _name, _args in _SIGNATURES.items():
    _f = getattr(lib, _name)
    _f.argtypes = _args
    _f.restype = c_int
lib.sparrow_last_error.argtypes = []
lib.sparrow_last_error.restype = c_char_p
lib.sparrow_version.argtypes = []
lib.sparrow_version.restype = c_char_p


def check(status: int) -> None:
    """Raises the error of a failed call (the message is the calling thread's last error)."""
    if status != OK:
        message = lib.sparrow_last_error().decode("utf-8", "replace")
        raise _ERRORS.get(status, SparrowError)(message, status)


def call(name: str, *args) -> None:
    check(getattr(lib, name)(*args))


def strings(items: list[str], what: str) -> ctypes.Array:
    """A C array of UTF-8 strings."""
    encoded = []
    for i, s in enumerate(items):
        if not isinstance(s, str):
            raise InvalidArgumentError(f"{what}[{i}] must be a str, not {type(s).__name__}", INVALID_ARGUMENT)
        if "\0" in s:
            raise InvalidArgumentError(f"{what}[{i}] contains a NUL character", INVALID_ARGUMENT)
        encoded.append(s.encode("utf-8", "surrogatepass"))
    return (c_char_p * max(len(encoded), 1))(*encoded)


def text(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8")


def version() -> str:
    return lib.sparrow_version().decode()
