"""Reading an uploaded CSV file, the same way for every bulk upload (restriction changes, install-code
requests), so none of them answers a malformed file with a 500:

- a byte cap (``MAX_UPLOAD_BYTES``) the forms and serializers check on the upload's size before the
  file is read, and a row cap each parser applies counting every line, blank ones too, so neither a huge
  file nor millions of blank lines hold a web worker;
- strict UTF-8 (a byte-order mark allowed), refused naming the first line that is not;
- any line ending, as the csv module asks (``newline=""``): Excel for Mac's "CSV (Macintosh)" ends lines
  with a carriage return alone, which the csv module otherwise rejects;
- the csv module's own errors (a cell over ``csv.field_size_limit()``, 131,072 characters) refused
  naming the row, instead of escaping as ``_csv.Error``.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from portal.errors import ValidationFailed

#: About 100,000 rows of device ID, flag and a short reason: the largest file either upload needs.
MAX_UPLOAD_BYTES = 12 * 1024 * 1024
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // (1024 * 1024)


def upload_too_large(size: int | None, *, advice: str) -> str | None:
    """The message refusing an upload of ``size`` bytes over ``MAX_UPLOAD_BYTES``, or None if it fits."""
    if size is None or size <= MAX_UPLOAD_BYTES:
        return None
    return f"The file is larger than {MAX_UPLOAD_MB} MB: split it into smaller files. {advice}"


def csv_records(data: bytes | str, *, unchanged: str) -> Iterator[list[str]]:
    """The records of an uploaded CSV file in order, header first; a blank line is an empty record.

    Raises ``ValidationFailed`` for a file that is not UTF-8 (``bad_encoding``) or that the csv module
    cannot read (``bad_csv``), naming the line or row; ``unchanged`` ends the message ("Nothing was
    changed."). The file is at most ``MAX_UPLOAD_BYTES``, so it is decoded whole.
    """
    text = _decode(data, unchanged=unchanged) if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    read = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _unreadable(error, row=read, line=reader.line_num, unchanged=unchanged) from error
        read += 1
        yield record


def _decode(data: bytes, *, unchanged: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValidationFailed(
            f"The file is not UTF-8 text: save it as 'CSV UTF-8' and upload it again. {unchanged}",
            code="bad_encoding", errors={"file": [f"Line {line} is not UTF-8."]},
        ) from error


def _unreadable(error: csv.Error, *, row: int, line: int, unchanged: str) -> ValidationFailed:
    """``row`` records were read before this one; the header is record 1, so this is data row ``row``."""
    where = f"Row {row} (line {line})" if row else "The header row"
    if str(error).startswith("field larger than field limit"):
        problem = f"has a cell longer than {csv.field_size_limit():,} characters, more than any column needs"
    else:
        problem = f"cannot be read as CSV ({error})"
    return ValidationFailed(f"{where} {problem}. {unchanged}", code="bad_csv", errors={"file": [f"{where} {problem}."]})
