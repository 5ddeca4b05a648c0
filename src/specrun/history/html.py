"""Small HTML building blocks for the report: escaped tables, sections, embedded images.

Everything is escaped here, once: the report shows user text (samples, errors, params)
that may contain markup.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans KR", sans-serif;
       margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1d232a; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem;
     border-bottom: 1px solid #d8dee4; padding-bottom: .25rem; }
.meta { color: #57606a; } table { border-collapse: collapse; margin: .5rem 0; font-size: 13px; }
th, td { border: 1px solid #d8dee4; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: 600; background: #eaf6ec; } .missing { color: #8c959f; }
.mismatch { color: #cf222e; }
.status-finished { color: #1a7f37; } .status-failed { color: #cf222e; }
.status-running { color: #0969da; } .status-interrupted, .status-stopped { color: #9a6700; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; font-size: 12px; }
img { max-width: 100%; border: 1px solid #d8dee4; margin: .5rem 0; }
.scroll { overflow-x: auto; } details summary { cursor: pointer; color: #0969da; }
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any) -> str:
    if value is None:
        return '<span class="missing">–</span>'
    if isinstance(value, float):
        return esc(f"{value:.6g}")
    return esc(value)


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric: Sequence[bool] | None = None,
    marked: set[tuple[int, int]] | None = None,
) -> str:
    """An HTML table; ``marked`` holds (row, column) cells to highlight (the best value)."""
    numeric = numeric or [False] * len(header)
    marked = marked or set()
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, value in enumerate(row):
            classes = [c for c, on in (("num", numeric[j]), ("best", (i, j) in marked)) if on]
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{value if isinstance(value, Raw) else fmt(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    rows_html = "".join(body)
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows_html}</tbody></table></div>"
    )


class Raw(str):
    """Markup built here (already escaped) that ``table`` must not escape again."""


def status(value: str) -> Raw:
    return Raw(f'<span class="status-{esc(value)}">{esc(value)}</span>')


def mismatch(value: str) -> Raw:
    return Raw(f'<span class="mismatch">{esc(value)}</span>')


def section(title: str, body: str, note: str | None = None) -> str:
    extra = f'<p class="meta">{esc(note)}</p>' if note else ""
    return f"<section><h2>{esc(title)}</h2>{extra}{body}</section>"


def png(data: bytes, alt: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{encoded}">'


def pre(text: str) -> str:
    return f"<pre>{esc(text)}</pre>"


def collapsed(summary: str, body: str) -> str:
    return f"<details><summary>{esc(summary)}</summary>{body}</details>"


def page(title: str, subtitle: str, sections: Sequence[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{esc(title)}</h1><p class="meta">{esc(subtitle)}</p>'
        + "".join(sections)
        + "</body></html>\n"
    )
