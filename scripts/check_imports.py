#!/usr/bin/env python3
"""The architecture's import rules, checked on each crate's src/ (docs/architecture.md, "Adding a
capability"):

1. capabilities (the top-level modules of a crate, the crate root excepted) import each other in
   no cycle;
2. inside a capability, the adapters `api.rs` and `pages.rs` import neither each other nor
   another capability's `api`/`pages`;
3. in the web crate (the one whose files hold axum handlers, `State(..)`), a file with handlers
   reaches neither the store (`.store.`) nor a `Permission::`: the capability's `mod.rs` is its
   only entry, and it checks the rights and calls the store. `lib.rs` (the router) is exempt.

Usage: python3 scripts/check_imports.py crates/web/src crates/store/src crates/jobs/src crates/domain/src
Prints every problem found and `N import problems`; exits 1 when N > 0.
"""
import os
import re
import sys


def capability(rel):
    return rel.split("/")[0].removesuffix(".rs")


def production_code(text):
    """The code before the first `#[cfg(test)]`, without line comments."""
    code = re.sub(r"//[^\n]*", "", text)
    return re.split(r"#\[cfg\(test\)\]", code)[0]


def check_crate(src):
    files = {}
    for root, _, names in os.walk(src):
        for n in names:
            if n.endswith(".rs"):
                p = os.path.join(root, n)
                rel = os.path.relpath(p, src).replace(os.sep, "/")
                with open(p, encoding="utf-8") as f:
                    files[rel] = f.read()
    caps = {capability(r) for r in files} - {"lib", "main"}
    graph = {c: set() for c in caps}
    problems = []
    for rel, text in sorted(files.items()):
        a = capability(rel)
        if a not in caps:
            continue
        code = production_code(text)
        for m in re.finditer(r"\bcrate::(\w+)", code):
            if m.group(1) in caps and m.group(1) != a:
                graph[a].add(m.group(1))
        for g in re.finditer(r"use\s+crate::\{([^}]*)\}", code):
            for b in re.findall(r"(?:^|[,\s{])(\w+)::", g.group(1)):
                if b in caps and b != a:
                    graph[a].add(b)
        leaf = rel.split("/")[-1]
        if "/" in rel and leaf in ("api.rs", "pages.rs"):
            other = "pages" if leaf == "api.rs" else "api"
            if re.search(rf"\bsuper::{other}\b|\bsuper::\{{[^}}]*\b{other}\b", code):
                problems.append(f"{src}: {rel} imports its sibling {other}.rs")
            for m in re.finditer(r"\bcrate::(\w+)::(api|pages)\b", code):
                if m.group(1) != a:
                    problems.append(f"{src}: {rel} imports {m.group(1)}/{m.group(2)}.rs")
        if rel != "lib.rs" and re.search(r"\bState\(", code):
            if re.search(r"\.store\b", code):
                problems.append(f"{src}: {rel} has handlers that reach the store (move it to the capability's mod.rs)")
            if re.search(r"\bPermission::", code):
                problems.append(f"{src}: {rel} has handlers that name a Permission (ask the capability's Rights)")
    for comp in cycles(graph):
        problems.append(f"{src}: capabilities import each other in a cycle: {' ↔ '.join(comp)}")
    return problems


def cycles(graph):
    """Strongly connected components of more than one capability (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(args):
    problems = [p for src in args for p in check_crate(src)]
    for p in problems:
        print(p)
    print(f"{len(problems)} import problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
