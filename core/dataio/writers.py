"""Streaming writers for the export formats, each the mirror of its reader in readers.py.

json is a top-level array and jsonl one document per line, as the API renders them. csv and
xlsx have one column per field: numbers and booleans as such, text as text, lists and objects
as JSON (a list column also reads back from `a;b`), and null as an empty cell (an empty cell
imports as "absent"). A column that holds any JSON value (a setting's value) is written as
JSON even when the value is text, so it reads back with its type.
"""

import codecs
import contextlib
import csv
import datetime as dt
import decimal
import io

import orjson

XLSX_MAX_ROWS = 1_048_575  # a worksheet has 1,048,576 rows, one of them the header


class ExportError(ValueError):
    """The rows cannot be written in the format asked for."""


def _default(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value) -> bytes:
    return orjson.dumps(value, default=_default)


def cell_text(value, *, as_json=False) -> str:
    """A value as a CSV cell."""
    if value is None:
        return ""
    if as_json or isinstance(value, (list, dict)):
        return dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class Writer:
    def __init__(self, stream, columns: list[str], *, json_columns=(), title="data"):
        self.stream = stream  # binary
        self.columns = columns
        self.json_columns = set(json_columns)
        self.title = title
        self.count = 0

    def write(self, doc: dict) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def abort(self) -> None:
        """Stop after a failure: release what the writer holds (the stream stays open)."""


class JsonWriter(Writer):
    def write(self, doc):
        self.stream.write((b",\n" if self.count else b"[\n") + dumps(doc))
        self.count += 1

    def close(self):
        self.stream.write(b"\n]\n" if self.count else b"[]\n")


class JsonLinesWriter(Writer):
    def write(self, doc):
        self.stream.write(dumps(doc) + b"\n")
        self.count += 1


class CsvWriter(Writer):
    def __init__(self, stream, columns, *, bom=False, **kwargs):
        super().__init__(stream, columns, **kwargs)
        if bom:
            stream.write(codecs.BOM_UTF8)  # lets Excel read the file as UTF-8
        self.text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.text)
        self.csv.writerow(columns)

    def write(self, doc):
        json_columns = self.json_columns
        self.csv.writerow([cell_text(doc.get(c), as_json=c in json_columns) for c in self.columns])
        self.count += 1

    def close(self):
        self.text.flush()
        self.text.detach()  # leave the caller's stream open


class XlsxWriter(Writer):
    """openpyxl's write-only workbook: rows go to a temporary file as they come."""

    def __init__(self, stream, columns, **kwargs):
        from openpyxl import Workbook

        super().__init__(stream, columns, **kwargs)
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title=_sheet_title(self.title))
        self.sheet.append(columns)

    def _cell(self, value, as_json):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        if value is None:
            return None
        if as_json or isinstance(value, (list, dict)):
            value = dumps(value).decode()
        if isinstance(value, str):
            cell = WriteOnlyCell(self.sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # text, even when it starts with '=' (never a formula)
            return cell
        return value

    def write(self, doc):
        if self.count >= XLSX_MAX_ROWS:
            raise ExportError(f"An xlsx worksheet holds at most {XLSX_MAX_ROWS:,} rows: export as csv or jsonl.")
        json_columns = self.json_columns
        self.sheet.append([self._cell(doc.get(c), c in json_columns) for c in self.columns])
        self.count += 1

    def close(self):
        self.workbook.save(self.stream)

    def abort(self):
        with contextlib.suppress(Exception):
            self.sheet.close()  # ends the sheet's row generator and its temporary file


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, "-")
    return title[:31] or "data"


WRITERS = {"csv": CsvWriter, "json": JsonWriter, "jsonl": JsonLinesWriter, "xlsx": XlsxWriter}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def make_writer(fmt: str, stream, columns, **kwargs) -> Writer:
    if fmt not in WRITERS:
        raise ValueError(f"Unknown format {fmt!r}: use {'|'.join(WRITERS)}.")
    if fmt != "csv":
        kwargs.pop("bom", None)
    return WRITERS[fmt](stream, columns, **kwargs)
