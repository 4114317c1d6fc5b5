#!/usr/bin/env python3
"""Shows that scripts/check_imports.py finds what it must: a cycle between capabilities, an
adapter importing its sibling or another capability's adapter; and passes a clean tree."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def tree(files):
    root = tempfile.mkdtemp()
    for rel, text in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    return root


def run(root):
    r = subprocess.run([sys.executable, os.path.join(HERE, "check_imports.py"), root],
                       capture_output=True, text=True)
    return r.returncode, r.stdout


clean = {
    "lib.rs": "pub mod common; pub mod a; pub mod b;",
    "common/mod.rs": "pub fn f() {}",
    "a/mod.rs": "use crate::common::f;",
    "a/api.rs": "use super::x; use crate::b::entry;",
    "a/pages.rs": "use crate::common::f;\n#[cfg(test)]\nmod t { use super::api; }",
    "b/mod.rs": "use crate::common::f; // crate::a::api in a comment is fine",
}
code, out = run(tree(clean))
assert code == 0 and out.strip() == "0 import problems", out

code, out = run(tree({**clean, "b/mod.rs": "use crate::a::thing;", "a/mod.rs": "use crate::b::x;"}))
assert code == 1 and "cycle: a ↔ b" in out, out

code, out = run(tree({**clean, "a/pages.rs": "use super::api::ListParams;"}))
assert code == 1 and "a/pages.rs imports its sibling api.rs" in out, out

code, out = run(tree({**clean, "b/api.rs": "use crate::a::pages::render;"}))
assert code == 1 and "b/api.rs imports a/pages.rs" in out, out

code, out = run(tree({**clean, "a/pages.rs": "async fn h(State(s): State<AppState>) { s.store.x().await; }"}))
assert code == 1 and "a/pages.rs has handlers that reach the store" in out, out

code, out = run(tree({**clean, "a/api.rs": "async fn h(State(s): State<AppState>, me: Me) { me.require(Permission::X)?; }"}))
assert code == 1 and "a/api.rs has handlers that name a Permission" in out, out

# The entry may do both; the router may name the store to build the state.
code, out = run(tree({**clean, "a/mod.rs": "fn e(s: &AppState, me: &Me) { me.require(Permission::X); s.store.x(); }",
                      "lib.rs": "pub mod common; pub mod a; pub mod b; fn r(State(s): State<S>) { s.store; }"}))
assert code == 0, out

print("check_imports: 7 cases ok")
