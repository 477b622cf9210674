"""A YAML reader for the subset our action and workflow files use.

Python here has no yaml module, so the tests read action.yml with this:
block mappings and sequences, block scalars (| |- > >-), plain, 'single'
and "double" quoted scalars, [flow, sequences] of scalars, and comments.
Every scalar stays a string, as GitHub reads inputs. Anything outside the
subset raises YamlError with the line number, so a file that drifts out of
it fails loudly instead of being misread. test_action cross-checks the
result against the npm `yaml` package when node_modules has it.
"""
import re


class YamlError(ValueError):
    pass


class _Line:
    __slots__ = ("no", "indent", "text", "raw")

    def __init__(self, no, raw):
        self.no = no
        self.raw = raw
        stripped = raw.lstrip(" ")
        if "\t" in raw[: len(raw) - len(stripped) + 1] and stripped.startswith("\t"):
            raise YamlError(f"line {no}: tab indentation")
        self.indent = len(raw) - len(stripped)
        self.text = stripped


def _strip_comment(s):
    """Drops a trailing ' #...' that is outside quotes."""
    quote = None
    for i, c in enumerate(s):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"" and (i == 0 or s[i - 1] in " [,:"):
            quote = c
        elif c == "#" and (i == 0 or s[i - 1] == " "):
            return s[:i].rstrip()
    return s.rstrip()


def _scalar(s, no):
    s = s.strip()
    if not s:
        return ""
    if s[0] == "'":
        if not s.endswith("'") or len(s) < 2:
            raise YamlError(f"line {no}: unterminated single-quoted scalar")
        return s[1:-1].replace("''", "'")
    if s[0] == '"':
        if not s.endswith('"') or len(s) < 2:
            raise YamlError(f"line {no}: unterminated double-quoted scalar")
        body = s[1:-1]
        out, i = [], 0
        escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "/": "/", "0": "\0", "r": "\r"}
        while i < len(body):
            c = body[i]
            if c == "\\":
                if i + 1 >= len(body) or body[i + 1] not in escapes:
                    raise YamlError(f"line {no}: unsupported escape in {s}")
                out.append(escapes[body[i + 1]])
                i += 2
            else:
                out.append(c)
                i += 1
        return "".join(out)
    if s[0] == "[":
        if not s.endswith("]"):
            raise YamlError(f"line {no}: flow sequence must end on its line")
        inner = s[1:-1].strip()
        return [_scalar(x, no) for x in inner.split(",")] if inner else []
    if s[0] in "{&*!|>%@`":
        raise YamlError(f"line {no}: unsupported YAML construct: {s}")
    return s


_KEY = re.compile(r"^([^\s'\"#][^:]*?|'[^']*'|\"[^\"]*\"):(?:\s+(.*))?$")


class _Parser:
    def __init__(self, text):
        self.lines = [_Line(i + 1, raw.rstrip("\r")) for i, raw in enumerate(text.split("\n"))]
        self.pos = 0

    def _skip(self):
        while self.pos < len(self.lines):
            t = self.lines[self.pos].text
            if t == "" or t.startswith("#") or t in ("---",):
                self.pos += 1
                continue
            break

    def parse(self):
        self._skip()
        if self.pos >= len(self.lines):
            return None
        node = self._node(self.lines[self.pos].indent)
        self._skip()
        if self.pos < len(self.lines):
            ln = self.lines[self.pos]
            raise YamlError(f"line {ln.no}: unexpected indentation")
        return node

    def _node(self, indent):
        self._skip()
        ln = self.lines[self.pos]
        if ln.text.startswith("- ") or ln.text == "-":
            return self._seq(ln.indent)
        return self._map(ln.indent)

    def _block_scalar(self, header, parent_indent, no):
        style, chomp = header[0], header[1:]
        if chomp not in ("", "-", "+"):
            raise YamlError(f"line {no}: unsupported block scalar header {header}")
        body, block_indent = [], None
        while self.pos < len(self.lines):
            ln = self.lines[self.pos]
            if ln.text == "":
                body.append("")
                self.pos += 1
                continue
            if block_indent is None:
                if ln.indent <= parent_indent:
                    break
                block_indent = ln.indent
            if ln.indent < block_indent:
                break
            body.append(ln.raw[block_indent:])
            self.pos += 1
        while body and body[-1] == "":
            body.pop()
            if chomp == "+":
                raise YamlError(f"line {no}: keep chomping is not supported")
        if style == "|":
            text = "\n".join(body)
        else:
            # Folded: lines join with spaces, blank lines become newlines.
            parts, para = [], []
            for b in body:
                if b == "":
                    parts.append(" ".join(para))
                    para = []
                else:
                    para.append(b)
            parts.append(" ".join(para))
            text = "\n".join(parts)
        return text if chomp == "-" or not text else text + "\n"

    def _value(self, rest, indent, no):
        """The value after 'key:' or '- ', possibly on the following lines."""
        rest = _strip_comment(rest) if rest else ""
        if rest in ("|", "|-", "|+", ">", ">-", ">+"):
            self.pos += 1
            return self._block_scalar(rest, indent, no)
        if rest:
            self.pos += 1
            return _scalar(rest, no)
        self.pos += 1
        self._skip()
        if self.pos < len(self.lines) and self.lines[self.pos].indent > indent:
            return self._node(self.lines[self.pos].indent)
        if (self.pos < len(self.lines) and self.lines[self.pos].indent == indent
                and self.lines[self.pos].text.startswith("- ")):
            # A sequence may sit at the same indentation as its key.
            return self._seq(indent)
        return None

    def _map(self, indent):
        out = {}
        while True:
            self._skip()
            if self.pos >= len(self.lines):
                return out
            ln = self.lines[self.pos]
            if ln.indent < indent:
                return out
            if ln.indent > indent:
                raise YamlError(f"line {ln.no}: unexpected indentation")
            if ln.text.startswith("- "):
                return out
            m = _KEY.match(_strip_comment(ln.text))
            if not m:
                raise YamlError(f"line {ln.no}: expected 'key: value', got {ln.text!r}")
            key = _scalar(m.group(1), ln.no)
            if key in out:
                raise YamlError(f"line {ln.no}: duplicate key {key!r}")
            out[key] = self._value(m.group(2) or "", indent, ln.no)

    def _seq(self, indent):
        out = []
        while True:
            self._skip()
            if self.pos >= len(self.lines):
                return out
            ln = self.lines[self.pos]
            if ln.indent < indent or not (ln.text.startswith("- ") or ln.text == "-"):
                return out
            if ln.indent > indent:
                raise YamlError(f"line {ln.no}: unexpected indentation")
            rest = ln.text[2:] if ln.text != "-" else ""
            item_indent = indent + 2
            if rest and _KEY.match(_strip_comment(rest)) and not rest.startswith(("'", '"')):
                # "- key: value" starts a mapping whose keys align with 'key'.
                pad = len(rest) - len(rest.lstrip(" "))
                self.lines[self.pos] = _Line(ln.no, " " * (item_indent + pad) + rest.lstrip(" "))
                out.append(self._map(item_indent + pad))
            else:
                out.append(self._value(rest, indent, ln.no))


def loads(text):
    return _Parser(text).parse()


def load(path):
    with open(path, encoding="utf-8") as f:
        return loads(f.read())
