"""Fast, exact parser for Exim mail server logs (mainlog, rejectlog, paniclog),
Received headers and log_selector settings, built in Rust.

The outbound-spam hunt in four lines::

    import exim_log
    ids = exim_log.exim_message_ids(open("spam.eml", "rb").read())
    for m in exim_log.trace("/var/log/exim4/mainlog", ids, rotated=True):
        print(m.id, m.cwd, m.arrival.user if m.arrival else None)

Every parsed line has the keys of the JSON schema (SCHEMA.md in the repository) as
attributes; ``Line.to_dict()`` returns exactly the object the Rust library
serializes for the same line.
"""

import datetime as _dt
import os
from typing import IO, Any, Iterable, Iterator, Literal, Optional, Sequence, Union, final


__all__ = [
    "AccessLines",
    "ArrowBatches",
    "EntryLine",
    "Fields",
    "Follow",
    "Header",
    "Line",
    "LineReader",
    "LinkedArguments",
    "LogSelector",
    "Message",
    "MessageReader",
    "Options",
    "PanicEntry",
    "ParseError",
    "Received",
    "RejectEntry",
    "Report",
    "SpoolHeader",
    "SyslogLine",
    "__version__",
    "abuse_report",
    "access_lines",
    "domlogs",
    "exim_message_ids",
    "follow",
    "infer_selectors",
    "lines",
    "messages",
    "panic_entries",
    "parse_access_line",
    "parse_line",
    "parse_log_selector",
    "parse_queue_listing",
    "parse_received",
    "parse_spool_header",
    "parse_syslog_line",
    "plan",
    "read_arrow",
    "queue",
    "received_headers",
    "reject_entries",
    "spam_sources",
    "spool",
    "summary",
    "trace",
    "web_origins",
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
    """Short name of the problem (``ErrorKind::name`` and ``SelectorErrorKind::name``
    of the Rust crate): ``empty``, ``timestamp``, ``timestamp_range``,
    ``missing_text``, ``syntax``; with strict ``Options``
    ``selector_mismatch`` and ``timezone_mismatch``; for ``log_selector`` settings
    ``expected_sign``, ``unknown_name``, ``numeric_form``, ``trailing_line``."""
    found: Optional[str]
    """For a ``log_selector`` setting: the offending text; for
    ``selector_mismatch``: the name of the selector the line contradicts (else
    ``None``)."""
    suggestion: Optional[str]
    """For an unknown selector name: the closest valid name (else ``None``)."""

class Fields(dict[str, Any]):
    """A nested object of a line (``host``, ``tls``, ``auth``, ...): a ``dict`` whose
    keys are also attributes (``line.host.ip``). Absent keys read as ``None``.
    Equal to the plain dict ``to_dict()`` has for the same value."""

    def __getattr__(self, name: str) -> Any: ...

@final
class Line:
    """One parsed log line.

    Every key of the JSON schema is an attribute; a key the line does not have reads
    as ``None`` (e.g. ``line.size`` on a line that logged no ``S=``). Nested objects
    are ``Fields`` objects. Lines compare equal when their bytes are equal, and are hashable
    and picklable.
    """

    @property
    def timestamp(self) -> str:
        """ISO 8601 local time as logged, e.g. ``2024-05-25T11:10:28`` (with ``.mmm``
        under ``+millisec`` and ``+01:00`` with ``log_timezone``)."""
    @property
    def datetime(self) -> _dt.datetime:
        """The timestamp as a timezone-aware ``datetime.datetime``: with the
        logged offset (``log_timezone``), else in UTC (Exim logs local time
        without an offset; it is read as UTC, as ``unix_time`` and
        ``read_arrow()`` read it). A leap second 60 reads as 59."""
    @property
    def unix_time(self) -> float:
        """Seconds since the Unix epoch; the wall-clock time is taken as UTC unless
        the line has an offset."""
    @property
    def pid(self) -> Optional[int]:
        """``[pid]`` of the writing process (``+pid``), else None. (The pid a daemon or
        queue-run line names is ``daemon_pid`` / ``runner_pid``.)"""
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
    @property
    def sender(self) -> Optional[str]:
        """``<=``: the envelope sender (``<>`` for a bounce); deliveries: ``F=``."""
    @property
    def recipient(self) -> Optional[str]:
        """Deliveries and rejections: the address."""
    @property
    def recipients(self) -> Optional[list[str]]:
        """``<=`` with ``+received_recipients``: the ``for a b c`` addresses."""
    @property
    def host(self) -> Optional[Fields]:
        """``H=``: the remote host (``name``, ``helo``, ``ip``, ``port``, ...)."""
    @property
    def user(self) -> Optional[str]:
        """``U=``: ident, or the login of a local caller."""
    @property
    def auth(self) -> Optional[Fields]:
        """``A=``: SMTP authentication (``authenticator``, ``id``, ``sender``)."""
    @property
    def size(self) -> Optional[int]:
        """``S=``: size in bytes."""
    @property
    def subject(self) -> Optional[str]:
        """``T="..."``: the subject as logged, Exim's escaping undone."""
    @property
    def subject_decoded(self) -> Optional[str]:
        """The subject as a mail client shows it: RFC 2047 encoded words decoded,
        raw 8-bit text read as UTF-8 or else windows-1252."""
    @property
    def subject_raw(self) -> Optional[bytes]:
        """The subject's bytes exactly as logged between the quotes."""
    @property
    def protocol(self) -> Optional[str]:
        """``P=``: the protocol (``esmtps``, ``local``, ...)."""
    @property
    def tls(self) -> Optional[Fields]:
        """``X=``, ``CV=``, ``DN=``, ``SNI=``: TLS details."""
    @property
    def router(self) -> Optional[str]:
        """``R=``: the router."""
    @property
    def transport(self) -> Optional[str]:
        """``T=``: the transport."""
    @property
    def error(self) -> Optional[str]:
        """``**`` / ``==``: the error text."""
    @property
    def reason(self) -> Optional[str]:
        """Rejections and other events: why, as logged."""
    @property
    def cwd(self) -> Optional[str]:
        """``cwd=... args:`` lines (``+arguments``): the working directory."""
    @property
    def args(self) -> Optional[list[str]]:
        """``cwd=... args:`` lines: the arguments, unquoted."""
    def __getattr__(self, name: str) -> Any:
        """Any other key of the JSON schema (``interface``, ``confirmation``,
        ``queue_time``, ``stage``, ...), ``None`` when the line has none. A key that
        is a Python keyword takes a trailing underscore (``line.from_``)."""
    def get(self, name: str, default: Any = None) -> Any:
        """The value of key ``name`` of ``to_dict()``, or ``default``."""
    def to_dict(self) -> dict[str, Any]:
        """The line as a dict equal to the Rust JSON object (SCHEMA.md)."""
    def keys(self) -> list[str]:
        """The keys of ``to_dict()`` for this line."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class EntryLine:
    """A line of a multi-line entry, yielded by ``lines()`` where it has no
    timestamp: the ``Envelope-from:``/``Envelope-to:``, header and indented
    continuation lines after a reject line (format reference §10.1), or the
    indented detail lines of a multi-line main log entry. ``to_dict()`` is the
    object ``exim-log ndjson`` writes for it: ``{"rejectlog": kind, "flag",
    "name", "value", "raw"}`` (absent keys left out;
    ``exim_log::rejectlog::entry_line``)."""

    @property
    def rejectlog(self) -> Literal["envelope_from", "envelope_to", "header", "continuation", "truncated"]:
        """What the line is (``to_dict()["rejectlog"]``)."""
    @property
    def flag(self) -> Optional[str]:
        """A header's one-character type flag (``P``, ``I``, ``F``, ``T``, ``*``, ``' '``...)."""
    @property
    def name(self) -> Optional[str]:
        """A header's name."""
    @property
    def value(self) -> Optional[str]:
        """The address of ``Envelope-from:``/``Envelope-to:``, a header's text after
        ``Name:``, or a continuation line without its leading white space."""
    @property
    def raw(self) -> str:
        """The whole line without its line ending."""
    @property
    def line_number(self) -> Optional[int]:
        """1-based line number in the stream it was read from."""
    @property
    def offset(self) -> Optional[int]:
        """Byte offset of the line in the (decompressed) stream it was read from."""
    @property
    def file(self) -> Optional[str]:
        """The file the line was read from, or None."""
    def to_dict(self) -> dict[str, Any]:
        """The line as ``exim-log ndjson`` writes it."""

@final
class LineReader(Iterator[Union[Line, EntryLine]]):
    """An iterator of parsed lines, returned by ``lines()``. Batches are read and
    parsed with the GIL released."""

    def __iter__(self) -> "LineReader": ...
    def __next__(self) -> Union[Line, EntryLine]: ...

def parse_line(line: Union[str, bytes], options: Optional[Options] = None) -> Line:
    """Parses one log line; a trailing line ending is ignored.

    With ``options`` in strict mode, a line that contradicts the configured
    ``log_selector`` or ``log_timezone`` raises ``ParseError`` with kind
    ``selector_mismatch`` (``found`` names the selector; ``offset`` points at the
    field, or at the missing ``[pid]``) or ``timezone_mismatch``.

    Raises ``ParseError`` when the line has no valid prefix (timestamp, optional
    ``[pid]``). Any text after a valid prefix gives a ``Line``, with event
    ``unknown`` when its shape is not recognized: no input is ever dropped.

    >>> parse_line("2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq Completed").event
    'completed'
    """

def lines(
    source: _Source,
    *,
    rotated: bool = False,
    errors: Literal["raise", "skip"] = "raise",
) -> LineReader:
    """Iterates the parsed lines of ``source``:

    * a path (``str`` or ``os.PathLike``), plain or gzip (detected from the
      content, not the name); with ``rotated=True``, the path's rotated set read
      oldest first (``mainlog.2.gz``, ``mainlog.1``, ``mainlog``; or
      ``mainlog-YYYYMMDD.gz``), and a directory means its ``mainlog`` set;
    * a list of paths, read in the given order;
    * ``bytes``/``bytearray`` (plain or gzip);
    * a file object, binary (plain or gzip) or text.

    Reading, decompressing and parsing run in batches with the GIL released.
    Every line has ``line_number``, ``offset`` and ``file``.

    A line without a timestamp that belongs to a multi-line entry (a reject log's
    ``Envelope-to:``, header and indented lines; the indented detail of a main log
    entry) is an ``EntryLine``, as ``exim-log ndjson`` writes it (check with
    ``isinstance(x, exim_log.Line)``). Any other line without a valid prefix raises
    ``ParseError`` with ``offset`` (into the stream), ``line`` and ``file``; a line over 1 MiB raises ``ParseError`` with
    kind ``line_too_long``; iteration may go on after either. With
    ``errors="skip"`` such lines are skipped. A file that cannot be opened or read
    raises ``OSError`` (``FileNotFoundError``...): at the call for a single path,
    during iteration for a list or a rotated set, which then goes on with the next
    file. A corrupt or truncated gzip raises ``OSError`` after its last complete
    line, with ``line`` and ``offset`` attributes.
    """

@final
class ArrowBatches:
    """Record batches of a parsed source, made by :func:`read_arrow`.

    Implements the Arrow PyCapsule stream interface, so ``pyarrow.table(b)``,
    ``polars.DataFrame(b)`` (or ``polars.from_arrow``) and DuckDB
    (``duckdb.sql("SELECT ... FROM b")``) read it without a copy.

    The batches of files are made in the background while the consumer reads
    them (a stream): the first export hands them over as they come, and a
    second export raises ``ValueError``. Reading :attr:`num_rows` (or
    ``len()``) before any export makes them all and keeps them; every export
    then streams the same batches again. A read error met in the background
    (a file gone, a corrupt gzip) is raised by the consumer reading the
    stream (pyarrow raises ``OSError``).
    """

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """The Arrow C stream of the batches, in a capsule named
        ``arrow_array_stream`` (``requested_schema`` is ignored)."""
    @property
    def num_rows(self) -> int:
        """Rows in all batches: before any export, makes (and keeps) them all
        first; after a streaming export, the rows the consumer read."""
    @property
    def column_names(self) -> list[str]:
        """The column names, in schema order."""
    def __len__(self) -> int: ...

def read_arrow(
    source: Union[_Source, list[Union[str, "os.PathLike[str]"]]],
    *,
    table: Literal["lines", "messages"] = "lines",
    rotated: bool = False,
    raw: bool = False,
    server: Optional[str] = None,
    byte_range: Optional[tuple[int, int]] = None,
    batch_rows: int = 65536,
    threads: Optional[int] = None,
    columns: Optional[list[str]] = None,
) -> ArrowBatches:
    """Parses ``source`` (any source :func:`lines` takes) into Arrow record
    batches, without the GIL, and returns them as :class:`ArrowBatches`: a
    stream the batches are made into in the background (for paths) while the
    consumer reads them, in input order.

    ``threads`` (default: the cores available) parses the lines of plain
    files on that many threads, over the units of :func:`plan` (byte ranges
    cut at line boundaries, whole ``.gz`` files); the rows are the same, in
    the same order, with any ``threads``. ``table="messages"`` (messages need
    the whole log in order), ``byte_range`` and file objects or bytes use one
    thread; a file object is read (GIL held for its ``read()``) before the
    batches are streamed.

    ``table="lines"``: one row per input line (a line without a valid prefix
    is a row with ``parse_error``); ``table="messages"``: one row per assembled
    message. The columns are in SCHEMA.md, "Arrow tables": ``timestamp`` is a
    timezone-aware UTC timestamp (the logged offset in ``utc_offset_minutes``),
    integers are Int64, durations Float64 seconds, ``event``/``flag`` and
    other few-valued columns dictionary-encoded. ``raw=True`` adds the whole
    line; ``server`` adds a ``server`` column with that value. ``columns``
    keeps only the named columns of the lines table (in schema order; names
    that are not columns are ignored): faster to make, as a column left out
    costs nothing.

    ``byte_range=(start, end)`` reads only the lines of one plain
    (uncompressed) file that start at a byte offset in ``[start, end)``: split
    a large file at any offsets and every line is read by exactly one range
    (for Dask, Spark, or a process pool).

    >>> import pyarrow as pa  # doctest: +SKIP
    >>> t = pa.table(exim_log.read_arrow("/var/log/exim4/mainlog"))  # doctest: +SKIP
    """

@final
class LinkedArguments:
    """A ``cwd=... N args: ...`` line (``+arguments``) linked to a message: the
    process that submitted it, or one that named its id (``-Mc ID``)."""

    @property
    def line(self) -> Line:
        """The args line."""
    @property
    def link(self) -> str:
        """How it was linked: ``named_id`` (the args name the id, e.g. ``-Mc``),
        ``pid`` (same ``[pid]``, with ``+pid``; exact) or ``adjacent`` (a heuristic
        without ``+pid``: the nearest preceding submission-like args line)."""
    @property
    def ambiguous(self) -> bool:
        """True when several args lines qualified for ``adjacent``."""
    @property
    def cwd(self) -> Optional[str]:
        """The process's working directory: a web script's directory."""
    @property
    def args(self) -> Optional[list[str]]:
        """The process's command line, unquoted."""

@final
class Message:
    """The lines of one message, in input order, with the process that submitted
    it (the ``cwd=`` link), its bounce parent, bounces and next hops."""

    @property
    def id(self) -> str:
        """The message id."""
    @property
    def status(self) -> str:
        """``completed`` (its ``Completed`` line was read), ``end_of_input`` (still
        in flight when the input ended) or ``evicted`` (flushed early, its lines
        so far, by the memory budget or the in-flight cap of the assembler; its
        later lines come in a message marked ``continued``)."""
    @property
    def is_complete(self) -> bool:
        """True when its ``Completed`` line was read."""
    @property
    def continued(self) -> bool:
        """True when earlier lines of this id came out before in a message with
        status ``evicted`` (flushed early by the memory budget or the in-flight
        cap): this message holds the lines that followed."""
    @property
    def lines(self) -> list[Line]:
        """Every line carrying the id, in input order."""
    @property
    def arrival(self) -> Optional[Line]:
        """The ``<=`` line, if it was read."""
    @property
    def arguments(self) -> list[LinkedArguments]:
        """Linked args lines, in the order they were linked."""
    @property
    def submission(self) -> Optional[LinkedArguments]:
        """The args line of the process that submitted the message, if linked."""
    @property
    def cwd(self) -> Optional[str]:
        """The submitting process's working directory, if linked: which script
        sent the message."""
    @property
    def bounce_parent(self) -> Optional[str]:
        """For a bounce, the id of the message that caused it."""
    @property
    def bounces(self) -> list[str]:
        """Ids of bounces of this message seen while it was in flight."""
    @property
    def next_hops(self) -> list[dict[str, str]]:
        """Deliveries whose ``C="... id=X"`` names the next hop's Exim id:
        ``recipient`` and ``message_id``."""
    @property
    def queue_time(self) -> Optional[float]:
        """Seconds on the queue: ``Completed QT=``, else first to last line."""
    def to_dict(self) -> dict[str, Any]:
        """The message as the JSON of SCHEMA.md "Messages (assembled)"."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Line]: ...

@final
class MessageReader(Iterator[Union[Message, Line]]):
    """An iterator of ``Message`` objects (and, with ``standalone=True``, of the
    ``Line`` objects that belong to no message), returned by ``messages()`` and
    ``trace()``. Reading, decompressing, parsing and assembly run in batches with
    the GIL released."""

    def __iter__(self) -> "MessageReader": ...
    def __next__(self) -> Union[Message, Line]: ...

def messages(
    source: _Source,
    *,
    rotated: bool = False,
    standalone: bool = False,
    memory_budget: Optional[int] = None,
) -> MessageReader:
    """Groups the lines of ``source`` (as for ``lines()``) into messages.

    A message is emitted when its ``Completed`` line is read (messages come in the
    order they completed); the rest when the input ends. Submissions are linked to
    their ``cwd=... args:`` line (``+arguments``): exactly by ``[pid]`` with
    ``+pid``, else by adjacency. With ``standalone=True`` the lines that belong to
    no message (connections, rejections, ...) are yielded too, in order; lines
    without a valid prefix are never yielded here (use ``lines()`` to see them).
    A file that cannot be read raises ``OSError``. ``memory_budget`` (bytes,
    default 32 MiB) bounds the log data held by the messages in flight: past it
    the oldest is yielded early (status ``evicted``) and its later lines come in
    a message marked ``continued``; no line is lost.
    """

def trace(
    source: _Source,
    patterns: Union[str, Iterable[str]],
    *,
    rotated: bool = False,
    literal: bool = False,
    ignore_case: bool = True,
) -> MessageReader:
    """The messages with the given ids (e.g. from ``exim_message_ids()`` of a
    spam's headers), or with a line matching one of the ``patterns``, across a
    rotated set with ``rotated=True``: the library's trace engine
    (``exim_log::trace``), the same as the ``exim-log trace`` command.

    Ids only (either format): fast, the raw bytes are searched for the ids (and
    ``cwd=`` lines, for the link) and only those lines are parsed. A message whose
    line names a traced id (a bounce's ``R=``) is traced too. A line that
    belongs to no message is yielded as a ``Line`` when it holds an id.

    Other patterns are regular expressions (Rust ``regex`` syntax, close to
    Python's ``re`` without look-around or backreferences), or literal strings
    with ``literal=True``, matched against each raw line, case-insensitively
    unless ``ignore_case=False``. A pattern that is a message id is still matched
    literally and with case. ``^`` and ``$`` match at line ends. A message is
    yielded when one of its lines, or its linked ``cwd=`` line, matches (so
    ``trace(log, "/home/shop/public_html")`` lists what a script sent); a line
    that belongs to no message (a rejection, a connection) is yielded as a
    ``Line`` when it matches. A source that can be read twice (not a file
    object) is first searched with the pattern alone over the raw bytes; when
    few messages (up to 64) and no ``cwd=`` line match, only those messages are
    then assembled. Otherwise every line is parsed and assembled (the speed of
    ``messages()``). An invalid regex raises ``ValueError``.

    >>> for x in trace("/var/log/exim4/mainlog", r"rejected RCPT .*no such user"):
    ...     print(x)

    >>> ids = exim_message_ids(open("spam.eml", "rb").read())
    >>> for m in trace("/var/log/exim4/mainlog", ids, rotated=True):
    ...     print(m.id, m.cwd, m.arrival.user if m.arrival else None)
    """

_Text = Union[str, bytes]

@final
class Received:
    """One parsed ``Received:`` header (format reference §11).

    Every key of its JSON form is an attribute, ``None`` when absent: ``mta``
    (``exim``, ``postfix``, ``sendmail``, ``microsoft``, ``gmail``, ``qmail``,
    ``unknown``), ``from_`` (a ``Fields``: ``name``, ``helo``, ``ip``, ``port``,
    ``ident``), ``by``, ``via``, ``protocol``, ``tls`` (``version``, ``cipher``,
    ``bits``, ``text``), ``exim_version``, ``envelope_from``, ``id``, ``message_id``,
    ``for_``, ``date`` (ISO 8601), ``date_text``, ``raw``. (``from`` and ``for`` are
    Python keywords: read them as ``from_`` and ``for_``; ``to_dict()`` uses the
    JSON names.)
    """

    @property
    def is_exim(self) -> bool:
        """True when Exim wrote this header (it has an ``(Exim VERSION)`` comment)."""
    @property
    def exim_release(self) -> Optional[str]:
        """The release part of ``exim_version``: ``4.94.2`` of ``4.94.2 (FreeBSD)``."""
    @property
    def message_id(self) -> Optional[str]:
        """The Exim message id of the header: the id to look up in the mainlog."""
    def __getattr__(self, name: str) -> Any: ...
    def to_dict(self) -> dict[str, Any]:
        """The header as a dict, equal to the Rust JSON serialization."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def parse_received(header: _Text) -> Received:
    """Parses one ``Received:`` header, with or without its name, folded or not.

    Never fails: what could be read is filled in, and the whole header stays in
    ``raw``."""

def received_headers(block: _Text) -> list[Received]:
    """The ``Received:`` headers of a header block (or a whole message: the walk
    stops at the blank line that ends the headers), parsed, newest first."""

def exim_message_ids(block: _Text) -> list[str]:
    """The Exim message ids of a header block's ``Received:`` headers, oldest hop
    first: the ids to look up in the mainlog."""

@final
class LogSelector:
    """The set of log selectors a ``log_selector`` setting turns on (format
    reference §9). ``"subject" in sel`` tests a name; iterating gives the names that
    are on, in Exim's table order. Equal sets compare equal and hash alike."""

    def __new__(cls, setting: str = "") -> LogSelector:
        """Parses a ``log_selector`` value, or a whole ``log_selector = ...`` line, as
        Exim does: start from the defaults, apply ``+name``/``-name`` items left to
        right, ``+all``/``-all``, backslash-continued lines. Raises ``ParseError``
        (with ``offset``, ``kind``, ``found``, ``suggestion``) for a bad item."""
    @staticmethod
    def default() -> LogSelector:
        """Exim's default set."""
    @staticmethod
    def empty() -> LogSelector:
        """The empty set (``-all``)."""
    @staticmethod
    def all() -> LogSelector:
        """Every selector (``+all``)."""
    @staticmethod
    def names() -> list[str]:
        """Every selector name Exim knows, in table order."""
    @staticmethod
    def effect(name: str) -> str:
        """What selector ``name`` adds to the log; ``KeyError`` when unknown."""
    @staticmethod
    def is_default(name: str) -> bool:
        """True when Exim turns selector ``name`` on by default; ``KeyError`` when
        unknown."""
    def added(self) -> LogSelector:
        """The selectors on here but not in Exim's defaults."""
    def removed(self) -> LogSelector:
        """The default selectors that are off here."""
    def to_setting(self) -> str:
        """The canonical (shortest) setting; parsing it gives back the same set."""
    def __contains__(self, name: object, /) -> bool: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def parse_log_selector(setting: str) -> LogSelector:
    """Parses a ``log_selector`` setting; the same as ``LogSelector(setting)``."""

@final
class Options:
    """What the Exim that wrote a log was configured to log: a ``log_selector``
    setting, the ``log_timezone`` option, and whether ``parse_line`` is strict
    (format reference §1.1, §9). Equal options compare equal and hash alike.

    >>> opts = Options("+pid +subject", strict=True)
    >>> opts.parse_line("2024-05-25 11:10:28 1sAoM5-00000009r3p-06vq Completed")
    Traceback (most recent call last):
    ParseError: line contradicts the log_selector setting at byte 19
    """

    def __new__(
        cls,
        setting: Union[str, LogSelector, None] = None,
        *,
        strict: bool = False,
        log_timezone: Optional[bool] = None,
    ) -> Options:
        """``setting``: a ``log_selector`` value (``None`` or ``""``: Exim's
        defaults) or a ``LogSelector``; a bad setting raises ``ParseError``.
        ``log_timezone``: ``True`` (every timestamp has ``+HHMM``), ``False``
        (none), ``None`` (unknown: either). ``strict``: reject lines that
        contradict the settings; lenient options accept every line
        ``parse_line`` accepts (a log may span a configuration change)."""
    @property
    def selectors(self) -> LogSelector:
        """The effective ``log_selector``."""
    @property
    def strict(self) -> bool:
        """True in strict mode."""
    @property
    def log_timezone(self) -> Optional[bool]:
        """The ``log_timezone`` option, ``None`` when unknown."""
    def expects_pid(self) -> bool:
        """True when every line starts ``TIMESTAMP [pid]`` (``+pid``)."""
    def expects_millisec(self) -> bool:
        """True when timestamps carry milliseconds (``+millisec``)."""
    def parse_line(self, line: Union[str, bytes]) -> Line:
        """Parses one line with these options; ``parse_line(line, options=self)``."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def infer_selectors(
    source: _Source,
    *,
    rotated: bool = False,
    wanted: Union[str, LogSelector, None] = None,
) -> dict[str, Any]:
    """What a log sample says about the ``log_selector`` that wrote it
    (``exim_log::Inference``). ``source`` is read like ``lines()``, with the GIL
    released. Returns a dict:

    * ``lines``, ``unparsed``: lines read, lines without a log prefix;
    * ``seen``: selectors at least one line shows (names, table order);
    * ``off``: selectors every line proves off (only ``pid`` and ``millisec``,
      which change every line's prefix);
    * ``no_evidence``: the rest: the sample says nothing either way;
    * ``reliable_fields``: ``{name: effect}`` of every seen selector, the fields a
      tool can rely on;
    * ``observations``: one dict per selector, ``{"selector", "evidence"
      ("seen"/"off"/"no_evidence"), "lines", "first_line"?}`` (the Rust JSON);
    * ``missing``: the selectors of ``wanted`` (a setting or ``LogSelector``)
      the sample shows no evidence of, or ``None`` without ``wanted``.

    >>> infer_selectors("/var/log/exim4/mainlog", wanted="+arguments")["missing"]
    ['arguments']
    """

@final
class Follow(Iterator[Line]):
    """A ``tail -F`` iterator of ``Line``s, returned by ``follow()``. Also a
    context manager: leaving the ``with`` block closes it."""

    def __iter__(self) -> "Follow": ...
    def __next__(self) -> Line: ...
    def close(self) -> None:
        """Stops the iteration, from any thread: a wait in progress ends at once;
        a last line still being written (no newline yet) is yielded, then
        ``StopIteration``."""
    @property
    def closed(self) -> bool:
        """True once ``close()`` was called or ``timeout`` ran out."""
    def __enter__(self) -> "Follow": ...
    def __exit__(self, *exc: object) -> bool: ...

def follow(
    path: Union[str, "os.PathLike[str]"],
    *,
    poll_interval: float = 1.0,
    timeout: Optional[float] = None,
    from_end: bool = False,
    errors: Literal["raise", "skip"] = "raise",
    rotate_wait: float = 5.0,
) -> Follow:
    """Follows the log at ``path`` as Exim appends to it, like ``tail -F``
    (``exim_log::reader::Follow``), yielding every line once: when the file is
    rotated (renamed away and recreated) the old file is still read for
    ``rotate_wait`` seconds (Exim writes to it until it reopens its log) while
    the new file is read from its start; a file rotated twice between polls is
    found under its rotated name; a truncated file (``copytruncate``, told by
    its first bytes even when refilled to the same size) is read again from its
    start, after the lines only the copy holds; a missing file is waited for.
    A line still being written is held until its newline arrives.

    At the end of the file it polls every ``poll_interval`` seconds, with the
    GIL released. The iteration ends after ``close()`` or, with ``timeout``,
    once no new line came for ``timeout`` seconds. ``from_end=True`` starts at
    the current end (``tail -f``; line numbers then count from there). Lines
    have ``line_number``, ``offset`` and ``file``; ``errors`` as in ``lines()``.

    >>> with follow("/var/log/exim4/mainlog", from_end=True) as f:
    ...     for line in f:
    ...         if line.event == "rejection":
    ...             print(line.host)
    """

@final
class Header:
    """One header of a reject log entry, as Exim logs it from the spool file."""

    @property
    def flag(self) -> str:
        """The one-character spool flag (format reference §10.1): ``P``
        Received, ``I`` Message-ID, ``F`` From, ``T`` To, ``C`` Cc, ``B`` Bcc,
        ``R`` Reply-To, ``S`` Sender, ``*`` replaced or deleted, ``' '`` other."""
    @property
    def text(self) -> str:
        """``Name: value`` as logged, folded lines (with their line breaks) included."""
    @property
    def name(self) -> Optional[str]:
        """The header name, before the first ``:``."""
    @property
    def value(self) -> Optional[str]:
        """The value after ``Name:``, folded lines included."""

@final
class RejectEntry:
    """One reject log entry (format reference §10.1): the rejection line, then
    the envelope and headers Exim logged after it."""

    @property
    def offset(self) -> int:
        """Byte offset of the entry in the (decompressed) input."""
    @property
    def line(self) -> Line:
        """The first line, parsed as a main log line."""
    @property
    def envelope_from(self) -> Optional[str]:
        """The ``Envelope-from:`` value as logged (with angle brackets)."""
    @property
    def envelope_to(self) -> list[str]:
        """The ``Envelope-to:`` recipients (empty when not logged)."""
    @property
    def envelope_to_more(self) -> bool:
        """True when Exim cut the recipient list short (``...``)."""
    @property
    def headers(self) -> list[Header]:
        """The headers in order, with their flags and folded lines."""
    @property
    def truncated(self) -> bool:
        """The entry ended with ``*** truncated ***``."""
    @property
    def raw(self) -> str:
        """The whole entry, without its final line ending."""
    def to_dict(self) -> dict[str, Any]:
        """The Rust JSON object of the entry (``offset``, ``line``,
        ``envelope_from``, ``envelope_to``, ``headers`` as ``{"flag", "text"}``,
        ``truncated``)."""

@final
class PanicEntry:
    """One panic log entry (format reference §10.2): a log line and its indented
    continuation lines."""

    @property
    def offset(self) -> int:
        """Byte offset of the entry in the (decompressed) input."""
    @property
    def line(self) -> Line:
        """The first line, parsed as a main log line."""
    @property
    def detail(self) -> Optional[str]:
        """The continuation lines (first indent removed), or ``None``."""
    @property
    def raw(self) -> str:
        """The whole entry, without its final line ending."""
    def to_dict(self) -> dict[str, Any]:
        """The Rust JSON object of the entry (``offset``, ``line``, ``detail``)."""

def reject_entries(
    source: _Source,
    *,
    rotated: bool = False,
    errors: Literal["raise", "skip"] = "raise",
) -> list[RejectEntry]:
    """The entries of a reject log (``exim_log::rejectlog::RejectLog``). A line
    that starts with a timestamp starts an entry; the lines after it up to the
    next one belong to it. ``source`` as in ``lines()``; the whole input is read
    into memory (reading and splitting with the GIL released). An entry whose
    first line is not a valid log line (text before the first timestamp) raises
    ``ParseError`` with its byte ``offset``, or is skipped with ``errors="skip"``.
    """

def panic_entries(
    source: _Source,
    *,
    rotated: bool = False,
    errors: Literal["raise", "skip"] = "raise",
) -> list[PanicEntry]:
    """The entries of a panic log (``exim_log::paniclog::PanicLog``); as
    ``reject_entries()``."""

@final
class SyslogLine:
    """One syslog line carrying Exim text (``log_file_path = syslog``; format
    reference §1.5): the syslog wrapper, then the Exim text parsed as a log line
    body (no Exim timestamp unless ``syslog_timestamp`` left it)."""

    @property
    def priority(self) -> Optional[int]:
        """``<PRI>`` (facility * 8 + severity), when present."""
    @property
    def facility(self) -> Optional[int]:
        """The facility part of ``priority`` (2 = mail)."""
    @property
    def severity(self) -> Optional[int]:
        """The severity part of ``priority`` (6 main log, 5 reject log, 1 panic log)."""
    @property
    def time(self) -> str:
        """The syslog timestamp exactly as written."""
    @property
    def syslog_host(self) -> Optional[str]:
        """The syslog host name field (``to_dict()["syslog_host"]``; ``host`` is the
        event's ``H=`` host)."""
    @property
    def program(self) -> str:
        """The program (tag), e.g. ``exim``."""
    @property
    def pid(self) -> Optional[int]:
        """The process id from ``exim[123]`` or the RFC 5424 PROCID."""
    @property
    def chunk(self) -> Optional[tuple[int, int, bool]]:
        """``(index, count, at_newline)`` of a ``[n/m]`` split marker."""
    @property
    def message_id(self) -> Optional[str]:
        """The message the Exim text is about."""
    @property
    def flag(self) -> Optional[str]:
        """The flag (``<=``, ``=>``...) of a message line."""
    @property
    def event(self) -> str:
        """The event name, as ``Line.event``."""
    @property
    def raw(self) -> str:
        """The whole line, without its line ending."""
    def get(self, key: str, default: Any = None) -> Any:
        """A key of ``to_dict()`` (e.g. an event field: ``sender``, ``reason``), or
        ``default``."""
    def to_dict(self) -> dict[str, Any]:
        """The Rust JSON object of the line."""

def parse_syslog_line(line: Union[str, bytes]) -> SyslogLine:
    """Parses one syslog line (RFC 3164 or 5424 wrapper, ``exim[pid]:`` tag).
    Raises ``ParseError`` with the byte offset when the syslog wrapper is not
    recognized; unknown Exim text gives event ``unknown``."""

@final
class Report:
    """A report counted by ``spam_sources()``, ``abuse_report()`` or
    ``summary()``: the counting of the programs of the same names (the Rust
    ``exim_log::report``), kept so that partial reports combine."""

    @property
    def name(self) -> str:
        """``spam_sources``, ``abuse_report``, ``summary`` or ``queue``."""
    def merge(self, other: Report, *, consume: bool = False) -> None:
        """Adds the counts of ``other``, a report of the same kind counted over
        *later* input (the next file, another thread's or Dask partition's
        share): the result is what one pass over both inputs gives. For
        ``spam_sources`` and ``summary`` each message must be whole in one part;
        ``abuse_report`` joins an SMTP connection cut by the split. Merging
        reports of different kinds raises ``ValueError``. With ``consume=True``
        the counts are moved out of ``other`` instead of copied (``other`` is
        left an empty report of its kind): for partial reports not read again."""
    def to_dict(self) -> dict[str, Any]:
        """The report: the JSON document the program prints with ``--json``
        (SCHEMA.md "Reports"), with the ``top`` and ``threshold`` given.

        ``memory_budget`` (bytes, default 32 MiB) bounds the log data held by
        the assembler and, apart, by the report's tables: past it the oldest
        message is counted early and the lightest rows dropped (``approximate``);
        keys over 256 bytes are counted cut, ending ``...[truncated]``
        (``truncated_keys``); ``memory`` says what was held and how often the
        budget was hit."""
    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling (Dask, ``multiprocessing``): the library's counting state
        (binary, compact), so a partial report counted in a worker process
        merges in another.
        Every kind pickles (``spam_sources``, ``abuse_report``, ``summary``,
        ``queue``); a pickle is rebuilt by the same version of the package."""

def plan(
    paths: Sequence[Union[str, "os.PathLike[str]"]],
    parts: int,
    *,
    min_unit: Optional[int] = None,
) -> list[tuple[str, Optional[tuple[int, int]], int]]:
    """Cuts ``paths`` (read in this order) into about ``parts`` units of work
    for other processes or machines, as ``--threads`` does: ``(path,
    byte_range, bytes)``, ``byte_range`` a ``(start, end)`` of a plain file
    (the lines that *start* in it; cuts fall anywhere, each line is read by
    exactly one unit) or ``None`` for a whole file (gzip, or one smaller than
    ``min_unit`` bytes, default 1 MiB). Give each unit to a report function
    as ``report(path, byte_range=byte_range)`` and ``merge()`` the results in
    plan order. ``abuse_report`` joins the SMTP connections a cut splits; a
    message cut in two is counted twice by ``spam_sources``/``summary``, so
    give those reports whole files (or rotated sets)."""

def spam_sources(
    source: _Source,
    *,
    rotated: bool = False,
    top: int = 10,
    threshold: int = 1,
    memory_budget: Optional[int] = None,
    threads: Optional[int] = None,
    byte_range: Optional[tuple[int, int]] = None,
) -> Report:
    """Who sends the mail leaving the server, as ``spam-sources``: per script
    directory (``cwd=``), local user (``U=``), authenticated login (``A=``) and
    relaying host, the messages, recipients, failures, subjects and a message
    id to trace. ``top`` rows per table, rows with at least ``threshold``
    messages. ``source`` as for ``lines()``; read without the GIL.

    ``threads`` (default: the available cores) reads paths on that many
    threads (plain files cut into byte ranges, each ``.gz`` file on a core
    of its own; bytes and file objects on one): the same report as one
    thread gives. ``byte_range=(start, end)``: only the lines of the plain
    file ``source`` (a path) that start in that byte range, a unit of
    ``plan()``, on one thread. This applies to ``abuse_report()`` and
    ``summary()`` too."""

def abuse_report(
    source: _Source,
    *,
    rotated: bool = False,
    top: int = 10,
    threshold: int = 5,
    memory_budget: Optional[int] = None,
    threads: Optional[int] = None,
    byte_range: Optional[tuple[int, int]] = None,
) -> Report:
    """Inbound abuse at SMTP time, as ``abuse-report``: dictionary attacks (per
    host and per connection), RBL and HELO rejections, sender verification and
    AUTH failures, protocol errors, and the ``offenders``: IPs with at least
    ``threshold`` offender events in total (every kind fail2ban's and
    CrowdSec's Exim rules count, see docs/abuse-events.md). Lines are counted
    in input order."""

def summary(
    source: _Source,
    *,
    rotated: bool = False,
    top: int = 10,
    threshold: int = 1,
    memory_budget: Optional[int] = None,
    threads: Optional[int] = None,
    byte_range: Optional[tuple[int, int]] = None,
) -> Report:
    """The eximstats totals and tables, as ``summary``: received, delivered,
    delayed, failed and rejected, by transport, host, sender and recipient, per
    hour, and the time on the queue."""

@final
class SpoolHeader:
    """One parsed spool ``-H`` file: the envelope and headers of a queued message
    (the Exim specification's chapter "Format of spool files").

    Every key of its JSON form (SCHEMA.md, "Spool files") is an attribute, ``None``
    when absent: ``id``, ``login``, ``uid``, ``gid``, ``sender`` (``""`` for a
    bounce), ``received_time``, ``warning_count``, ``envelope`` (the known
    ``-name value`` lines: ``auth_id``, ``host_address``, ``helo_name``,
    ``frozen``...), ``variables`` (every such line, raw), ``non_recipients``,
    ``recipients``, ``headers`` (``flag``, ``length``, ``name``, ``text``).
    """

    @property
    def id(self) -> str:
        """The message id."""
    @property
    def path(self) -> Optional[str]:
        """The ``-H`` file, when read by ``spool()``."""
    @property
    def data_len(self) -> Optional[int]:
        """The length of the ``-D`` file, when read by ``spool()``."""
    @property
    def listing_size(self) -> Optional[int]:
        """The size ``exim -bp`` shows for the message (needs ``data_len``)."""
    @property
    def frozen(self) -> bool:
        """True when the message is frozen."""
    @property
    def subject(self) -> Optional[str]:
        """The ``Subject:`` header, unfolded."""
    @property
    def originating_script(self) -> Optional[dict[str, Any]]:
        """PHP's ``X-PHP-Originating-Script: uid:script`` as ``{uid, script}``."""
    @property
    def php_script(self) -> Optional[dict[str, Any]]:
        """cPanel's ``X-PHP-Script: host/path for ip`` as ``{host, path, client,
        clients}``: ``client`` is the web client's address."""
    def header(self, name: str) -> Optional[str]:
        """The first live header called ``name`` (case-insensitive), unfolded."""
    def is_delivered(self, address: str) -> bool:
        """True when ``address`` was delivered (``D`` in ``exim -bp``)."""
    def __getattr__(self, name: str) -> Any: ...
    def to_dict(self) -> dict[str, Any]:
        """The file as a dict, equal to the Rust JSON serialization."""

def parse_spool_header(data: _Text) -> SpoolHeader:
    """Parses a spool ``-H`` file. Raises ``ParseError`` with the byte ``offset``
    and a ``kind`` (``"recipient"``, ``"header"``, ...) when it is not valid."""

def spool(
    path: Union[str, "os.PathLike[str]"],
    *,
    errors: Literal["raise", "skip"] = "raise",
) -> list[SpoolHeader]:
    """The queued messages of a spool directory (the one holding ``input/``, or
    ``input/`` itself; split into ``input/X/`` or not), in ``exim -bp`` order.
    ``errors="skip"`` leaves out files that do not parse; ``OSError`` when the
    directory cannot be read."""

def parse_queue_listing(
    text: _Text, *, errors: Literal["raise", "skip"] = "raise"
) -> list[dict[str, Any]]:
    """``exim -bp`` / ``mailq`` output, one dict per message: ``id``, ``age``,
    ``age_minutes``, ``size``, ``sender``, ``login``, ``frozen``, ``error``,
    ``recipients`` (``address``, ``delivered``, ``generated``)."""

def queue(
    source: Union[_Text, "os.PathLike[str]"],
    *,
    top: int = 10,
    threshold: int = 1,
    now: Optional[int] = None,
    logs: Optional[_Source] = None,
    rotated: bool = False,
) -> Report:
    """The mail queue grouped for the spam hunt, as ``exim-log queue``: by
    ``script`` (with ``logs``), ``user``, ``auth_login``, ``host``, ``sender``, ``php_script``
    (X-PHP-Originating-Script), ``web_script`` and ``web_client``
    (X-PHP-Script), ``subject`` and ``recipient_domain``, with ages, frozen
    counts and the message ids of each row. ``source`` is a spool directory
    (a path), or ``exim -bp`` output (``str``/``bytes``, or a path to a file).
    Ages of spool files are counted at ``now`` (seconds since the epoch,
    default the current time). ``logs`` (mainlogs, as for ``lines()``) links
    each queued message to its arrival, as ``exim-log queue --log``: its
    ``cwd=`` counts under ``script`` and ``totals.linked``; a listing record
    gets the arrival's ``U=``, ``A=`` and ``H=``. The ``Report`` (``name``
    ``"queue"``) merges with other queue reports."""

def parse_access_line(line: _Text) -> dict[str, Any]:
    """One web server access-log line (common, combined or vhost_combined) as
    the dict of SCHEMA.md "Web access-log lines": ``client``, ``ident``,
    ``user``, ``time`` (ISO 8601), ``request``, ``status``, ``bytes``,
    ``referer``, ``user_agent``, ``vhost``, ``rest`` (absent values left
    out). ``ParseError`` (``kind`` ``"fields"``, ``"time"``, ``"request"`` or
    ``"status"``) when it is not one."""

@final
class AccessLines(Iterator[dict[str, Any]]):
    """The parsed lines of access-log files, returned by ``access_lines()``."""

    def __iter__(self) -> "AccessLines": ...
    def __next__(self) -> dict[str, Any]: ...

def access_lines(
    paths: Sequence[Union[str, "os.PathLike[str]"]],
    *,
    errors: Literal["raise", "skip"] = "raise",
) -> AccessLines:
    """The lines of access-log files (plain or gzip, read in the order given,
    e.g. a ``domlogs()`` set's ``files``), each as ``parse_access_line()``
    returns it. ``errors="skip"`` leaves out lines that are not access-log
    lines; otherwise ``ParseError`` names the file and line."""

def domlogs(dir: Union[str, "os.PathLike[str]"]) -> list[dict[str, Any]]:
    """The access-log sets of a cPanel ``domlogs`` folder (``DOMAIN``,
    ``USER/DOMAIN``, ``-ssl_log``, rotated and ``.gz``) or an account's
    ``logs`` folder: one dict per site and scheme, ``domain``, ``user``
    (``None`` when not in a user folder), ``ssl``, ``files`` (oldest first)."""

def web_origins(
    logs: Optional[_Source] = None,
    *,
    domlogs: Sequence[Union[str, "os.PathLike[str]"]],
    rotated: bool = False,
    window: int = 10,
    docroots: Optional[Sequence[tuple[str, str]]] = None,
    cpanel_userdata: Optional[Union[str, "os.PathLike[str]"]] = None,
    queue: Optional[Sequence[Union[str, "os.PathLike[str]"]]] = None,
    log_offset: int = 0,
    top: int = 5,
    memory_budget: Optional[int] = None,
) -> dict[str, Any]:
    """The web requests behind the mail scripts sent, as ``exim-log
    web-origins --json`` (SCHEMA.md "Web origins"): for each local submission
    of ``logs`` with a ``cwd=`` (and each message of the ``queue`` spool
    directories with a cPanel ``X-PHP-Script`` header), the requests in the
    ``domlogs`` folders under the script's directory at most ``window``
    seconds before the arrival; clients, URLs and user agents ranked by the
    messages they explain. ``docroots`` are ``(path, domain)`` pairs;
    ``cpanel_userdata`` is ``/var/cpanel/userdata``; ``log_offset`` the
    server's UTC offset in seconds (mainlog times are local).
    ``memory_budget`` (bytes, default 32 MiB) bounds the messages being
    assembled and, apart, the scripts' arrival times and tables: past it the
    arrival times are kept to coarser buckets (``resolution``), the scripts
    with fewest messages or the lightest rows dropped (``approximate``);
    ``memory`` says what was held."""
