"""Reading a CSV export: its encoding, byte-order mark, delimiter, header and hash.

Exports come from spreadsheets and other CRMs in whatever encoding they were
saved in. The file is read as bytes once (its SHA-256 names it in the
progress marker and in fallback source ids) and decoded by the first rule
that holds: a byte-order mark (UTF-8, UTF-16 LE/BE) decides; otherwise
strict UTF-8; otherwise Windows-1252 (Excel's "CSV" on Western systems).
The delimiter is sniffed among ``, ; TAB |`` from the first lines unless
given.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import attrs

from relationship_core.exceptions import ValidationError

__all__ = ["CsvSource", "read_source"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DELIMITERS = ",;\t|"


@attrs.frozen
class CsvSource:
    """A decoded CSV file, ready to be read row by row.

    Attributes:
        name: Where it came from (the path as given), for messages.
        text: The decoded text.
        encoding: The encoding it was read with (``"utf-8-sig"``, ``"cp1252"`` ...).
        delimiter: The field delimiter.
        digest: The SHA-256 of the file's bytes, hex.
        header: The column names of the first line, stripped.
    """

    name: str
    text: str = attrs.field(repr=False)
    encoding: str
    delimiter: str
    digest: str
    header: tuple[str, ...]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(line, cells)`` for every data row; *line* is the row's first line in the file.

        Blank lines are skipped; the header is line 1.
        """
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        next(reader, None)
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield line, cells
            line = reader.line_num + 1


def _decode(data: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    if encoding is not None:
        if not isinstance(encoding, str):
            raise ValidationError("encoding", encoding, "an encoding's name, e.g. 'utf-8'")
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError, ValueError) as error:  # ValueError: a NUL in it
            raise ValidationError("encoding", encoding, f"cannot decode {name}: {error}") from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as error:
                raise ValidationError("file", name, f"not valid {codec}: {error}") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _delimiter(text: str, given: str | None) -> str:
    if given is not None:
        if not isinstance(given, str) or len(given) != 1 or given in '\r\n"':
            raise ValidationError("delimiter", given, "one character, not a quote or newline")
        return given
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_source(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> CsvSource:
    """Read and decode the CSV file at *path* (see the module for the rules)."""
    if not isinstance(path, str | Path):
        raise ValidationError("path", path, "the CSV file's path (a str or Path)")
    name = str(path)
    if "\x00" in name:  # the OS refuses it with a bare ValueError
        raise ValidationError("path", name, "a path cannot hold a NUL character")
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ValidationError("file", name, f"cannot be read: {error.strerror or error}") from None
    text, used = _decode(data, encoding, name)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ValidationError("file", name, "is empty; expected a header line and rows")
    sep = _delimiter(text, delimiter)
    first = next(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    header = tuple(cell.strip() for cell in first)
    seen: set[str] = set()
    for column in header:
        key = column.casefold()
        if key and key in seen:
            raise ValidationError(
                "header", column, "appears twice; every column needs its own name"
            )
        seen.add(key)
    return CsvSource(name, text, used, sep, hashlib.sha256(data).hexdigest(), header)
