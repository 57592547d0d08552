"""Fast, exact parser for Exim mail server logs.

See ``__init__.pyi`` (shown by IDEs and ``help()``) for the documented API.
"""

from exim_log._exim_log import (
    Fields,
    Line,
    LineReader,
    LinkedArguments,
    LogSelector,
    Message,
    MessageReader,
    ParseError,
    Received,
    __version__,
    exim_message_ids,
    lines,
    messages,
    parse_line,
    parse_log_selector,
    parse_received,
    received_headers,
    trace,
)

__all__ = [
    "Fields",
    "Line",
    "LineReader",
    "LinkedArguments",
    "LogSelector",
    "Message",
    "MessageReader",
    "ParseError",
    "Received",
    "__version__",
    "exim_message_ids",
    "lines",
    "messages",
    "parse_line",
    "parse_log_selector",
    "parse_received",
    "received_headers",
    "trace",
]
