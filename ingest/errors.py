"""The one error a load raises when the user can fix something: a file, a mapping or an option."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["LoadError", "first_line"]


class LoadError(Exception):
    """A load refused with a one-line message naming the file, and the row and column if known.

    Nothing has been written when this is raised: every load runs in one transaction. The CLI
    prints ``str(error)`` without a traceback, so the message must say what to do next.

    Parameters
    ----------
    message : str
        What is wrong (and, if there is one, the fix), without the file/row/column prefix.
    file : str or pathlib.Path, optional
        The file or folder being loaded (or the mapping file at fault).
    row : int, optional
        1-based data row (the header not counted).
    line : int, optional
        Line of that row in a text file (``row + 1`` when no field spans lines).
    column : str, optional
        The column at fault, as named in the file's header.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.line = line
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        position = []
        if self.row is not None:
            position.append(f"row {self.row}" + (f" (line {self.line})" if self.line is not None else ""))
        elif self.line is not None:
            position.append(f"line {self.line}")
        if self.column is not None:
            position.append(f"column {self.column!r}")
        if position:
            where.append(", ".join(position))
        # one line whatever the underlying library said: the CLI prints exactly this
        text = ": ".join(where + [self.message])
        return " ".join(text.split("\n"))


def first_line(exc: BaseException) -> str:
    """The first line of a library's error, without DuckDB's ``Invalid Input Error:``-style prefix."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return re.sub(r"^[A-Z][A-Za-z ]* Error: ", "", lines[0]) if lines else type(exc).__name__
