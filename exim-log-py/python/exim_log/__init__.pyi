"""Fast, exact parser for Exim mail server logs (mainlog, rejectlog, paniclog),
Received headers and log_selector settings, built in Rust.

Every parsed line has the keys of the JSON schema (SCHEMA.md in the repository) as
attributes; ``Line.to_dict()`` returns exactly the object the Rust library
serializes for the same line.
"""

import datetime as _dt
import os
from typing import IO, Any, Iterator, Literal, Optional, Union, final

from typing_extensions import disjoint_base

__all__ = [
    "Line",
    "LineReader",
    "ParseError",
    "Record",
    "__version__",
    "lines",
    "parse_line",
]

__version__: str
"""The package version (the Rust crate's version)."""

_Source = Union[bytes, bytearray, str, "os.PathLike[str]", IO[bytes], IO[str]]

class ParseError(ValueError):
    """Input that could not be parsed: a line without a valid timestamp prefix, a
    malformed header or setting.

    A ``ValueError``, so ``except ValueError`` catches it too.
    """

    offset: int
    """Byte offset of the problem: into the line for ``parse_line``, into the
    (decompressed) stream when reading a file."""
    line: Optional[int]
    """1-based line number when reading a stream, else ``None``."""
    file: Optional[str]
    """The path being read, else ``None``."""
    kind: str
    """Short name of the problem: ``empty``, ``timestamp``, ``timestamp_range``,
    ``pid``, ``missing_text``, ``syntax``, ..."""

@disjoint_base
class Record(dict[str, Any]):
    """A nested object of a line (``host``, ``tls``, ``auth``, ...): a ``dict`` whose
    keys are also attributes (``line.host.ip``). Absent keys read as ``None``.
    Equal to the plain dict ``to_dict()`` has for the same value."""

    def __getattr__(self, name: str) -> Any: ...

@final
class Line:
    """One parsed log line.

    Every key of the JSON schema is an attribute; a key the line does not have reads
    as ``None`` (e.g. ``line.size`` on a line that logged no ``S=``). Nested objects
    are ``Record``s. Lines compare equal when their bytes are equal, and are hashable
    and picklable.
    """

    @property
    def timestamp(self) -> str:
        """ISO 8601 local time as logged, e.g. ``2024-05-25T11:10:28`` (with ``.mmm``
        under ``+millisec`` and ``+01:00`` with ``log_timezone``)."""
    @property
    def datetime(self) -> _dt.datetime:
        """The timestamp as a ``datetime.datetime`` (timezone-aware when logged with
        an offset; a leap second 60 reads as 59)."""
    @property
    def unix_time(self) -> float:
        """Seconds since the Unix epoch; the wall-clock time is taken as UTC unless
        the line has an offset."""
    @property
    def pid(self) -> Optional[int]:
        """``[pid]`` of the writing process (``+pid``)."""
    @property
    def message_id(self) -> Optional[str]:
        """The Exim message id (16 or 23 characters), for lines about a message."""
    @property
    def flag(self) -> Optional[str]:
        """The flag of a message line: ``<=``, ``(=``, ``=>``, ``->``, ``>>``, ``*>``,
        ``**`` or ``==``."""
    @property
    def event(self) -> str:
        """What the line records: ``arrival``, ``delivery``, ``deferral``,
        ``failure``, ``completed``, ..., ``unknown`` when not understood."""
    @property
    def raw(self) -> str:
        """The whole line without its line ending (invalid UTF-8 as U+FFFD)."""
    @property
    def raw_bytes(self) -> bytes:
        """The whole line without its line ending, exactly as read."""
    @property
    def text(self) -> str:
        """The text after the prefix (timestamp, pid and message id)."""
    @property
    def line_number(self) -> Optional[int]:
        """1-based line number in the stream the line was read from."""
    @property
    def offset(self) -> Optional[int]:
        """Byte offset of the line in the (decompressed) stream it was read from."""
    @property
    def file(self) -> Optional[str]:
        """The file the line was read from."""
    def __getattr__(self, name: str) -> Any:
        """Any other key of the JSON schema (``sender``, ``host``, ``size``,
        ``recipient``, ``subject``, ...), ``None`` when the line has none."""
    def get(self, name: str, default: Any = None) -> Any:
        """The value of key ``name`` of ``to_dict()``, or ``default``."""
    def to_dict(self) -> dict[str, Any]:
        """The line as a dict equal to the Rust JSON object (SCHEMA.md)."""
    def keys(self) -> list[str]:
        """The keys of ``to_dict()`` for this line."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class LineReader(Iterator[Line]):
    """An iterator of parsed lines, returned by ``lines()``. Batches are read and
    parsed with the GIL released."""

    @property
    def file(self) -> Optional[str]:
        """The path being read, or ``None``."""
    def __iter__(self) -> "LineReader": ...
    def __next__(self) -> Line: ...

def parse_line(line: Union[str, bytes]) -> Line:
    """Parses one log line; a trailing line ending is ignored.

    Raises ``ParseError`` when the line has no valid prefix (timestamp, optional
    ``[pid]``). Any text after a valid prefix gives a ``Line``, with event
    ``unknown`` when its shape is not recognized: no input is ever dropped.

    >>> parse_line("2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq Completed").event
    'completed'
    """

def lines(source: _Source, *, errors: Literal["raise", "skip"] = "raise") -> LineReader:
    """Iterates the parsed lines of ``source``: ``bytes``/``bytearray``, a path
    (``str`` or ``os.PathLike``), or a file object (binary or text mode).

    A line without a valid prefix raises ``ParseError`` with ``offset`` (into the
    stream), ``line`` and ``file``; iteration may continue after it. With
    ``errors="skip"`` such lines are skipped. I/O errors raise ``OSError``.
    """
