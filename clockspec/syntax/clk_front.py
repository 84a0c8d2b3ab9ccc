""".clk front end: lark parse -> the same YAML-shaped raw tree as the YAML front end.

The grammar (grammar/clk.lark) only knows generic blocks `KEYWORD LABEL* { items }`; the
meaning of each keyword lives in the tables below, so `task modular {...}` becomes
`{"task": {"kind": "modular", ...}}` and `regularizer weight_decay {...}` becomes
`{"regularizers": {"weight_decay": {...}}}`. Every node gets a position, and comments are
attached to the entry they annotate so the formatter can print them back.
"""
from __future__ import annotations

import json
import re
import typing
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from clockspec.core.errors import Diagnostic, SpecError, did_you_mean, excerpt
from clockspec.syntax.literals import clk_number_problem
from clockspec.syntax.source import (
    END_OF_FILE,
    MAX_KEY,
    START_OF_FILE,
    TRAILING,
    PathT,
    Pos,
    RawDoc,
    decode_spec,
)

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_TOKENS = 20_000  # parsing costs ~10-20 us a token: the worst file stays well under a second

DOCUMENTS = ("experiment", "family")
# `task KIND { ... }` -> task: {kind: KIND, ...}
KINDED = ("task", "model", "optimizer")
# `regularizer KIND { ... }` -> regularizers: {KIND: {...}}; `clock NAME = EXPR` -> clocks: {NAME: EXPR}
KEYED = {"regularizer": "regularizers", "intervention": "interventions", "vary": "vary", "clock": "clocks"}
# `base experiment NAME { ... }`: a family's inline base experiment.
INLINE_BASE = ("base", "experiment")
BLOCK_KEYWORDS = (*DOCUMENTS, *KINDED, *KEYED, "base", "train", "probes", "stop", "params")
WORDS = {"true": True, "false": False, "null": None}


@lru_cache(maxsize=1)
def distributions() -> dict[str, tuple[str, ...]]:
    """Distribution kind -> its fields in call order: `loguniform(1e-4, 1e-1)`."""
    from clockspec.ir.spec import Distribution

    union = typing.get_args(Distribution)[0]
    return {
        typing.get_args(cls.model_fields["kind"].annotation)[0]: tuple(f for f in cls.model_fields if f != "kind")
        for cls in typing.get_args(union)
    }


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark.open_from_package(
        "clockspec.grammar", "clk.lark", parser="lalr", lexer="contextual", keep_all_tokens=True
    )


# ---- reading the bytes -------------------------------------------------------------------

def _decode(text: str | bytes, file: str) -> str:
    """The text, with `\r\n` and a lone `\r` as `\n`: lines are counted as editors count them
    (lark counts only `\n`), and columns do not change."""
    text = decode_spec(text, file, MAX_BYTES, ".clk")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[1:] if text.startswith("\ufeff") else text


# One scan before parsing: comments, bracket depth (so absurd nesting never reaches the
# recursive tree walk) and a token count. Strings and clock expressions are skipped as the
# lexer would.
_SCAN = re.compile(
    r'"(?:[^"\\\n]|\\.)*"'
    r"|\bclock[ \t]+[A-Za-z_][A-Za-z0-9_-]*[ \t]*=[^\n#]*"
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<open>[\[{(])|(?P<close>[\]})])"
    r"|(?P<word>[A-Za-z0-9_.+-]+)|[^\s\[\]{}()\"#,=A-Za-z0-9_.+-]+|[,=]"
)


def _prescan(text: str, file: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
    """(comments as (offset, end, text), still-open brackets as (line, col)); refuses files
    nested too deep or with too many tokens, and words that start as a number but are none
    (`0x1F`, `1_000`, 5,000 digits), at the word."""
    comments: list[tuple[int, int, str]] = []
    stack: list[int] = []
    bad_numbers: list[Diagnostic] = []
    for count, m in enumerate(_SCAN.finditer(text)):
        if count > MAX_TOKENS:
            line, col = _line_col(text, m.start())
            raise SpecError([Diagnostic(f"a spec may hold at most {MAX_TOKENS} words, numbers and symbols", file, line, col)])
        if m.group("comment") is not None:
            comments.append((m.start(), m.end(), m.group("comment")))
        elif m.group("open") is not None:
            stack.append(m.start())
            if len(stack) > MAX_DEPTH:
                line, col = _line_col(text, m.start())
                raise SpecError([Diagnostic(f"nesting is too deep (a spec nests at most {MAX_DEPTH} levels)", file, line, col)])
        elif m.group("close") is not None and stack:
            stack.pop()
        elif m.group("word") is not None and (problem := clk_number_problem(m.group("word"))):
            bad_numbers.append(Diagnostic(problem[0], file, *_line_col(text, m.start()), problem[1]))
    if bad_numbers:  # before the parser, which would blame the token after `0` in `0x1F`
        raise SpecError(bad_numbers)
    return comments, [_line_col(text, off) for off in stack]


def _offset(text: str, pos: Pos) -> int:
    line, col = pos
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + col - 1


def _line_col(text: str, offset: int) -> Pos:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


# ---- syntax errors ----------------------------------------------------------------------

_EXPECTED = {  # terminal -> words, in the order they are listed
    "KEY": "a key", "STRING": "a string", "CLOCK": "'clock'", "NAME": "a name",
    "LBRACE": "'{'", "EQUAL": "'='", "CLOCK_EXPR": "'=' and a clock expression",
    "COMMA": "','", "RSQB": "']'", "RPAR": "')'", "LPAR": "'('", "RBRACE": "'}'", "$END": "end of file",
}
_VALUE = {"NUMBER", "STRING", "NAME", "LSQB", "LBRACE"}


def _expected_words(expected: set[str]) -> list[str]:
    words: list[str] = []
    if expected >= _VALUE:
        words.append("a value")
        expected = expected - _VALUE
    if "KEY" in expected:
        expected = expected - {"STRING", "CLOCK"}  # a quoted key or a clock is still "a key"
    if words and "LPAR" in expected and len(expected) > 1:
        expected = expected - {"LPAR"}
    words += [w for t, w in _EXPECTED.items() if t in expected]
    return words or sorted(expected)


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _syntax_error(exc: UnexpectedInput, expected: set[str], at_start: bool, text: str, file: str,
                  unclosed: list[Pos]) -> SpecError:
    line, col = exc.line, exc.column
    hint = None
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        found = "end of file"
        line, col = _line_col(text, len(text.rstrip()))
        if unclosed:
            hint = f"the bracket at line {unclosed[-1][0]}, col {unclosed[-1][1]} is never closed"
    elif isinstance(exc, UnexpectedToken):
        shown = "=" if exc.token.type == "CLOCK_EXPR" else str(exc.token)
        found = repr(shown if len(shown) <= 30 else shown[:27] + "...")
    else:
        found = repr(text[exc.pos_in_stream])
    if at_start:
        message = f"expected 'experiment NAME {{' or 'family NAME {{'; found {found}"
    elif found == "'\"'":
        message = "unterminated string: a string ends with '\"' on the line where it starts"
        hint = "write a line break inside a string as \\n"
    else:
        message = f"expected {_or(_expected_words(expected))}; found {found}"
    if expected == {"NAME", "LBRACE"}:
        hint = "a block is written 'KEYWORD [LABEL ...] { ... }', a value 'key = value'"
    if expected == {"$END"} and getattr(exc, "token", None) is not None and exc.token.type == "KEY":
        hint = "a .clk file holds one experiment or one family"
    # `clok fit = ...`: a misspelled keyword reads as a key followed by labels.
    lines = text.split("\n")
    head = re.match(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]+[A-Za-z_]", lines[line - 1] if line <= len(lines) else "")
    if head and head.group(1) not in BLOCK_KEYWORDS and col > head.end(1):
        hint = did_you_mean(head.group(1), BLOCK_KEYWORDS) or hint
    return SpecError([Diagnostic(message, file, line, col, hint)])


def _parse_tree(text: str, file: str, unclosed: list[Pos]) -> Tree:
    try:
        return _parser().parse(text)
    except (UnexpectedToken, UnexpectedCharacters) as exc:
        state = exc.interactive_parser  # the parser just before the offending input
        at_start = len(state.parser_state.state_stack) == 1
        raise _syntax_error(exc, set(state.accepts()), at_start, text, file, unclosed) from None


# ---- tree -> raw data -------------------------------------------------------------------

def parse_clk(text: str | bytes, file: str = "<string>") -> RawDoc:
    """Parse `.clk` text into a RawDoc (raw YAML-shaped data + source map + comments)."""
    text = _decode(text, file)
    comments, unclosed = _prescan(text, file)
    tree = _parse_tree(text, file, unclosed)
    builder = _Builder(RawDoc(None, file=file, syntax="clk"))
    builder.document(tree.children[0])
    if builder.errors:
        raise SpecError(builder.errors)
    builder.attach_comments(text, comments)
    return builder.doc


def _pos(tok: Token, quoted: bool = False) -> Pos:
    return tok.line, tok.column + (1 if quoted and tok.type == "STRING" else 0)


def _end(tok: Token) -> Pos:
    return tok.end_line, tok.end_column


class _Item:
    """An entry of a block (assign, block or clock) and where it lies, for comments."""

    def __init__(self, path: PathT, parent: PathT, start: Pos, end: Pos, is_block: bool):
        self.path, self.parent, self.start, self.end, self.is_block = path, parent, start, end, is_block


class _Builder:
    def __init__(self, doc: RawDoc):
        self.doc = doc
        self.errors: list[Diagnostic] = []
        self.items: list[_Item] = []
        self.keyed: set[PathT] = set()  # containers made by keyed blocks (regularizers, clocks, vary)

    def error(self, tok: Token, message: str, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(message, self.doc.file, tok.line, tok.column, hint))

    # -- structure --

    def document(self, block: Tree) -> None:
        kw, labels, items, close = _split_block(block)
        self.doc.positions[()] = _pos(kw)
        self.items.append(_Item((), (), _pos(kw), _end(close), True))
        if kw not in DOCUMENTS:
            self.error(kw, f"a .clk file holds one 'experiment NAME {{ ... }}' or 'family NAME {{ ... }}', not '{kw}'",
                       did_you_mean(str(kw), DOCUMENTS))
            return
        if len(labels) != 1:
            self.error(labels[1] if labels else kw, f"expected one name after '{kw}': {kw} NAME {{ ... }}")
            return
        self.doc.data = {}
        key = "name" if kw == "experiment" else "family"
        self.put(self.doc.data, (), key, str(labels[0]), labels[0])
        self.doc.positions[(key,)] = _pos(labels[0])
        self.body(items, (), self.doc.data)

    def body(self, items: list[Tree], path: PathT, out: dict) -> None:
        for item in items:
            if item.data == "assign":
                key = self.assign(out, path, item)
                if key is not None:
                    self.items.append(_Item(path + (key,), path, _pos(item.children[0]), _span_end(item), False))
            elif item.data == "clock":
                self.clock(out, path, *item.children)
            else:
                self.block(item, path, out)

    def block(self, block: Tree, path: PathT, out: dict) -> None:
        """One block, placed by its keyword: plain, kinded, keyed or an inline base."""
        kw, labels, items, close = _split_block(block)
        keyword, names = str(kw), [str(t) for t in labels]
        sub: dict = {}
        if not labels and keyword not in (*KINDED, *KEYED, *DOCUMENTS):  # train { ... }
            key, key_tok, what = keyword, kw, "block"
        elif len(labels) == 1 and keyword in KINDED:  # task modular { ... }
            key, key_tok, what = keyword, kw, "block"
            sub["kind"] = names[0]
            self.doc.positions[path + (key, "kind")] = self.doc.key_positions[path + (key, "kind")] = _pos(labels[0])
        elif len(labels) == 1 and keyword in KEYED:  # regularizer weight_decay { ... }
            container = self.container(out, path, KEYED[keyword], kw)
            if container is None:
                return
            out, path = container, path + (KEYED[keyword],)
            key, key_tok, what = names[0], labels[0], keyword
        elif names[:1] == [INLINE_BASE[1]] and keyword == INLINE_BASE[0] and len(labels) == 2:
            key, key_tok, what = keyword, kw, "block"  # base experiment NAME { ... }
            sub["name"] = names[1]
            self.doc.positions[path + (key, "name")] = self.doc.key_positions[path + (key, "name")] = _pos(labels[1])
        else:
            self.error(kw, *self.block_shape_problem(keyword))
            return
        if not self.put(out, path, key, sub, key_tok, what):
            return
        where = path + (key,)
        self.doc.positions[where] = _pos(labels[0] if labels else kw)
        self.items.append(_Item(where, path if what == "block" else path[:-1], _pos(kw), _end(close), True))
        self.body(items, where, sub)

    @staticmethod
    def block_shape_problem(keyword: str) -> tuple[str, str | None]:
        if keyword in KINDED:
            return f"expected one kind after '{keyword}': {keyword} KIND {{ ... }}", None
        if keyword in KEYED:
            return f"expected one name after '{keyword}': {keyword} NAME {{ ... }}", None
        if keyword == INLINE_BASE[0]:
            return "an inline base is written 'base experiment NAME { ... }'", None
        if keyword in DOCUMENTS:
            return f"'{keyword}' starts a file; it cannot be nested", None
        takes_labels = (*KINDED, *KEYED, INLINE_BASE[0])
        return f"unknown block '{keyword}'", did_you_mean(keyword, takes_labels) or (
            f"blocks with a kind or name: {', '.join(takes_labels)}; other blocks take none: {keyword} {{ ... }}")

    def clock(self, out: dict, path: PathT, kw: Token, name: Token, expr: Token) -> None:
        """`clock NAME = EXPR`: the expression is kept as text, positioned at its first character."""
        raw = str(expr)[1:]  # after '='
        text = raw.strip()
        if not text:
            self.error(expr, f"clock '{name}' has no expression after '='", "e.g. clock fit = first train_loss <= 1e-2")
            return
        clocks = self.container(out, path, KEYED["clock"], kw)
        where = path + (KEYED["clock"],)
        if clocks is not None and self.put(clocks, where, str(name), text, name, "clock"):
            self.doc.positions[where + (str(name),)] = (expr.line, expr.column + 1 + len(raw) - len(raw.lstrip()))
            self.items.append(_Item(where + (str(name),), path, _pos(kw), _end(expr), False))

    def container(self, out: dict, path: PathT, key: str, kw: Token) -> dict | None:
        """The map that keyed blocks add to (`regularizers`), made on first use."""
        where = path + (key,)
        if key not in out:
            out[key] = {}
            self.keyed.add(where)
            self.doc.positions[where] = self.doc.key_positions[where] = _pos(kw)
        elif where not in self.keyed:
            first = self.doc.key_positions.get(where, (0, 0))[0]
            self.error(kw, f"'{key}' is already set at line {first}; write either '{key} = ...' or '{kw}' entries")
            return None
        return out[key]

    def put(self, out: dict, path: PathT, key: str, value: Any, key_tok: Token, what: str = "key") -> bool:
        """Claim `key` in `out`; a second claim is an error pointing at the first."""
        where = path + (key,)
        if len(key) > MAX_KEY:
            self.error(key_tok, f"a key may be at most {MAX_KEY} characters; this one has {len(key)}")
            return False
        if key in out:
            first = self.doc.key_positions.get(where, (0, 0))[0]
            self.error(key_tok, f"duplicate {what} {excerpt(key)} (first at line {first})")
            return False
        out[key] = value
        self.doc.key_positions[where] = _pos(key_tok, quoted=True)
        return True

    def assign(self, out: dict, path: PathT, item: Tree) -> str | None:
        """`key = value` into `out`; the key, or None if it was refused."""
        key_tok, equal, value = item.children
        if _span_start(value)[0] != equal.line:  # `seed =` would read the next line's key as its value
            self.error(equal, f"expected a value after '{key_tok} =' on the same line")
            return None
        key = self.key(key_tok)
        if key is None or not self.put(out, path, key, None, key_tok):
            return None
        out[key] = self.value(value, path + (key,))
        return key

    def key(self, tok: Token) -> str | None:
        return self.string(tok) if tok.type == "STRING" else str(tok)

    # -- values --

    def value(self, node: Any, path: PathT) -> Any:
        if isinstance(node, Token):
            self.doc.positions[path] = _pos(node, quoted=True)
            if node.type == "STRING":
                return self.string(node)
            if node.type == "NUMBER":
                return _number(str(node))
            return WORDS[str(node)] if str(node) in WORDS else str(node)
        self.doc.positions[path] = _pos(node.children[0])
        if node.data == "list":
            values = [c for c in node.children[1:-1] if not (isinstance(c, Token) and c.type == "COMMA")]
            return [self.value(v, path + (i,)) for i, v in enumerate(values)]
        if node.data == "map":
            out: dict = {}
            for assign in node.children[1:-1]:
                self.assign(out, path, assign)
            return out
        return self.call(node, path)

    def call(self, node: Tree, path: PathT) -> Any:
        """`loguniform(1e-4, 0.1)` -> {kind: loguniform, low: 1e-4, high: 0.1}."""
        name_tok = node.children[0]
        args = [c for c in node.children[2:-1] if not (isinstance(c, Token) and c.type == "COMMA")]
        known = distributions()
        kind = str(name_tok)
        if kind not in known:
            self.error(name_tok, f"unknown distribution '{kind}'",
                       did_you_mean(kind, known) or f"distributions: {', '.join(known)}")
            return None
        fields = known[kind]
        out: dict[str, Any] = {"kind": kind}
        self.doc.positions[path + ("kind",)] = _pos(name_tok)
        if len(fields) == 1:  # choice(a, b, c): the values
            self.doc.positions[path + (fields[0],)] = _pos(name_tok)
            out[fields[0]] = [self.value(a, path + (fields[0], i)) for i, a in enumerate(args)]
            return out
        if len(args) != len(fields):
            self.error(name_tok, f"{kind} takes {len(fields)} arguments ({', '.join(fields)}), got {len(args)}",
                       f"e.g. {kind}({', '.join(fields)})")
            return None
        for field, arg in zip(fields, args):
            out[field] = self.value(arg, path + (field,))
        return out

    def string(self, tok: Token) -> str | None:
        try:
            text = json.loads(str(tok), strict=False)
        except json.JSONDecodeError as exc:
            line, col = tok.line, tok.column + exc.pos
            self.errors.append(Diagnostic(f"bad string: {exc.msg.lower()}", self.doc.file, line, col,
                                          "escapes are \\\" \\\\ \\n \\t \\uXXXX"))
            return None
        if any("\ud800" <= ch <= "\udfff" for ch in text):
            self.error(tok, "bad string: a lone surrogate escape is not a character")
            return None
        return text

    # -- comments --

    def attach_comments(self, text: str, comments: list[tuple[int, int, str]]) -> None:
        """Each comment goes with the entry it annotates (see `comment_path`), as the text
        after its '#', so any syntax's printer can write it back."""
        items = sorted(self.items, key=lambda it: it.start)
        header, close = items[0].start, items[0].end
        head_key = ("family",) if "family" in (self.doc.data or {}) else ("name",)
        for offset, _, raw in comments:
            at = _line_col(text, offset)
            if at < header:  # a blank line sets the file's opening comments apart from the header
                apart = re.search(r"\n[ \t]*\r?\n", text[offset:_offset(text, header)])
                path = START_OF_FILE if apart else head_key
            elif at >= close:
                path = END_OF_FILE
            else:
                trailing = text[offset - at[1] + 1: offset].strip() != ""
                path = self.comment_path(items, at, trailing)
                path = head_key + path if path == (TRAILING,) else path  # after `experiment NAME {`
            self.doc.comments.setdefault(path, []).append(raw[1:].rstrip())

    @staticmethod
    def comment_path(items: list[_Item], at: Pos, trailing: bool) -> PathT:
        """After entries on its line: the TRAILING comment of the one it follows. On its own line:
        the next entry of its block, else the block's last entry, else the block."""
        if trailing:  # the entry it follows: the one ending last before it, else the last begun
            on_line = [it for it in items if it.start[0] == at[0] and it.start < at]
            ended = [it for it in on_line if it.end <= at]
            if ended:
                return min(ended, key=lambda it: (-it.end[0], -it.end[1], it.start)).path + (TRAILING,)
            if on_line:
                return on_line[-1].path + (TRAILING,)
        inside = [it for it in items if not it.is_block and it.start < at < it.end]
        if inside:
            return inside[-1].path
        block = max((it for it in items if it.is_block and it.start < at < it.end), key=lambda it: it.start)
        children = [it for it in items if it.parent == block.path and it is not block]
        after = [it for it in children if it.start > at]
        if after:
            return after[0].path
        return children[-1].path if children else block.path


def _split_block(block: Tree) -> tuple[Token, list[Token], list[Tree], Token]:
    """keyword, labels, items, closing brace."""
    kw, *rest = block.children
    labels = [t for t in rest if isinstance(t, Token) and t.type == "NAME"]
    return kw, labels, rest[len(labels) + 1: -1], rest[-1]


def _span_start(node: Any) -> Pos:
    while isinstance(node, Tree):
        node = node.children[0]
    return _pos(node)


def _span_end(node: Any) -> Pos:
    while isinstance(node, Tree):
        node = node.children[-1]
    return _end(node)


def _number(text: str) -> int | float:
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return int(text)
    return float(text)
