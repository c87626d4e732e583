"""Streaming readers for the import formats: csv, json (a top-level array, or an API list
response `{"data": [...]}`), jsonl, xlsx.

Each reader makes two passes over the file. The scan (`open_source`) reads it through once
without keeping rows: it checks what would stop the import as a whole (wrong encoding, broken
CSV quoting, invalid JSON, not a workbook), learns the columns (the CSV/XLSX header, the keys of
the JSON documents) and counts the rows for the progress line, so a file-level problem is
reported before anything is written. Iterating the source then yields `(row number, row)`: a
dict of column -> value (text cells for csv/xlsx, JSON values for json/jsonl), or a `Malformed`
naming what is wrong with that one row. Memory stays flat whatever the file's size.

Row numbers are what a person finds the row by: the spreadsheet row for csv/xlsx (the header
is row 1), the document's position for json, the line for jsonl.
"""

import codecs
import contextlib
import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

FORMATS = ("csv", "json", "jsonl", "xlsx")
EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
MAX_COLUMNS = 2000
csv.field_size_limit(16 * 1024 * 1024)  # a JSON cell may be long; the default 128 KiB is not


class FileError(Exception):
    """The file as a whole cannot be imported; nothing is written."""


@dataclass
class Malformed:
    message: str


def guess_format(path: str) -> str | None:
    return EXTENSIONS.get(os.path.splitext(str(path))[1].lower())


def open_source(path, fmt: str | None = None) -> "Source":
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise FileError(
            f"Cannot tell the format from the file name '{os.path.basename(str(path))}': "
            f"give it ({'|'.join(FORMATS)}, --format on the command line)."
        )
    source = {"csv": CsvSource, "json": JsonSource, "jsonl": JsonLinesSource, "xlsx": XlsxSource}[fmt](path)
    try:
        _check_content(path, fmt)
        source.scan()
    except OSError as exc:
        raise FileError(f"The file cannot be read: {exc.strerror or exc}.") from None
    return source


def _check_content(path, fmt: str) -> None:
    """Refuse a file whose first bytes say it is another format than the one it is read as
    (an extension or a --format that does not match the content), before reading it as such."""
    with open(path, "rb") as raw:
        head = raw.read(512)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return  # text in another encoding: the reader says so
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError("The file is an old Excel workbook (.xls): save it as .xlsx or as 'CSV UTF-8'.")
    is_zip = head.startswith(b"PK\x03\x04")
    if fmt == "xlsx":
        if head and not is_zip:
            kind = "JSON: read it as json or jsonl" if _first_char(head) in ("[", "{") else "text: read it as csv"
            raise FileError(f"The file is not an xlsx workbook; it looks like {kind} (--format).")
        return
    if is_zip:
        raise FileError(
            f"The file is an xlsx workbook (a zip archive), not {fmt} text: read it as xlsx (--format xlsx)."
        )
    first = _first_char(head)
    if fmt == "csv" and first in ("[", "{"):
        raise FileError(
            f"The file looks like JSON (it starts with '{first}'), not CSV: read it as json or jsonl (--format)."
        )
    if fmt == "json" and first not in ("", "[", "{"):
        raise FileError(
            f"The file is not JSON: it starts with {_start(head)!r}. A json file holds an array of "
            "documents ('[' first); read a CSV file as csv (--format csv)."
        )
    if fmt == "jsonl" and first not in ("", "{"):
        what = (
            "a JSON array: read it as json (--format json)"
            if first == "["
            else "not JSON lines (one {...} document a line)"
        )
        raise FileError(f"The file is {what}.")


def _first_char(head: bytes) -> str:
    """The first character after a UTF-8 BOM and blanks ('' for none, '?' for non-ASCII)."""
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return chr(text[0]) if text and text[0] < 128 else ("?" if text else "")


def _start(head: bytes) -> str:
    text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", "replace").strip()
    return text.splitlines()[0][:40] if text else ""


class Source:
    format = ""
    typed = False  # values are JSON values (json/jsonl) rather than text cells (csv/xlsx)

    def __init__(self, path):
        self.path = path
        self.columns: list[str] = []
        self.total: int | None = None

    def scan(self) -> None:
        raise NotImplementedError

    def __iter__(self) -> Iterator[tuple[int, dict | Malformed]]:
        raise NotImplementedError


# Text -----------------------------------------------------------------------------------------
def _check_bom(path) -> None:
    with open(path, "rb") as raw:
        head = raw.read(4)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise FileError("The file is UTF-16 text. Save it as UTF-8 (in Excel: 'CSV UTF-8').")


def _encoding_error(exc: UnicodeDecodeError, line: int) -> FileError:
    byte = exc.object[exc.start : exc.start + 1].hex()
    return FileError(
        f"The file is not UTF-8 text: byte 0x{byte} near line {line} cannot be decoded. "
        "Save it as UTF-8 (in Excel: 'CSV UTF-8')."
    )


def _open_text(path):
    _check_bom(path)
    return open(path, encoding="utf-8-sig", errors="strict", newline="")


class CsvSource(Source):
    format = "csv"

    def _dialect(self):
        with _open_text(self.path) as text:
            try:
                first = text.readline()
            except UnicodeDecodeError as exc:
                raise _encoding_error(exc, 1) from None
        # Spreadsheets in some locales separate with ';' or tabs: take the header's separator.
        counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
        delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
        return {"delimiter": delimiter}

    def _reader(self, text):
        return csv.reader(text, strict=True, **self.dialect)

    def scan(self) -> None:
        self.dialect = self._dialect()
        with _open_text(self.path) as text:
            reader = self._reader(text)
            try:
                header = next(reader, None)
                if not header or not any(cell.strip() for cell in header):
                    raise FileError("The file is empty: the first row must name the columns.")
                self.columns = _header(header)
                total = 0
                for cells in reader:
                    if not _blank(cells):
                        total += 1
            except UnicodeDecodeError as exc:
                raise _encoding_error(exc, reader.line_num + 1) from None
            except csv.Error as exc:
                raise FileError(f"Line {reader.line_num}: the CSV is malformed ({exc}).") from None
        self.total = total

    def __iter__(self):
        columns = self.columns
        for number, cells in self.iter_cells():
            yield number, cells if isinstance(cells, Malformed) else dict(zip(columns, cells, strict=True))

    def iter_cells(self):
        """(row number, the row's cells in header order | Malformed): what __iter__ yields,
        without a dict per row (the import engine zips the cells with its column plan)."""
        width = len(self.columns)
        with _open_text(self.path) as text:
            reader = self._reader(text)
            next(reader)
            number = 1
            for cells in reader:
                number += 1
                if _blank(cells):
                    continue  # a blank line, or a row of empty cells (',,,': spreadsheets leave them)
                if len(cells) != width:
                    yield number, Malformed(f"The row has {len(cells)} cells; the header has {width} columns.")
                    continue
                yield number, cells


def _blank(cells) -> bool:
    """No cell of the CSV row has a value (the first cell is tested alone: most rows stop there)."""
    return not cells or (not cells[0].strip() and not "".join(cells).strip())


def _header(cells) -> list[str]:
    columns = [str(cell).strip() if cell is not None else "" for cell in cells]
    while columns and not columns[-1]:
        columns.pop()  # trailing empty header cells (spreadsheets leave them)
    if len(columns) > MAX_COLUMNS:
        raise FileError(f"The header has {len(columns)} columns; at most {MAX_COLUMNS} are read.")
    for index, name in enumerate(columns, start=1):
        if not name:
            raise FileError(f"Column {index} of the header has no name.")
    seen = set()
    for name in columns:
        if name in seen:
            raise FileError(f"Column '{name}' appears twice in the header.")
        seen.add(name)
    return columns


# JSON -----------------------------------------------------------------------------------------
def _track_keys(keys: dict, document) -> None:
    if isinstance(document, dict):
        for key in document:
            if key not in keys:
                if len(keys) >= MAX_COLUMNS:
                    raise FileError(f"The documents have more than {MAX_COLUMNS} distinct keys.")
                keys[key] = None


class JsonSource(Source):
    """A top-level JSON array of documents, decoded one document at a time."""

    format = "json"
    typed = True
    CHUNK = 1 << 16
    ENVELOPE_KEYS = ("data", "result")  # where the API's list envelopes put the documents

    def scan(self) -> None:
        keys, total = {}, 0
        for _number, document in self._documents():
            _track_keys(keys, document)
            total += 1
        self.columns, self.total = list(keys), total

    def __iter__(self):
        for number, document in self._documents():
            if isinstance(document, dict):
                yield number, document
            else:
                yield number, Malformed(f"Expected a JSON object, got {type(document).__name__}.")

    def _documents(self):
        decoder = json.JSONDecoder()
        with _open_text(self.path) as text:
            reader = _Buffer(text, self.CHUNK)
            first = reader.next_char()
            if first == "{":
                yield from self._enveloped(reader, decoder)
            elif first == "[":
                yield from self._array(reader, decoder)
            else:
                raise reader.error("Expected a JSON array of documents ('[' first)")
            if reader.next_char() != "":
                raise reader.error(f"Unexpected content after the {'array' if first == '[' else 'object'}")

    @staticmethod
    def _array(reader, decoder):
        reader.pos += 1  # '['
        number = 0
        if reader.next_char() == "]":
            reader.pos += 1
            return
        while True:
            document = reader.decode(decoder)
            number += 1
            yield number, document
            char = reader.next_char()
            reader.pos += 1
            if char == "]":
                return
            if char != ",":
                raise reader.error("Expected ',' or ']' after a document", back=1)

    def _enveloped(self, reader, decoder):
        """An API list response saved as it came (`{"data": [...], "total_result": 3, ...}`):
        the documents are the array under one of ENVELOPE_KEYS; the other members are read
        and dropped."""
        reader.pos += 1  # '{'
        found = False
        if reader.next_char() == "}":
            reader.pos += 1
        else:
            while True:
                if reader.next_char() != '"':
                    raise reader.error("Expected a key in double quotes")
                key = reader.decode(decoder)
                if reader.next_char() != ":":
                    raise reader.error("Expected ':' after a key")
                reader.pos += 1
                if key in self.ENVELOPE_KEYS and not found and reader.next_char() == "[":
                    found = True
                    yield from self._array(reader, decoder)
                else:
                    reader.decode(decoder)
                char = reader.next_char()
                reader.pos += 1
                if char == "}":
                    break
                if char != ",":
                    raise reader.error("Expected ',' or '}' after a member", back=1)
        if not found:
            raise FileError(
                "The file is a JSON object, not an array of documents: put the documents in a top-level "
                'array ([{...}, {...}]); an API list response ({"data": [...]}) is read as well.'
            )


class _Buffer:
    """A window on a text stream for JSONDecoder.raw_decode: grows when a value does not fit
    yet, drops what has been consumed, and counts lines for error messages."""

    def __init__(self, text, chunk):
        self.text, self.chunk = text, chunk
        self.buf, self.pos, self.eof = "", 0, False
        self.line_base = 1  # lines in the text dropped before `buf`

    def _more(self, size) -> bool:
        if self.eof:
            return False
        try:
            data = self.text.read(size)
        except UnicodeDecodeError as exc:
            raise _encoding_error(exc, self.line_base + self.buf.count("\n")) from None
        if not data:
            self.eof = True
            return False
        if self.pos > 1 << 20:
            self.line_base += self.buf.count("\n", 0, self.pos)
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += data
        return True

    def next_char(self) -> str:
        """The next non-blank character ('' at the end), without consuming it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more(self.chunk):
                return ""

    def decode(self, decoder):
        self.next_char()
        while True:
            try:
                value, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # Out of text mid-value: read more (at least as much again) and retry.
                if self._more(max(self.chunk, len(self.buf) - self.pos)):
                    continue
                raise self.error(f"Invalid JSON ({exc.msg})", at=exc.pos) from None
            if end == len(self.buf) and self._more(self.chunk):
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def error(self, message, *, at=None, back=0) -> FileError:
        at = (self.pos if at is None else at) - back
        line = self.line_base + self.buf.count("\n", 0, at)
        column = at - (self.buf.rfind("\n", 0, at) + 1) + 1
        return FileError(f"{message} at line {line}, column {column}.")


class JsonLinesSource(Source):
    """One JSON document per line; a line that is not valid JSON is that row's error."""

    format = "jsonl"
    typed = True

    def _lines(self):
        with _open_text(self.path) as text:
            number = 0
            try:
                for line in text:
                    number += 1
                    if line.strip():
                        yield number, line
            except UnicodeDecodeError as exc:
                raise _encoding_error(exc, number + 1) from None

    def scan(self) -> None:
        keys, total = {}, 0
        for _number, line in self._lines():
            total += 1
            with contextlib.suppress(json.JSONDecodeError):  # reported on that row
                _track_keys(keys, json.loads(line))
        self.columns, self.total = list(keys), total

    def __iter__(self):
        for number, line in self._lines():
            try:
                document = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, Malformed(f"Invalid JSON: {exc.msg} at column {exc.colno}.")
                continue
            if isinstance(document, dict):
                yield number, document
            else:
                yield number, Malformed(f"Expected a JSON object, got {type(document).__name__}.")


# XLSX -----------------------------------------------------------------------------------------
class XlsxSource(Source):
    """The first worksheet of a workbook, read in openpyxl's read-only (streaming) mode."""

    format = "xlsx"

    def _open(self):
        import zipfile

        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise FileError(f"The file is not a valid .xlsx workbook ({exc}).") from None
        if not workbook.worksheets:
            workbook.close()
            raise FileError("The workbook has no worksheet.")
        return workbook

    def scan(self) -> None:
        workbook = self._open()
        try:
            sheet = workbook.worksheets[0]
            header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), None)
            if not header or all(cell is None for cell in header):
                raise FileError("The first worksheet is empty: its first row must name the columns.")
            bad = [cell for cell in header if cell is not None and not isinstance(cell, str)]
            if bad:
                raise FileError(f"Header cells must be text; found {bad[0]!r}.")
            self.columns = _header(header)
            rows = sheet.max_row  # from the sheet's dimension; None when the writer left it out
            self.total = max(rows - 1, 0) if rows else None
        finally:
            workbook.close()

    def __iter__(self):
        workbook = self._open()
        columns = self.columns
        width = len(columns)
        try:
            sheet = workbook.worksheets[0]
            for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
                if all(cell is None or (type(cell) is str and not cell.strip()) for cell in cells):
                    continue  # an empty row (or one of blank text cells)
                extra = [cell for cell in cells[width:] if cell is not None and cell != ""]
                if extra:
                    yield number, Malformed(f"The row has values beyond the header's {width} columns.")
                    continue
                cells = tuple(cells[:width]) + (None,) * (width - len(cells))
                yield number, dict(zip(columns, cells, strict=True))
        finally:
            workbook.close()
