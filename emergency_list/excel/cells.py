"""Cell safety (formula injection): whatever the platform writes into a workbook is read by
bureaus in Excel or WPS, and text a user typed (an enterprise name, a measure, a note) must
never run there.

Text starting with = + - @, a tab, CR or LF could be taken for a formula, and text equal to an
error code (#N/A, #REF!…) is stored by openpyxl as an error value; both are written as a
string cell (``data_type 's'``, an inline string in the XML, which Excel never evaluates) with
the quote-prefix style, so that editing the cell keeps it text too. Excel shows the text exactly
as written; prefixing an apostrophe instead would put the apostrophe into the data. Control
characters XML cannot carry are dropped (openpyxl would refuse the cell).
"""

from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.styles import Alignment

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")


def clean_text(value: str) -> str:
    """The text without the control characters XML cannot carry."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _cleaned(value: str) -> str:
    # isprintable() is fast and true for nearly every cell; the regex only runs otherwise.
    if not value.isprintable() and ILLEGAL_CHARACTERS_RE.search(value):
        return clean_text(value)
    return value


def is_formula_like(value: str) -> bool:
    """Whether a spreadsheet could take the text for a formula or an error code."""
    return value[:1] in FORMULA_TRIGGERS or value in ERROR_CODES


def _text_cell(ws, value: str, alignment: Alignment | None = None) -> Cell:
    cell = WriteOnlyCell(ws, value)
    cell.data_type = "s"
    cell.quotePrefix = True
    if alignment is not None:
        cell.alignment = alignment
    return cell


def safe_text(value, *, ws, alignment: Alignment | None = None):
    """A value as it must be written into a write-only sheet: formula-like text becomes a
    quote-prefixed string cell (with ``alignment`` when given); other text is cleaned of
    illegal characters; everything else, numbers included, is returned unchanged."""
    if not isinstance(value, str):
        return value
    value = _cleaned(value)
    if is_formula_like(value):
        return _text_cell(ws, value, alignment)
    return value


def safe_cell(ws, value) -> Cell:
    """Always a cell (to be styled), holding ``value`` written as ``safe_text`` writes it."""
    if isinstance(value, str):
        value = _cleaned(value)
        if is_formula_like(value):
            return _text_cell(ws, value)
    return WriteOnlyCell(ws, value)
