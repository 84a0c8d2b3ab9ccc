"""YAML front end: safe composition with a position for every node.

Plain scalars are resolved by the YAML 1.2 core schema (so `1e-3` is a number and `yes`
is a string); anchors, aliases, merge keys, tags and duplicate keys are refused, and
nothing is ever constructed from a tag, so no spec can run code. Comments, which YAML
parsers drop, are recorded by the scanner and attached to the entries they annotate.
"""
from __future__ import annotations

import bisect
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from clockspec.core.errors import Diagnostic, SpecError, excerpt
from clockspec.syntax.literals import is_core_number, resolve_plain, too_many_digits
from clockspec.syntax.source import (
    END_OF_FILE,
    MAX_KEY,
    START_OF_FILE,
    TRAILING,
    Lines,
    PathT,
    RawDoc,
    decode_spec,
    split_lines,
)

MAX_BYTES = 128 * 1024  # specs are a few KB; PyYAML reads ~250 KB/s, so this bounds any file to well under 1 s
MAX_DEPTH = 64

class _Loader(yaml.SafeLoader):
    """Composes nodes only; refuses anchors (so aliases and merge bombs never expand).

    It also records every comment the scanner skips, as (line, col, text after '#').
    """

    depth = 0

    def __init__(self, text: str, lines: Lines):
        super().__init__(text)
        self.lines = lines
        self.comments: list[tuple[int, int, str]] = []

    def scan_to_next_token(self) -> None:  # type: ignore[override]
        # PyYAML's own loop (skip spaces, a comment, a line break; repeat), recording comments.
        if self.index == 0 and self.peek() == "\ufeff":
            self.forward()
        while True:
            while self.peek() == " ":
                self.forward()
            if self.peek() == "#":
                self._record_comment()
            if not self.scan_line_break():
                return
            if not self.flow_level:
                self.allow_simple_key = True

    def scan_block_scalar_ignored_line(self, start_mark):  # type: ignore[override]
        # The rest of a `|` or `>` header line: spaces, perhaps a comment, then a line break.
        while self.peek() == " ":
            self.forward()
        if self.peek() == "#":
            self._record_comment()
        return super().scan_block_scalar_ignored_line(start_mark)

    # Nesting is refused as the scanner meets it: the composer alone would see it only
    # after PyYAML had scanned every bracket ahead (seconds for `[[[[...` x 10,000).
    def fetch_flow_collection_start(self, token_class):  # type: ignore[override]
        if self.flow_level >= MAX_DEPTH:
            raise _Refused(_TOO_DEEP, self.get_mark())
        return super().fetch_flow_collection_start(token_class)

    def add_indent(self, column: int) -> bool:  # type: ignore[override]
        if len(self.indents) >= MAX_DEPTH:
            raise _Refused(_TOO_DEEP, self.get_mark())
        return super().add_indent(column)

    def _record_comment(self) -> None:
        start = self.pointer
        while self.peek() not in _LINE_ENDS:
            self.forward()
        self.comments.append((*self.lines.line_col(start), self.buffer[start + 1:self.pointer]))

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused("YAML aliases (*name) are not allowed in a spec; write the value out", event.start_mark)
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(f"YAML anchors (&{anchor}) are not allowed in a spec", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            tag = tag.replace("tag:yaml.org,2002:", "!!")
            raise _Refused(f"YAML tag '{tag}' is not allowed in a spec; nothing in a spec is ever constructed or run", event.start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(_TOO_DEEP, event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_TOO_DEEP = f"nesting is too deep (a spec nests at most {MAX_DEPTH} levels)"
_LINE_ENDS = "\0\r\n\x85\u2028\u2029"


class _Refused(Exception):
    def __init__(self, message: str, mark: Any):
        super().__init__(message)
        self.message, self.mark = message, mark


def _diag(file: str, mark: Any, message: str, lines: Lines, hint: str | None = None) -> Diagnostic:
    return Diagnostic(message, file, *_where(mark, lines), hint)


def _where(mark: Any, lines: Lines) -> tuple[int, int]:
    """A PyYAML mark as editors count lines: PyYAML also breaks lines at U+2028, U+2029 and
    U+0085, so its line numbers run ahead after one; its character offset does not."""
    return lines.line_col(mark.index)


def parse_yaml(text: str | bytes, file: str = "<string>") -> RawDoc:
    text = decode_spec(text, file, MAX_BYTES, "YAML")
    doc = RawDoc(None, file=file, syntax="yaml")
    lines = Lines(text)
    try:
        loader = _Loader(text, lines)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise SpecError([_diag(file, exc.mark, exc.message, lines)]) from None
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_diag(file, exc, lines)]) from None
    except yaml.reader.ReaderError as exc:
        raise SpecError([_reader_diag(file, text, exc, lines)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(f"YAML syntax: {exc}", file)]) from None
    if root is None:
        raise SpecError([Diagnostic("the file is empty; expected a spec mapping", file)])
    doc.data = _Builder(doc, lines).build(root, ())
    doc.comments = attach_comments(loader.comments, doc, text)
    return doc


# PyYAML's wording of common slips -> what to tell a person (message, hint).
_SYNTAX_ADVICE = [
    ("found character '\\t'", ("a tab character here; YAML indents with spaces only", "replace the tab with spaces")),
    ("but found another document", ("a second YAML document ('---'); a spec file holds one", None)),
    ("expected <block end>", (None, "check this line's indentation against the lines above it")),
    ("mapping values are not allowed here", (None, "quote a value that contains ': ', or check the indentation")),
    ("could not find expected ':'", (None, "a key needs ': ' after it; quote a value that spans lines")),
    ("expected ',' or '}'", (None, "is a closing '}' missing?")),
    ("expected ',' or ']'", (None, "is a closing ']' missing?")),
    ("found undefined alias", ("YAML aliases (*name) are not allowed in a spec; write the value out", None)),
]


def _syntax_diag(file: str, exc: yaml.MarkedYAMLError, lines: Lines) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "unreadable YAML"
    message, hint = f"YAML syntax: {problem}", None
    for needle, (better, advice) in _SYNTAX_ADVICE:
        if needle in problem:
            message, hint = (better or message), advice
            break
    context, where = exc.context, exc.context_mark
    if context and exc.problem and message.startswith("YAML syntax"):
        if where is not None and mark is not None and _where(where, lines)[0] != _where(mark, lines)[0]:
            context += " that starts at line {}, column {}".format(*_where(where, lines))
        message += f" ({context})"
    return _diag(file, mark, message, lines, hint)


def _reader_diag(file: str, text: str, exc: yaml.reader.ReaderError, lines: Lines) -> Diagnostic:
    """PyYAML reports an unprintable character by offset; turn it into line:col."""
    line, col = lines.line_col(max(0, min(exc.position, len(text))))
    char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    what = "a NUL byte" if char == 0 else f"the control character U+{char:04X}"
    return Diagnostic(f"{what} cannot appear in a spec", file, line, col,
                      "a spec is plain UTF-8 text; write the character as an escape in a double-quoted string")


def attach_comments(found: list[tuple[int, int, str]], doc: RawDoc, text: str) -> dict[PathT, list[str]]:
    """Attach each comment to an entry (a mapping key or a sequence item).

    A comment at the end of a line goes to the outermost entry that starts on that line;
    a comment on a line of its own goes to the next entry; comments at the top that a
    blank line sets apart from the first entry belong to the file, and those after the
    last entry to its end.
    """
    entries = sorted(
        [(line, col, len(path), path) for path, (line, col) in doc.key_positions.items()]
        + [(line, col, len(path), path) for path, (line, col) in doc.positions.items()
           if path and isinstance(path[-1], int)]
    )
    first_on_line: dict[int, PathT] = {}
    for line, _col, _depth, path in entries:
        first_on_line.setdefault(line, path)
    lines = split_lines(text)
    header_end = 0  # comments above this line belong to the top of the file
    if entries:
        first = entries[0][0]
        blanks = [n for n in range(1, first) if n <= len(lines) and not lines[n - 1].strip()]
        header_end = blanks[-1] if blanks else 0
    starts = [(line, col) for line, col, _depth, _path in entries]
    out: dict[PathT, list[str]] = {}
    for line, col, body in found:
        own_line = not lines[line - 1][: col - 1].strip()
        if not own_line and line in first_on_line:
            target = first_on_line[line] + (TRAILING,)
        elif line < header_end:
            target = START_OF_FILE
        else:
            following = bisect.bisect_right(starts, (line, col))
            target = entries[following][3] if following < len(entries) else END_OF_FILE
        out.setdefault(target, []).append(body)
    return out


class _Builder:
    """Plain data from nodes, recording each node's position as editors count lines; errors
    it can step over go to the document's problems."""

    def __init__(self, doc: RawDoc, lines: Lines):
        self.doc, self.lines = doc, lines

    def pos(self, node: Node) -> tuple[int, int]:
        line, col = self.lines.line_col(node.start_mark.index)
        if isinstance(node, ScalarNode) and node.style in ("'", '"'):
            col += 1
        return line, col

    def problem(self, node: Node, message: str) -> None:
        self.doc.problems.append(Diagnostic(message, self.doc.file, *self.pos(node)))

    def build(self, node: Node, path: PathT) -> Any:
        doc = self.doc
        doc.positions[path] = self.pos(node)
        if isinstance(node, ScalarNode):
            if node.end_mark.line != node.start_mark.line:
                doc.multiline.add(path)
            if node.style is None:
                too_long = too_many_digits(node.value) if is_core_number(node.value) else None
                if too_long:  # before int(), which refuses over 4,300 digits with a traceback
                    raise SpecError([Diagnostic(too_long, doc.file, *self.pos(node))])
                return resolve_plain(node.value)
            return node.value
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, path, out)
            if key is not None:
                doc.key_positions[path + (key,)] = self.pos(key_node)
                out[key] = self.build(value_node, path + (key,))
        return out

    def key(self, node: Node, path: PathT, out: dict) -> str | None:
        """The key a node names, or None (and a problem) where it cannot be one."""
        if not isinstance(node, ScalarNode):
            return self.problem(node, "a mapping key must be a plain name")
        if node.value == "<<" and node.style is None:
            return self.problem(node, "YAML merge keys (<<) are not allowed in a spec; write the keys out")
        if len(node.value) > MAX_KEY:
            return self.problem(node, f"a key may be at most {MAX_KEY} characters; this one has {len(node.value)}")
        if node.value in out:
            first = self.doc.key_positions.get(path + (node.value,), (0, 0))
            return self.problem(node, f"duplicate key {excerpt(node.value)} (first at line {first[0]})")
        return node.value
