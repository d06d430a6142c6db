#!/usr/bin/env python3
"""Lists the longest Rust functions under a directory and fails if any is over a limit.

usage: scripts/fn_lengths.py [DIR] [LIMIT]   (default: pricing-core/src/estimate 200)

A function's length is its lines from the `fn` line to its closing brace, inclusive
(closures count towards the function that holds them). Braces inside string and char
literals and comments are skipped, so a `{` in a format string does not count.
"""
import pathlib
import re
import sys

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")


def code_only(text):
    """`text` with comments and string/char literal contents blanked, lines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == '"' or text.startswith('r"', i) or text.startswith('r#"', i):
            # raw strings r"..." / r#"..."#, or normal strings with escapes
            m = re.match(r'r(#*)"', text[i:])
            if m:
                end = '"' + m.group(1)
                j = text.find(end, i + len(m.group(0)))
                j = n if j < 0 else j + len(end)
            else:
                j = i + 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                j += 1
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4] + " "):
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            out.append(" " * len(m.group(0)))
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    lines = code_only(path.read_text()).split("\n")
    for start, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        depth, opened = 0, False
        for end in range(start, len(lines)):
            for ch in lines[end]:
                if ch == "{":
                    depth, opened = depth + 1, True
                elif ch == "}":
                    depth -= 1
                elif ch == ";" and not opened and depth == 0:
                    break  # a declaration without a body (trait item)
            else:
                if opened and depth == 0:
                    yield m.group(6), start + 1, end - start + 1
                    break
                continue
            break


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "pricing-core/src/estimate")
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    found = sorted(
        ((n, f"{p}:{line}", name) for p in root.rglob("*.rs") for name, line, n in functions(p)),
        reverse=True,
    )
    for n, where, name in found[:10]:
        print(f"{n:5} {where} {name}")
    over = [f for f in found if f[0] > limit]
    print(f"{len(found)} functions under {root}; longest {found[0][0] if found else 0} lines; "
          f"{len(over)} over {limit}")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
