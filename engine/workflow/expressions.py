"""Camunda's `${...}` expressions, translated once at deployment into Python for the script
sandbox, so a condition drawn in Camunda Modeler means the same as one written in Python.

The subset: variables (and `a.b` property reads), literals (numbers, quoted strings, true,
false, null), comparisons (`==`, `!=`, `<`, `>`, `<=`, `>=` and `eq`, `ne`, `lt`, `gt`,
`le`, `ge`), `&&`, `||`, `!` and `and`, `or`, `not`, `empty`, arithmetic and parentheses.
Everything else (method calls, beans, the ternary, lambdas) is Java's expression language
and is refused with the reason.
"""
from __future__ import annotations

import re

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>\d+(?:\.\d+)?)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!+\-*/%().\[\]?:,])
    )""", re.VERBOSE)

_WORD_OPS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
             "and": "&&", "or": "||", "not": "!", "div": "/", "mod": "%"}
_LITERALS = {"true": "True", "false": "False", "null": "None"}
_COMPARISONS = ("==", "!=", "<", ">", "<=", ">=")
_PY = {"&&": "and", "||": "or"}
WHOLE = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


class ExpressionRefused(ValueError):
    """An expression outside the subset the sandbox evaluates; the message says why."""


def is_camunda_expression(text: str) -> bool:
    return bool(text) and WHOLE.match(text) is not None


def to_python(text: str) -> str:
    """The Python expression meaning `${...}` (raises ExpressionRefused)."""
    match = WHOLE.match(text)
    if match is None:
        raise ExpressionRefused("text around ${...} is not an expression; write only ${...}")
    return _Parser(_tokens(match.group(1))).expression_source()


def _tokens(source: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    source = source.rstrip()
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise ExpressionRefused(f"cannot read '{source[position:].strip()[:20]}'")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "name" and value in _WORD_OPS:
            kind, value = "op", _WORD_OPS[value]
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the subset, emitting Python with explicit parentheses."""

    def __init__(self, tokens):
        self.tokens, self.at = tokens, 0

    def expression_source(self) -> str:
        if not self.tokens:
            raise ExpressionRefused("the expression is empty")
        result = self.disjunction()
        if self.at < len(self.tokens):
            token = self.tokens[self.at][1]
            if token in ("?", ":"):
                raise ExpressionRefused("the conditional operator '? :' is not supported; "
                                        "use two flows with their own conditions")
            raise ExpressionRefused(f"unexpected '{token}'")
        return result

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise ExpressionRefused("the expression ends too early")
        self.at += 1
        return self.tokens[self.at - 1]

    def binary(self, operators, operand, python=None):
        left = operand()
        while self.peek() in operators:
            op = self.take()[1]
            left = f"({left} {(python or {}).get(op, op)} {operand()})"
        return left

    def disjunction(self):
        return self.binary(("||",), self.conjunction, _PY)

    def conjunction(self):
        return self.binary(("&&",), self.comparison, _PY)

    def comparison(self):
        return self.binary(_COMPARISONS, self.additive)

    def additive(self):
        return self.binary(("+", "-"), self.multiplicative)

    def multiplicative(self):
        return self.binary(("*", "/", "%"), self.unary)

    def unary(self):
        token = self.peek()
        if token == "!":
            self.take()
            return f"(not {self.unary()})"
        if token == "-":
            self.take()
            return f"(-{self.unary()})"
        if token == "empty" and self.tokens[self.at][0] == "name":
            self.take()
            value = self.unary()
            return f"({value} is None or {value} == '' or {value} == [] or {value} == {{}})"
        return self.postfix()

    def postfix(self):
        value = self.primary()
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if kind != "name":
                    raise ExpressionRefused(f"a property name must follow '.', not '{name}'")
                if self.peek() == "(":
                    raise ExpressionRefused(f"'{name}(...)' is a method call (Java); only "
                                            "variables, literals and operators are evaluated")
                value = f"{value}[{name!r}]"
            else:
                index = self.disjunction()
                if self.take()[1] != "]":
                    raise ExpressionRefused("a '[' is not closed")
                value = f"{value}[{index}]"
        if self.peek() == "(":
            raise ExpressionRefused(f"'{value}(...)' is a function or bean call (Java); only "
                                    "variables, literals and operators are evaluated")
        return value

    def primary(self):
        kind, value = self.take()
        if kind == "number":
            return value
        if kind == "string":
            return repr(_unquote(value))
        if kind == "name":
            if value in _LITERALS:
                return _LITERALS[value]
            if ":" == self.peek():
                raise ExpressionRefused(f"'{value}:' is a function of Java's expression "
                                        "language, not supported")
            return value
        if value == "(":
            inner = self.disjunction()
            if self.take()[1] != ")":
                raise ExpressionRefused("a '(' is not closed")
            return f"({inner})"
        raise ExpressionRefused(f"unexpected '{value}'")


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def placeholder_template(text: str) -> str:
    """`satuan_kerja:${unit}` -> `satuan_kerja:{unit}` (the engine's placeholder form).
    Only plain variable names: anything else raises ExpressionRefused."""
    def replace(match):
        name = match.group(1).strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ExpressionRefused(f"'${{{name}}}' is not a plain variable name; only "
                                    "${variable} is filled in here")
        return "{" + name + "}"
    return PLACEHOLDER.sub(replace, text)
