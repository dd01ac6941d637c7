"""What a format module provides: a ``Format`` that detects its files and turns their records
into canonical ``Row``s (column name → text as given). Types are parsed later, by the pipeline,
with the same cell rules for every format."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from clients.imports.reading import FileProblem, looks_like_total, records


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    description: str
    example: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(slots=True)
class Row:
    number: int
    values: dict[str, str]
    # The file's own name of each canonical column (for messages).
    columns: dict[str, str] = field(default_factory=dict)
    # (column, message): problems the format found itself (a total row).
    problems: list[tuple[str, str]] = field(default_factory=list)
    skip: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    file_name: str
    text: io.TextIOBase
    delimiter: str


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    label: str
    kind: str
    description: str
    detect: Callable[[str, str], bool]
    rows: Callable[[Source], Iterator[Row]]
    columns: tuple[Column, ...] = ()
    template: str = ""  # a template file's contents (generic formats)
    sample: str = ""  # the sample file in tests/data/imports


def normalize(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def header_map(header: list[str], columns: tuple[Column, ...]) -> dict[int, str]:
    """Index in the record → canonical column; refuses a header missing a required column."""
    lookup: dict[str, str] = {}
    for column in columns:
        for alias in (column.name, *column.aliases):
            lookup[normalize(alias)] = column.name
    mapping = {i: lookup[normalize(h)] for i, h in enumerate(header) if normalize(h) in lookup}
    missing = [c.name for c in columns if c.required and c.name not in mapping.values()]
    if missing:
        found = ", ".join(h for h in header if h) or "nothing"
        raise FileProblem(
            f"The header is missing the column(s) {', '.join(missing)} (found: {found}).",
            row=1,
            column=missing[0],
        )
    return mapping


def tabular_rows(source: Source, columns: tuple[Column, ...]) -> Iterator[Row]:
    """Rows of a plain table: a header line, then one record per row."""
    mapping: dict[int, str] | None = None
    header: list[str] = []
    for number, cells in records(source.text, source.delimiter):
        if not any(cells):
            continue
        if mapping is None:
            header = cells
            mapping = header_map(cells, columns)
            continue
        values = {name: cells[i] if i < len(cells) else "" for i, name in mapping.items()}
        row = Row(number, values, {name: header[i] for i, name in mapping.items()})
        total = looks_like_total(cells)
        if total:
            row.problems.append(
                (
                    header[0] if header else "",
                    f"This is a total row ({total!r}), not a holding: remove it from the file.",
                )
            )
        if len(cells) > len(header) and any(cells[len(header) :]):
            row.problems.append(
                (
                    "",
                    f"The row has {len(cells)} cells, the header {len(header)}: a delimiter "
                    "inside an unquoted value? Quote it or use another delimiter.",
                )
            )
        yield row
    if mapping is None:
        raise FileProblem("The file is empty: no header and no rows.", row=1)
