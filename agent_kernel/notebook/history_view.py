"""The PHR log as a notebook table: the history log's rows, rendered as HTML too."""

from __future__ import annotations

import html

from ..history.index import HEADER, HistoryLog


class HistoryTable(HistoryLog):
    """`wb.history()` in a notebook: plain text as the CLI prints it, and an HTML table."""

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in HEADER)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self.rows()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
