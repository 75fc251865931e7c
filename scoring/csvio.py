"""Reading survey data from CSV into the columns a :class:`~scoring.Design` takes."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings

import numpy as np

_COMMA, _NEWLINE, _RETURN, _QUOTE = (ord(c) for c in ',\n\r"')
# A cell "-0", which pandas may read as 0 and float() reads as -0.0.
_NEGATIVE_ZERO = re.compile(rb"-0+[ \t]*\"?[ \t]*(?:,|\r|\n|$)")


def read_csv(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a CSV file with a header row into a dict of column arrays.

    A column whose every cell is a number or empty becomes floats, empty cells NaN (R's
    ``read.csv`` with ``NA`` written as an empty cell); any other column stays a str array.
    A number is what Python's ``float()`` reads, after surrounding spaces are stripped.

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
    UnicodeDecodeError
        The file is not UTF-8.
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
    """As :func:`read_csv`, and the file line on which each data row ends (for messages).

    Lines are counted as Python's ``csv`` module counts them (``reader.line_num``), and the
    result is the same as reading with it. A well-formed file is scanned with NumPy and
    parsed by pandas' C reader; anything unusual (a NUL byte, a lone carriage return, a
    quote that does not open or close a field) is read with the ``csv`` module instead.
    """
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data.isascii():
        data.decode("utf-8")  # UnicodeDecodeError, as reading the file as text would
    records = _scan(data)
    if records is None:
        return _read_with_csv_module(path, data.decode("utf-8"))
    starts, ends, fields, lines = records
    if not len(starts) or ends[0] == starts[0]:
        raise ValueError(f"{path}:1: no header row")
    header_text = data[starts[0] : ends[0]].decode("utf-8")
    header = _check_header(path, next(csv.reader(io.StringIO(header_text, newline=""))))
    blank = ends == starts
    blank[0] = True  # the header is not a data row
    fields, lines = fields[~blank], lines[~blank]
    wrong = np.flatnonzero(fields != len(header))
    if len(wrong):
        row = wrong[0]
        raise ValueError(
            f"{path}:{lines[row]}: {fields[row]} fields, but the header has {len(header)}"
        )
    if not len(lines):
        return {name: np.array([], dtype=float) for name in header}, lines
    columns = _parse_with_pandas(data, header, len(lines))
    if columns is None:
        return _read_with_csv_module(path, data.decode("utf-8"))
    return columns, lines


def _scan(data: bytes):
    """Record bounds, fields per record and the line each ends on; None if unusual."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    if b"\0" in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    separators = np.flatnonzero((buffer == _COMMA) | (buffer == _NEWLINE))
    is_newline = buffer[separators] == _NEWLINE
    newlines = separators[is_newline]
    quotes = np.flatnonzero(buffer == _QUOTE)
    if len(quotes):
        if not _quotes_are_plain(buffer, quotes):
            return None
        outside = np.searchsorted(quotes, separators) % 2 == 0
        ends_at = np.flatnonzero(outside[is_newline])
        is_newline = is_newline[outside]
    else:
        ends_at = np.arange(len(newlines))
    terminators = newlines[ends_at]
    lines = ends_at + 1
    # The k-th record ends at the k-th newline outside quotes; the separators before it that
    # are not newlines are the commas before it.
    rank = np.flatnonzero(is_newline)
    commas_before = rank - np.arange(len(rank))
    if len(data) and (not len(terminators) or terminators[-1] < len(data) - 1):
        terminators = np.append(terminators, len(data))  # a last line without a newline
        lines = np.append(lines, len(newlines) + 1)
        commas_before = np.append(commas_before, len(is_newline) - len(rank))
    starts = np.concatenate(([0], terminators[:-1] + 1))[: len(terminators)].astype(np.int64)
    ends = terminators.copy()
    has_return = np.zeros(len(ends), dtype=bool)
    inside = ends > starts
    has_return[inside] = buffer[ends[inside] - 1] == _RETURN
    ends = ends - has_return
    fields = np.diff(commas_before, prepend=0) + 1
    fields[ends == starts] = 0
    return starts, ends, fields, lines


def _quotes_are_plain(buffer: np.ndarray, quotes: np.ndarray) -> bool:
    """Every quote opens a field, closes it, or is a doubled quote inside it (Excel, R)."""
    if len(quotes) % 2:
        return False
    opens, closes = quotes[0::2], quotes[1::2]
    before = buffer[np.maximum(opens - 1, 0)]
    opens_field = (opens == 0) | (before == _COMMA) | (before == _NEWLINE)
    doubled = np.zeros(len(opens), dtype=bool)
    doubled[1:] = opens[1:] == closes[:-1] + 1
    if not (opens_field | doubled).all():
        return False
    after = buffer[np.minimum(closes + 1, len(buffer) - 1)]
    at_end = closes == len(buffer) - 1
    closes_field = at_end | (after == _COMMA) | (after == _NEWLINE) | (after == _RETURN)
    reopened = np.zeros(len(closes), dtype=bool)
    reopened[:-1] = opens[1:] == closes[:-1] + 1
    return bool((closes_field | reopened).all())


def _check_header(path, header: list[str]) -> list[str]:
    header = [name.strip() for name in header]
    if not header:
        raise ValueError(f"{path}:1: no header row")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValueError(f"{path}:1: column '{repeated[0]}' appears more than once")
    return header


def _parse_with_pandas(data: bytes, header: list[str], n_rows: int):
    import pandas as pd  # only the reader uses pandas; the rest of scoring does not

    options = dict(
        header=0,
        names=list(range(len(header))),
        encoding="utf-8",
        engine="c",
        quotechar='"',
        doublequote=True,
        skip_blank_lines=True,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""], **options)
            if len(frame) != n_rows:
                return None
            numeric = {}
            negative_zero = _NEGATIVE_ZERO.search(data) is not None
            for j in range(len(header)):
                if frame[j].dtype.kind in "iuf":
                    values = frame[j].to_numpy(dtype=float)
                    # pandas may read "-0" as 0; such a column is read again as text.
                    if not (negative_zero and (values == 0).any()):
                        numeric[j] = values
            del frame
            as_text = [j for j in range(len(header)) if j not in numeric]
            text = {}
            if as_text:
                frame = pd.read_csv(
                    io.BytesIO(data), usecols=as_text, dtype=object, na_filter=False, **options
                )
                if len(frame) != n_rows:
                    return None
                text = {j: _typed(np.asarray(frame[j].tolist(), dtype=str)) for j in as_text}
    except (pd.errors.ParserError, ValueError):
        return None
    return {name: numeric[j] if j in numeric else text[j] for j, name in enumerate(header)}


def _read_with_csv_module(path, text: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    reader = csv.reader(io.StringIO(text, newline=""))
    first = next(reader, None)
    if not first:
        raise ValueError(f"{path}:1: no header row")
    header = _check_header(path, first)
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
    if not rows:
        return {name: np.array([], dtype=float) for name in header}, np.array(lines, dtype=int)
    cells = list(zip(*rows, strict=True))
    del rows
    columns = {name: _typed(np.array(cells[j], dtype=str)) for j, name in enumerate(header)}
    return columns, np.array(lines, dtype=int)


def _typed(text: np.ndarray) -> np.ndarray:
    stripped = np.char.strip(text)
    try:
        return np.where(stripped == "", "nan", stripped).astype(float)
    except ValueError:
        return text
