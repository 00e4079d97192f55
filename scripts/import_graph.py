"""Print the import graph between the packages of `marketplace`: each package's
imports of the others, the cycles among them, and the commits outside the
request boundary (session.commit( in views.py or api.py, and in the other
modules that are not commands or demo data).

    .venv/bin/python scripts/import_graph.py [path-to-a-checkout]

It reads the source with grimp (the library under import-linter), so imports
inside function bodies count too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp


def main(root: str = ".") -> None:
    sys.path.insert(0, str(Path(root).resolve()))
    graph = grimp.build_graph("marketplace", cache_dir=None)
    packages = sorted(
        {m.split(".")[1] for m in graph.modules if m.count(".") >= 1}
        - {"config", "extensions", "models", "static", "translations"}
    )
    edges: dict[str, set[str]] = {p: set() for p in packages}
    for importer in packages:
        for imported in packages:
            if importer != imported and graph.direct_import_exists(
                importer=f"marketplace.{importer}", imported=f"marketplace.{imported}", as_packages=True
            ):
                edges[importer].add(imported)
    for package in packages:
        print(f"{package:18} -> {', '.join(sorted(edges[package])) or '-'}")
    cycles = sorted({tuple(sorted((a, b))) for a in packages for b in edges[a] if a in edges[b]})
    print(f"\ntwo-package cycles: {len(cycles)}")
    for a, b in cycles:
        print(f"  {a} <-> {b}")
    commits = 0
    for path in sorted(Path(root, "marketplace").glob("*/*.py")):
        if path.name in ("views.py", "api.py"):
            n = path.read_text(encoding="utf-8").count("session.commit(")
            if n:
                print(f"  {path.relative_to(root)}: {n} commits")
            commits += n
    print(f"session.commit( in views.py and api.py: {commits}")
    # Elsewhere outside a command: services and helpers that commit mid-request.
    others = 0
    for path in sorted(Path(root, "marketplace").rglob("*.py")):
        rel = path.relative_to(root)
        if path.name in ("views.py", "api.py", "cli.py") or rel.parts[1] == "demo":
            continue
        n = path.read_text(encoding="utf-8").count("session.commit(")
        if n:
            print(f"  {rel}: {n} commits")
        others += n
    print(f"session.commit( in other modules (commands and demo data aside): {others}")


if __name__ == "__main__":
    main(*sys.argv[1:])
