"""``exim_log.Fields``: the nested objects of a line (``host``, ``tls``, ``auth``, ...)
as dicts that also allow attribute access (``line.host.ip``).

Written in Python rather than in the extension: the wheel uses CPython's stable ABI
(one wheel for every CPython >= 3.9), which cannot subclass ``dict`` from native code
before 3.12. The extension builds these objects by calling this class.
"""

from typing import Any


class Fields(dict):  # type: ignore[type-arg]
    """A nested object of a parsed line: a ``dict`` whose keys are also attributes.
    Absent keys read as ``None``, as on ``Line``."""

    __slots__ = ()

    # ``__getattribute__`` rather than ``__getattr__``: the keys are what scripts read
    # (``line.host.ip``), and a ``__getattr__`` would only run after the normal lookup
    # failed and built an AttributeError. A key therefore wins over a ``dict`` method
    # of the same name in attribute access (no schema key is named like one).
    def __getattribute__(self, name: str) -> Any:
        try:
            return dict.__getitem__(self, name)
        except KeyError:
            pass
        try:
            return object.__getattribute__(self, name)
        except AttributeError:
            if name.startswith("_"):
                raise
            return None

    def __repr__(self) -> str:
        return f"Fields({dict.__repr__(self)})"


# Shown, and pickled, as ``exim_log.Fields``.
Fields.__module__ = "exim_log"
Fields.__qualname__ = "Fields"
