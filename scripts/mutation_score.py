"""Mutation testing of the core rules: run mutmut and print the score per module.

    python scripts/mutation_score.py run [--resume] [MODULE ...]   # mutmut run, then the report
    python scripts/mutation_score.py report [--survivors] [MODULE ...]

`run` starts from a fresh copy (mutants/ is removed first: mutmut does not
refresh the copies of files it does not mutate); --resume keeps mutants/ and
the results in it, to go on with an interrupted run.

MODULE is a path under marketplace/ without ".py" (e.g. "core/money"); none
means the six modules configured under [tool.mutmut] in pyproject.toml. The
tests mutmut runs are the ones named there (pytest_add_cli_args_test_selection);
for each mutant it runs those of them that reach the mutated function.

The score leaves out two kinds of mutants:
- message-only: the mutant differs from the original only inside a
  translatable message (a ``_l(...)`` call) or inside the arguments of the
  exception a ``raise`` statement builds, i.e. in what an error says, not in
  whether it is raised;
- equivalent: listed, each with the reason, in tests/mutation/EQUIVALENT.md
  (a line "- `MUTANT_NAME` reason").

score = killed / (mutants - message-only - equivalent); mutants with no test
reaching them count as survivors.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = ROOT / "tests" / "mutation" / "EQUIVALENT.md"
# failed test, pytest error, timeout or CPU limit, type check, crash
KILLED_CODES = {1, 3, 36, 24, -24, 152, 255, 37, -11, -9}
NO_TEST_CODES = {5, 33}


def configured_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    return [p.removeprefix("marketplace/").removesuffix(".py") for p in config["only_mutate"]]


def dotted(module: str) -> str:
    return "marketplace." + module.replace("/", ".")


def _is_message(node: ast.AST) -> bool:
    """A translatable message, a string, an f-string, or None in its place."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_l":
        return True
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        return True
    return isinstance(node, ast.JoinedStr)


class _Normalize(ast.NodeTransformer):
    """Blank out what only a message holds: the text of ``_l(...)`` calls, and
    the message arguments of the exception a ``raise`` builds (its other
    arguments, e.g. ``fields=errors``, stay)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == "_l":
            return ast.Constant("MESSAGE")
        return self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        if isinstance(node.exc, ast.Call):
            call = node.exc
            call.args = [a for a in call.args if not _is_message(a)]
            call.keywords = [k for k in call.keywords if not _is_message(k.value)]
        return self.generic_visit(node)


def _normal_form(code: str) -> str | None:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        # The docstring is a message to the reader too.
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(_Normalize().visit(tree), include_attributes=False)


def _functions(name: str, path: Path) -> tuple[str, str]:
    import libcst as cst
    from mutmut.mutation.diff_apply import (
        read_functions_from_index,
        read_mutant_function,
        read_mutants_module,
        read_original_function,
    )

    functions = read_functions_from_index(name, path)
    if functions is None:
        module = read_mutants_module(path)
        functions = (read_original_function(module, name), read_mutant_function(module, name))
    orig, mutant = (cst.Module([f]).code.strip() for f in functions)
    return orig, mutant


def message_only(name: str, path: Path) -> bool:
    orig, mutant = _functions(name, path)
    a, b = _normal_form(orig), _normal_form(mutant)
    return a is not None and a == b


def equivalents() -> dict[str, str]:
    out: dict[str, str] = {}
    if EQUIVALENT_FILE.exists():
        for line in EQUIVALENT_FILE.read_text("utf-8").splitlines():
            match = re.match(r"- `([^`]+)`\s*(.*)", line)
            if match:
                out[match.group(1)] = match.group(2)
    return out


def report(modules: list[str], show_survivors: bool) -> int:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    known_equivalent = equivalents()
    rows = []
    survivors: list[tuple[str, str]] = []
    for module in modules:
        path = Path("marketplace") / f"{module}.py"
        meta = ROOT / "mutants" / f"{path}.meta"
        if not meta.exists():
            rows.append((module, None))
            continue
        results = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        count: Counter[str] = Counter()
        for name, code in results.items():
            count["mutants"] += 1
            if code is None:
                count["not run"] += 1
            elif message_only(name, path):
                count["message-only"] += 1
            elif name in known_equivalent:
                count["equivalent"] += 1
            elif code in KILLED_CODES:
                count["killed"] += 1
            else:
                count["survived"] += 1
                if code in NO_TEST_CODES:
                    count["no tests"] += 1
                survivors.append((name, get_diff_for_mutant(name, path=path)))
        rows.append((module, count))

    print()
    print("| module | mutants | message-only | equivalent | killed | survived | score |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    worst = 100.0
    for module, c in rows:
        if c is None:
            print(f"| `{module}.py` | not run | | | | | |")
            worst = 0.0
            continue
        scored = c["killed"] + c["survived"]
        score = 100.0 * c["killed"] / scored if scored else 100.0
        worst = min(worst, score)
        extra = f" ({c['not run']} not run)" if c["not run"] else ""
        print(
            f"| `{module}.py` | {c['mutants']} | {c['message-only']} | {c['equivalent']} | "
            f"{c['killed']} | {c['survived']} | {score:.1f} %{extra} |"
        )
    if show_survivors:
        for name, diff in survivors:
            print(f"\n## {name}\n{diff}")
    return 0 if worst >= 95.0 else 1


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "report"):
        print(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    show_survivors = "--survivors" in args
    modules = [a for a in args if not a.startswith("--")] or configured_modules()
    sys.path.insert(0, str(ROOT))
    if command == "run":
        if "--resume" not in args:
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        names = [] if modules == configured_modules() else [f"{dotted(m)}.*" for m in modules]
        subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", "1", *names], cwd=ROOT)
    return report(modules, show_survivors)


if __name__ == "__main__":
    import os

    os.chdir(ROOT)
    sys.exit(main(sys.argv[1:]))
