"""Fast, exact parser for Exim mail server logs.

See ``__init__.pyi`` (shown by IDEs and ``help()``) for the documented API.
"""

from exim_log._exim_log import (
    Line,
    LineReader,
    ParseError,
    Record,
    __version__,
    lines,
    parse_line,
)

__all__ = [
    "Line",
    "LineReader",
    "ParseError",
    "Record",
    "__version__",
    "lines",
    "parse_line",
]
