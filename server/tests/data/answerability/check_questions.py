#!/usr/bin/env python3
"""Sanity checks for questions.json in this directory.

Checks that the file parses, that every `document` exists under articles/,
and that every entry in `sections` is the exact text of a heading in that
document (Markdown `#`..`######` lines; HTML <h1>..<h6> inside <article>).
Prints a summary of counts. Exits non-zero on any problem.

Usage: python3 check_questions.py
"""
import json
import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles"


class ArticleHeadings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.in_article = 0
        self.current = None
        self.headings = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.in_article += 1
        elif self.in_article and re.fullmatch(r"h[1-6]", tag):
            self.current = [int(tag[1]), ""]

    def handle_endtag(self, tag):
        if tag == "article":
            self.in_article -= 1
        elif self.current and tag == f"h{self.current[0]}":
            self.headings.append((self.current[0], " ".join(self.current[1].split())))
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current[1] += data


def headings(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        p = ArticleHeadings()
        p.feed(text)
        return p.headings
    out = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            out.append((len(m.group(1)), m.group(2)))
    return out


def main():
    problems = []
    questions = json.loads((HERE / "questions.json").read_text(encoding="utf-8"))
    per_doc = Counter()
    answerable = unanswerable = 0
    for i, q in enumerate(questions):
        where = f"#{i} {q.get('question')!r}"
        if set(q) != {"question", "document", "sections"}:
            problems.append(f"{where}: unexpected keys {sorted(q)}")
            continue
        if q["document"] is None:
            unanswerable += 1
            if q["sections"]:
                problems.append(f"{where}: unanswerable but has sections")
            continue
        answerable += 1
        doc = ARTICLES / q["document"]
        if not doc.is_file():
            problems.append(f"{where}: missing document {q['document']}")
            continue
        per_doc[q["document"]] += 1
        if not q["sections"]:
            problems.append(f"{where}: answerable but no sections")
        hs = headings(doc)
        texts = [t for _, t in hs]
        for s in q["sections"]:
            if s not in texts:
                problems.append(f"{where}: section {s!r} is not a heading of {q['document']}")
            elif hs and s == hs[0][1] and hs[0][0] == 1 and len(hs) > 1:
                # Title used for a document with subsections: allowed only for
                # text before the first subsection; flag it for a human look.
                print(f"note: {where} labelled with the title of a sectioned document")
    docs = sorted(p.name for p in ARTICLES.iterdir() if p.suffix in (".md", ".html"))
    print(f"articles: {len(docs)}")
    print(f"questions: {len(questions)} (answerable {answerable}, unanswerable {unanswerable})")
    print(f"articles with at least one question: {len(per_doc)}")
    for d in docs:
        print(f"  {per_doc.get(d, 0):3d}  {d}")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
