#!/usr/bin/env python3
"""Checks the links and paths of the repository's Markdown files; exits 1 on the first kind of error.

- Every inline link `](target)` that is not a URL must name a file inside the repository, and its
  `#anchor`, if any, a heading of that file (GitHub's slugs: lower case, punctuation dropped,
  spaces to hyphens, -1, -2 ... for repeats).
- Every code-quoted repository path (`core/...`, `dist/...`, `docs/...`, ...) must exist, build
  output (`.../target/...`) aside.
- Every code-quoted class by package (`mqtt/DeviceSession`, `kafka/KafkaSender`, `fault/...IT`) must be
  a source file of that package in some module, main or test.

    scripts/check-doc-links.py          # from anywhere; prints each problem and a summary
"""
import os
import re
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
SKIP_DIRS = {".git", "target", "node_modules", "data"}
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
TOP_DIRS = ("core/", "dist/", "bench/", "testkit/", "devkafka/", "docs/", "scripts/", "helm/")
CODE_PATH = re.compile(r"`((?:%s)[^`\s<>*…]*)`" % "|".join(re.escape(d) for d in TOP_DIRS))
PACKAGES = ("util", "metrics", "topic", "records", "config", "bus", "kafka", "tls", "auth", "cluster",
            "http", "uplink", "downlink", "routing", "mqtt", "fault", "process", "ops", "testsupport",
            "testkit", "bench", "devkafka", "dist")
CLASS_REF = re.compile(r"`(%s)/([A-Z]\w*)(?:\.\w+)*`" % "|".join(PACKAGES))
MODULES = ("core", "dist", "bench", "testkit", "devkafka")


def class_exists(package, name):
    return any(os.path.exists(os.path.join(ROOT, module, "src", kind, "java", "io", "mqttkafka", "bridge",
                                           package, name + ".java"))
               for module in MODULES for kind in ("main", "test"))


def markdown_files():
    for directory, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if name.endswith(".md"):
                yield os.path.join(directory, name)


def outside_fences(path):
    fenced = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if FENCE.match(line):
                fenced = not fenced
                continue
            if not fenced:
                yield number, line


def slug(text):
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading keeps its text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        seen = {}
        found = set()
        for _, line in outside_fences(path):
            m = HEADING.match(line)
            if m:
                base = slug(m.group(2))
                n = seen.get(base, 0)
                seen[base] = n + 1
                found.add(base if n == 0 else "%s-%d" % (base, n))
        cache[path] = found
    return cache[path]


def main():
    problems = []
    links = paths = 0
    for md in sorted(markdown_files()):
        rel_md = os.path.relpath(md, ROOT)
        for number, line in outside_fences(md):
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):
                    continue
                links += 1
                file_part, _, anchor = target.partition("#")
                dest = md if not file_part else os.path.realpath(os.path.join(os.path.dirname(md), file_part))
                where = "%s:%d: %s" % (rel_md, number, target)
                if not (dest == ROOT or dest.startswith(ROOT + os.sep)):
                    problems.append(where + " (outside the repository)")
                elif not os.path.exists(dest):
                    problems.append(where + " (no such file)")
                elif anchor and (not dest.endswith(".md") or anchor not in anchors(dest)):
                    problems.append(where + " (no such heading)")
            for quoted in CODE_PATH.findall(line):
                paths += 1
                if "/target/" not in quoted and not os.path.exists(os.path.join(ROOT, quoted.rstrip("/.,;:"))):
                    problems.append("%s:%d: `%s` (no such path)" % (rel_md, number, quoted))
            for package, name in CLASS_REF.findall(line):
                paths += 1
                if not class_exists(package, name):
                    problems.append("%s:%d: `%s/%s` (no such class)" % (rel_md, number, package, name))
    for problem in problems:
        print(problem)
    print("%d links and %d repository paths checked, %d problems" % (links, paths, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
