"""The fast paths give what the plain ones gave: level codes, and CSV columns and lines.

``encode_levels`` counts numeric labels instead of sorting their strings, and ``read_csv``
scans the file with NumPy and parses it with pandas; each is checked here against the
definition it replaced (sort the level strings; read with Python's ``csv`` module).
"""

import csv
import subprocess
import sys

import numpy as np
import pytest

from scoring import csvio, read_csv
from scoring.csvio import read_csv_with_lines
from scoring.design import encode_levels, level_strings


def encode_by_sorting_strings(values):
    strings = level_strings(values)
    labels, codes = np.unique(strings, return_inverse=True)
    labels = labels.tolist()
    if labels and labels[0] == "":
        return codes.reshape(strings.shape) - 1, labels[1:]
    return codes.reshape(strings.shape), labels


def read_with_csv_module(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [name.strip() for name in next(reader)]
        rows, lines = [], []
        for row in reader:
            if row:
                rows.append(row)
                lines.append(reader.line_num)
    columns = {}
    for j, name in enumerate(header):
        text = np.array([row[j] for row in rows], dtype=str)
        stripped = np.char.strip(text)
        try:
            columns[name] = np.where(stripped == "", "nan", stripped).astype(float)
        except ValueError:
            columns[name] = text
    return columns, lines


def assert_same_columns(got, expected):
    assert list(got) == list(expected)
    for name, column in expected.items():
        assert got[name].dtype.kind == column.dtype.kind, name
        if column.dtype.kind == "f":
            assert np.array_equal(got[name], column, equal_nan=True), name
            assert np.array_equal(np.signbit(got[name]), np.signbit(column)), name
        else:
            assert got[name].tolist() == column.tolist(), name


_rng = np.random.default_rng(7)


@pytest.mark.parametrize(
    "values",
    [
        _rng.integers(1, 2001, 5000).astype(float),
        _rng.integers(-3, 15, 500),
        np.where(_rng.random(500) < 0.1, np.nan, _rng.integers(0, 30, 500).astype(float)),
        np.array([1e300, 1, 2.5, np.nan, -0.0, 0.0, 1e16, 1e16 + 2]),
        np.array([2**62, 3, -(2**62)]),
        np.array([np.nan, np.nan]),
        np.array([3, 1, 2], dtype=np.uint8),
        np.array([True, False, True]),
        np.array(["b ", " a", "a", "", "10", "2"]),
    ],
    ids=["psu", "int", "nan", "odd-floats", "huge-int", "all-nan", "uint8", "bool", "str"],
)
def test_encoding_levels_by_value_gives_the_codes_of_sorting_their_strings(values):
    codes, labels = encode_levels(values)
    expected_codes, expected_labels = encode_by_sorting_strings(values)
    assert labels == expected_labels
    assert np.array_equal(codes, expected_codes)


def test_numeric_levels_stay_in_string_order_as_the_r_contract_sorts_them():
    codes, labels = encode_levels(np.array([2.0, 10, 1, 11, np.nan, 2]))
    assert labels == ["1", "10", "11", "2"]
    assert codes.tolist() == [3, 1, 0, 2, -1, 3]


AWKWARD = (
    "\ufeffvillage, y ,code,note,flag,z\r\n"
    '"A",1.5,007,"a, b",TRUE,-0\r\n'
    "\r\n"
    'B,,8,"two\r\nlines",FALSE,1_000\r\n'
    'C, 3 ,-0,"say ""hi""",TRUE,nan\r\n'
    '"",inf,9,,,\r\n'
    'E,-1e-3,10," x ",TRUE,2'
)


def test_reading_an_awkward_file_agrees_with_python_csv_module(tmp_path, monkeypatch):
    path = tmp_path / "awkward.csv"
    path.write_bytes(AWKWARD.encode("utf-8"))
    with monkeypatch.context() as patch:  # well-formed quoting: the fast path reads it
        patch.setattr(csvio, "_read_with_csv_module", None)
        columns, lines = read_csv_with_lines(path)
    expected, expected_lines = read_with_csv_module(path)
    assert_same_columns(columns, expected)
    assert lines.tolist() == expected_lines == [2, 5, 6, 7, 8]
    assert columns["note"].tolist() == ["a, b", "two\r\nlines", 'say "hi"', "", " x "]
    assert columns["flag"].dtype.kind == "U" and columns["z"].dtype.kind == "f"


@pytest.mark.parametrize(
    "body",
    ['a,b\n1,x"y\n2,"z"w\n', "a,b\r1,2\r3,4\r", 'a,b\n1,"open\n2,3\n'],
    ids=["quote-inside-a-field", "lone-carriage-returns", "unclosed-quote"],
)
def test_unusual_quoting_and_line_ends_read_as_the_csv_module_reads_them(tmp_path, body):
    path = tmp_path / "odd.csv"
    path.write_text(body, encoding="utf-8", newline="")
    columns, lines = read_csv_with_lines(path)
    expected, expected_lines = read_with_csv_module(path)
    assert_same_columns(columns, expected)
    assert lines.tolist() == expected_lines


def test_a_short_row_after_a_quoted_line_break_is_named_by_its_own_line(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('a,b\n"x\ny",1\n\n2\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"data.csv:5: 1 fields, but the header has 2"):
        read_csv(path)


def test_a_header_only_file_gives_empty_columns(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n\n", encoding="utf-8")
    columns, lines = read_csv_with_lines(path)
    assert list(columns) == ["a", "b"] and columns["a"].size == 0 and lines.size == 0


def test_an_empty_file_has_no_header_row(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"data.csv:1: no header row"):
        read_csv(path)


def test_a_file_that_is_not_utf8_raises_a_decode_error(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("a,b\n1,\u6751\n".encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        read_csv(path)


def test_the_library_imports_pandas_only_to_read_a_csv():
    code = (
        "import sys; import scoring; from scoring import Design, mean; "
        "d = Design({'y': [1.0, 2.0], 'v': ['a', 'b']}, clusters='v'); mean(d, 'y', by='v'); "
        "print('pandas' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
