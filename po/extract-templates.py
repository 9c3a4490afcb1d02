#!/usr/bin/env python3
"""Extract the translatable strings of creneau's XHTML templates as a POT.

Usage: po/extract-templates.py templates/*.xhtml > templates.pot

What is a msgid:
  - the text content of an element carrying data-t="" (plain text only: an
    element with data-t and child elements is an error);
  - the value of every attribute named in an element's data-ta
    (space-separated attribute names);
  - the value of data-title (the page title).

Whitespace normalisation. Every msgid is normalised the same way: each run
of ASCII whitespace (space, tab, LF, VT, FF, CR, i.e. isspace() in the C
locale) becomes one space, and spaces are stripped at both ends. Other
characters, the no-break space U+00A0 in particular, are kept as they are.
THE C TEMPLATE MODULE (fcgi/common/template.c) MUST APPLY EXACTLY THE SAME
NORMALISATION to a text or attribute value before looking it up in the
catalogue, or the lookup misses and the English text is shown.

The output is ordered by file, then by position in the file; a msgid used
in several places is written once with all its references. Standard
library only.
"""

import re
import sys
import xml.parsers.expat

WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


def normalise(text):
    """Collapse runs of ASCII whitespace to one space and strip both ends."""
    return WHITESPACE.sub(" ", text).strip(" ")


def po_quote(text):
    """Return text as a PO string literal."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\t", "\\t").replace("\n", "\\n")
    return '"' + text + '"'


class Extractor:
    """Collects (msgid, reference, comment) from one template."""

    def __init__(self, path, found):
        self.path = path
        self.found = found
        self.stack = []         # per open element: [text parts] or None
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.chars

    def add(self, msgid, line, comment):
        if msgid == "":
            return
        ref = "%s:%d" % (self.path, line)
        entry = self.found.setdefault(msgid, {"refs": [], "comments": []})
        if ref not in entry["refs"]:
            entry["refs"].append(ref)
        if comment and comment not in entry["comments"]:
            entry["comments"].append(comment)

    def start(self, name, attrs):
        line = self.parser.CurrentLineNumber
        if self.stack and self.stack[-1] is not None:
            raise ValueError("%s:%d: <%s> inside an element with data-t: "
                             "data-t content must be plain text"
                             % (self.path, line, name))
        if "data-title" in attrs:
            self.add(normalise(attrs["data-title"]), line, "page title")
        for attr in attrs.get("data-ta", "").split():
            if attr not in attrs:
                raise ValueError("%s:%d: data-ta names %s, which <%s> "
                                 "does not have" % (self.path, line, attr,
                                                    name))
            self.add(normalise(attrs[attr]), line,
                     "attribute %s of <%s>" % (attr, name))
        if "data-t" in attrs:
            self.stack.append(([], line))
        else:
            self.stack.append(None)

    def chars(self, data):
        if self.stack and self.stack[-1] is not None:
            self.stack[-1][0].append(data)

    def end(self, name):
        top = self.stack.pop()
        if top is not None:
            parts, line = top
            msgid = normalise("".join(parts))
            if msgid == "":
                raise ValueError("%s:%d: <%s data-t> has no text"
                                 % (self.path, line, name))
            self.add(msgid, line, None)

    def run(self):
        with open(self.path, "rb") as f:
            self.parser.ParseFile(f)


def main(paths):
    found = {}                  # dicts keep insertion order
    for path in paths:
        try:
            Extractor(path, found).run()
        except ValueError as e:
            sys.stderr.write("extract-templates: %s\n" % e)
            return 1
        except (xml.parsers.expat.ExpatError, OSError) as e:
            sys.stderr.write("extract-templates: %s: %s\n" % (path, e))
            return 1
    out = sys.stdout
    out.write('# Strings of the creneau templates.\n'
              'msgid ""\n'
              'msgstr ""\n'
              '"Content-Type: text/plain; charset=UTF-8\\n"\n'
              '"Content-Transfer-Encoding: 8bit\\n"\n')
    for msgid, entry in found.items():
        out.write("\n")
        for comment in entry["comments"]:
            out.write("#. %s\n" % comment)
        for ref in entry["refs"]:
            out.write("#: %s\n" % ref)
        out.write("msgid %s\nmsgstr \"\"\n" % po_quote(msgid))
    return 0


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", newline="\n")
    sys.exit(main(sys.argv[1:]))
