"""Reading survey data from CSV into the columns a :class:`~scoring.Design` takes."""

from __future__ import annotations

import csv
import os

import numpy as np


def read_csv(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a CSV file with a header row into a dict of column arrays.

    A column whose every cell is a number or empty becomes floats, empty cells NaN (R's
    ``read.csv`` with ``NA`` written as an empty cell); any other column stays a str array.

    Parameters
    ----------
    path : str or path-like
        UTF-8 (a byte-order mark is allowed), comma-separated, quoted as Excel and R write.

    Returns
    -------
    dict of str to ndarray

    Raises
    ------
    OSError
        The file cannot be read.
    ValueError
        ``path:line: ...`` for a missing header, a repeated column name or a row with the
        wrong number of fields.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = p.write_text("village,y\\nA,1\\nB,\\n")
    >>> read_csv(p)
    {'village': array(['A', 'B'], dtype='<U1'), 'y': array([ 1., nan])}
    """
    columns, _ = read_csv_with_lines(path)
    return columns


def read_csv_with_lines(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """As :func:`read_csv`, and the file line on which each data row ends (for messages)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise ValueError(f"{path}:1: no header row")
        header = [name.strip() for name in header]
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise ValueError(f"{path}:1: column '{repeated[0]}' appears more than once")
        rows, lines = [], []
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"{path}:{reader.line_num}: {len(row)} fields, but the header has {len(header)}"
                )
            rows.append(row)
            lines.append(reader.line_num)
    cells = np.array(rows, dtype=str).reshape(len(rows), len(header))
    columns = {name: _typed(cells[:, j]) for j, name in enumerate(header)}
    return columns, np.array(lines, dtype=int)


def _typed(text: np.ndarray) -> np.ndarray:
    stripped = np.char.strip(text)
    try:
        return np.where(stripped == "", "nan", stripped).astype(float)
    except ValueError:
        return text
