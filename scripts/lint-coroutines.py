#!/usr/bin/env python3
"""Flags the g++ 12 coroutine pattern that destroyed temporaries twice in cartopull.

A braced temporary (`f(T{...})`, `f({...})`) or a lambda created inside a `co_await` operand is
destroyed twice by g++ 12 when the coroutine resumes, which corrupted the heap in lib/extract.
Hoist such values into a named local first: `WriteOp op{...}; co_await write(std::move(op));`.
Usage: scripts/lint-coroutines.py [PATH...]  (default: lib tests bench daemon); exit 1 on a hit.
"""
import pathlib
import re
import sys

LAMBDA = re.compile(r"\[[^\[\]]*\]\s*(\([^()]*\))?\s*(mutable\s*)?(->[^{]*)?\{")
BRACED = re.compile(r"[\w>]\s*\{|[(,]\s*\{")


def strip(code: str) -> str:
    # Comments and string literals may hold braces; blank them, keeping line numbers.
    code = re.sub(r"//[^\n]*", "", code)
    code = re.sub(r'R"\((?:.|\n)*?\)"', lambda m: '""' + "\n" * m.group(0).count("\n"), code)
    code = re.sub(r"/\*(?:.|\n)*?\*/", lambda m: "\n" * m.group(0).count("\n"), code)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', code)


def operand(code: str, start: int) -> str:
    # The co_await operand ends at a ';' or an unmatched closer at nesting depth 0.
    depth = 0
    for j in range(start, len(code)):
        c = code[j]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return code[start:j]
            depth -= 1
        elif c == ";" and depth == 0:
            return code[start:j]
    return code[start:]


def main(paths: list[str]) -> int:
    hits = 0
    for root in paths:
        top = pathlib.Path(root)
        for f in [top] if top.is_file() else sorted(top.rglob("*.[ch]pp")):
            code = strip(f.read_text())
            for m in re.finditer(r"\bco_await\b", code):
                expr = operand(code, m.end())
                kind = "lambda" if LAMBDA.search(expr) else "braced temporary" if BRACED.search(expr) else None
                if kind:
                    line = code.count("\n", 0, m.start()) + 1
                    text = " ".join(expr.split())[:90]
                    print(f"{f}:{line}: {kind} inside a co_await operand (g++ 12 destroys it twice): co_await {text}")
                    hits += 1
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["lib", "tests", "bench", "daemon"]))
