#!/usr/bin/env python3
"""Names, not positions (issue 11): no code outside fcgi/common/db.c reads
a result cell by number (PQgetvalue, PQgetisnull, db_value) or passes
db_exec an array of positional parameters; the statement table of the web
worker writes its parameters :name, never $1; and, read from the sources
without a database, every db_exec call binds exactly the :parameters of
its statement, and every column a page reads with db_get/db_isnull is
declared by a statement; and no page builds a path of the route table
with a format string (route_url does). t/sql/statements.t checks the
declarations themselves against PostgreSQL."""

import os
import re
import sys

TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..", "..")
FCGI = os.path.join(TOP, "fcgi")
n = 0


def ok(cond, name, diag=()):
    global n
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, name))
    for line in list(diag)[:int(os.environ.get("NAMES_DIAG", "40"))]:
        print("# " + line)


def sources(*dirs):
    for d in dirs:
        for root, _, files in os.walk(os.path.join(FCGI, d)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    path = os.path.join(root, f)
                    yield os.path.relpath(path, TOP), open(path, encoding="utf-8").read()


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


CELL = re.compile(r"\b(PQgetvalue|PQgetisnull|PQfnumber|db_value)\s*\(")


def positional_reads(*dirs):
    hits = []
    for path, text in sources(*dirs):
        if path.replace(os.sep, "/") == "fcgi/common/db.c":
            continue
        code = strip_comments(text)
        for m in CELL.finditer(code):
            hits.append("%s:%d: %s" % (path, line_of(code, m.start()), m.group(1)))
    return hits


def c_strings(s):
    """The concatenated C string literals of s, one per comma-separated field."""
    fields, cur, i = [], None, 0
    while i < len(s):
        c = s[i]
        if c == '"':
            j, lit = i + 1, ""
            while s[j] != '"':
                if s[j] == "\\":
                    lit += {"n": "\n", "t": "\t"}.get(s[j + 1], s[j + 1])
                    j += 2
                else:
                    lit += s[j]
                    j += 1
            cur = (cur or "") + lit
            i = j + 1
            continue
        if c == ",":
            fields.append(cur)
            cur = None
        i += 1
    fields.append(cur)
    return fields


def sql_params(sql):
    """The :names of sql, skipping quoted text and :: casts (as db_compile)."""
    names = []
    for m in re.finditer(r"'(?:[^']|'')*'|\"[^\"]*\"|::|:([A-Za-z_][A-Za-z0-9_]*)", sql):
        if m.group(1) and m.group(1) not in names:
            names.append(m.group(1))
    return names


# The web worker's statement table.
table_path = os.path.join(FCGI, "web", "statements.c")
table_text = strip_comments(open(table_path, encoding="utf-8").read())
table = {}
for m in re.finditer(r"\[(S_[A-Z0-9_]+)\]\s*=\s*\{(.*?)\},\s*\n", table_text, re.S):
    f = c_strings(m.group(2))
    sql, cols = f[2] or "", f[3] if len(f) > 3 else None
    table[m.group(1)] = (sql, sql_params(sql), (cols or "").split())

print("1..9")
ok(len(table) > 50, "fcgi/web/statements.c: %d statements read" % len(table))

hits = positional_reads("web", "common")
ok(not hits, "no cell read by number in fcgi/web and fcgi/common (outside db.c)", hits)

hits = positional_reads("notify", "admin", "report")
# creneau-report runs only the statements of its table (db_run): no SQL
# of its own through libpq.
for path, text in sources("report"):
    code = strip_comments(text)
    for m in re.finditer(r"\b(PQexec\w*|PQprepare|PQconnect\w*)\s*\(", code):
        hits.append("%s:%d: %s" % (path, line_of(code, m.start()), m.group(1)))
ok(not hits, "no cell read by number in fcgi/notify, fcgi/admin and fcgi/report;"
   " fcgi/report runs SQL only through its statement table", hits)

dollars = [
    "%s: %s" % (k, m.group(0))
    for k, (sql, _, _) in table.items()
    for m in re.finditer(r"\$[0-9]", sql)
]
dollars += [
    "statements.c:%d: %s" % (line_of(table_text, m.start()), m.group(0))
    for m in re.finditer(r"\$[0-9]", open(table_path, encoding="utf-8").read())
]
ok(not dollars, "fcgi/web/statements.c writes no $n placeholder", dollars)

# Every db_exec call: the third argument is DB_ARGS(...), NULL, or a
# variable holding DB_ARGS; DB_ARGS given inline names exactly the
# statement's parameters.
bad_args, mismatch = [], []
for path, text in sources("web"):
    code = strip_comments(text)
    arg_vars = set(re.findall(r"const\s+struct\s+db_arg\s*\*\s*(\w+)\s*=\s*DB_ARGS", code))
    for m in re.finditer(r"\bdb_exec\s*\(", code):
        # the call's text up to its closing parenthesis
        depth, i = 1, m.end()
        while depth and i < len(code):
            depth += {"(": 1, ")": -1}.get(code[i], 0)
            i += 1
        call = code[m.end():i - 1]
        if call.strip().startswith("struct req"):
            continue  # the declaration or definition
        parts, depth, cur = [], 0, ""
        for c in call:
            if c == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += {"(": 1, ")": -1, "{": 1, "}": -1}.get(c, 0)
            cur += c
        parts.append(cur)
        where = "%s:%d" % (path, line_of(code, m.start()))
        if len(parts) != 3:
            bad_args.append(where + ": " + " ".join(call.split())[:80])
            continue
        stmt, args = parts[1].strip(), parts[2].strip()
        if args == "NULL" or args in arg_vars:
            given = [] if args == "NULL" else None
        elif args.startswith("DB_ARGS("):
            given = re.findall(r"\{\s*\"([a-z_0-9]+)\"\s*,", args)
        else:
            bad_args.append(where + ": " + args[:60])
            continue
        if given is not None and re.fullmatch(r"S_[A-Z0-9_]+", stmt):
            if stmt not in table:
                mismatch.append(where + ": no statement " + stmt)
            elif sorted(given) != sorted(table[stmt][1]):
                mismatch.append("%s: %s takes %s, given %s" % (
                    where, stmt, " ".join(sorted(table[stmt][1])), " ".join(sorted(given))))
ok(not bad_args, "every db_exec binds by name (DB_ARGS, NULL or a DB_ARGS variable)", bad_args)
ok(not mismatch, "every inline DB_ARGS names exactly its statement's :parameters", mismatch)

declared = {c for _, _, cols in table.values() for c in cols}
unknown = []
for path, text in sources("web"):
    code = strip_comments(text)
    for m in re.finditer(r"\bdb_(?:get|isnull)\s*\([^;]*?,[^;]*?,\s*\"([^\"]*)\"\s*\)", code):
        if m.group(1) not in declared:
            unknown.append("%s:%d: \"%s\"" % (path, line_of(code, m.start()), m.group(1)))
ok(not unknown, "every column read by db_get/db_isnull is declared by a statement", unknown)

undeclared = [k for k, (sql, _, cols) in table.items()
              if re.match(r"\s*SELECT\b", sql, re.I) and not cols]
ok(not undeclared, "every SELECT of the table declares its columns", undeclared)

# Paths are built from the route table (route_url in fcgi/web/routes.c):
# a format string that starts a path ("/site/%s/...") is a copy of it.
built = []
for path, text in sources("web"):
    if path.replace(os.sep, "/") == "fcgi/web/routes.c":
        continue
    code = strip_comments(text)
    for m in re.finditer(r'"(/[a-z-]*(?:/[a-z%-]*)*%s[^"]*)"', code):
        built.append("%s:%d: %s" % (path, line_of(code, m.start()), m.group(1)))
ok(not built, "no path of a route built with a format string", built)
