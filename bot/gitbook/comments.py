"""GitBook comment bodies: a JSON ``Document`` of paragraphs (OpenAPI ``PostCommentSchema``).

A paragraph is ``{"object": "block", "type": "paragraph", "nodes": [...]}`` whose nodes are text
(``leaves`` with required ``marks``) and links (``inline`` ``link`` with a ``url`` content ref);
see docs/gitbook.md §11.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Line:
    """One paragraph: a bold label (may be empty), its text, and an optional link after it."""

    label: str
    text: str = ""
    link: str | None = None


def comment_body(lines: Sequence[Line]) -> JSON:
    """The ``body`` of a comment: a JSON document with one paragraph per line."""
    return {"document": {"object": "document", "data": {}, "nodes": [_paragraph(x) for x in lines]}}


def _paragraph(line: Line) -> JSON:
    nodes: list[JSON] = [_text(line.label, bold=True)] if line.label else []
    if line.text:
        nodes.append(_text(f" {line.text}" if nodes else line.text))
    if line.link:
        nodes += [_text(" "), _link(line.link)]
    return {"object": "block", "type": "paragraph", "data": {}, "nodes": nodes}


def _text(text: str, *, bold: bool = False) -> JSON:
    marks = [{"object": "mark", "type": "bold"}] if bold else []
    return {"object": "text", "leaves": [{"object": "leaf", "text": text, "marks": marks}]}


def _link(url: str) -> JSON:
    return {
        "object": "inline",
        "type": "link",
        "data": {"ref": {"kind": "url", "url": url}},
        "nodes": [_text(url)],
    }
