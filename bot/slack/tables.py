"""GitHub-flavoured tables as aligned code blocks: Slack's markdown block renders no tables.

Cells are flattened to plain text (links keep their label, emphasis and code marks go), and
columns are padded to the display width of their widest cell (East Asian wide characters count
twice). Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata

from bot.markdown import INLINE_RE, scan, unbracket

_TICKS_RE = re.compile(r"`+")
_SEP_CELL_RE = re.compile(r":?-+:?")


def tables_to_code(markdown: str) -> str:
    """Replace each GFM table outside code by an aligned plain-text table in a code block."""
    lines = [(line, before is None and after is None) for _, line, before, after in scan(markdown)]
    out: list[str] = []
    index = 0
    while index < len(lines):
        end = _table_end(lines, index)
        if end == index:
            out.append(lines[index][0])
            end += 1
        else:
            out.append(_render_table([line for line, _ in lines[index:end]]))
        index = end
    return "".join(out)


def _table_end(lines: list[tuple[str, bool]], start: int) -> int:
    """Return the index after the table starting at ``start``, or ``start`` if none does."""
    if start + 1 >= len(lines) or not (lines[start][1] and lines[start + 1][1]):
        return start
    header, aligns = lines[start][0], _alignments(lines[start + 1][0])
    if "|" not in header or aligns is None or len(_cells(header)) != len(aligns):
        return start
    end = start + 2
    while end < len(lines) and lines[end][1] and "|" in lines[end][0] and lines[end][0].strip():
        end += 1
    return end


def _alignments(row: str) -> list[str] | None:
    """Return the column alignments (format specs) of a separator row, or None if it is not one."""
    cells = _cells(row)
    if "|" not in row or not all(_SEP_CELL_RE.fullmatch(cell) for cell in cells):
        return None
    return [">" if c[-1] == ":" and c[0] != ":" else "^" if c[-1] == ":" else "<" for c in cells]


def _cells(row: str) -> list[str]:
    """Split a table row into its cells, without the outer pipes."""
    row = row.strip().removeprefix("|")
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)]


def _render_table(lines: list[str]) -> str:
    """Return a table's lines as a fenced block of padded columns."""
    aligns = _alignments(lines[1]) or []
    rows = [
        ([_flatten(c) for c in _cells(line)] + [""] * len(aligns))[: len(aligns)] for line in lines
    ]
    del rows[1]
    widths = [max(_width(row[col]) for row in rows) or 1 for col in range(len(aligns))]
    body = [" | ".join(map(_pad, row, widths, aligns)).rstrip() for row in rows]
    body.insert(1, "-+-".join("-" * width for width in widths))
    runs = [len(run) for run in _TICKS_RE.findall("".join(body))]
    marker = "`" * max(3, max(runs, default=0) + 1)  # longer than any backtick run inside
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    text = "".join(f"{indent}{line}\n" for line in [marker, *body]) + indent + marker
    return text + ("\n" if lines[-1].endswith("\n") else "")


def _flatten(cell: str) -> str:
    """Reduce a cell's inline markdown to plain text."""
    cell = re.sub(r"<br\s*/?>", " ", cell)
    parts: list[str] = []
    position = 0
    for match in INLINE_RE.finditer(cell):
        parts += [_strip_emphasis(cell[position : match.start()]), _flatten_inline(match)]
        position = match.end()
    return " ".join("".join([*parts, _strip_emphasis(cell[position:])]).split())


def _flatten_inline(match: re.Match[str]) -> str:
    """Return a code span's code, or a link as "text (target)"."""
    if match.group("code") is not None:
        return match.group()[len(match.group("ticks")) : -len(match.group("ticks"))].strip()
    text, dest = _flatten(match.group("text")), unbracket(match.group("dest"))
    return text if dest in ("", text) else dest if not text else f"{text} ({dest})"


def _strip_emphasis(text: str) -> str:
    """Remove emphasis markers around words."""
    text = re.sub(r"(\*\*|__|~~)(.+?)\1", r"\2", text)
    return re.sub(r"(?<!\w)([*_])(?!\s)(.+?)(?<!\s)\1(?!\w)", r"\2", text)


def _width(text: str) -> int:
    """Return how many monospace columns ``text`` takes."""
    wide = ("W", "F")
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in wide else 1
        for c in text
    )


def _pad(text: str, width: int, align: str) -> str:
    """Pad ``text`` to ``width`` columns, aligned left, right or centre."""
    gap = width - _width(text)
    left = {"<": 0, ">": gap, "^": gap // 2}[align]
    return " " * left + text + " " * (gap - left)
