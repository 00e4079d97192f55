"""Translation catalogues, one per domain, so domains never edit the same file.

    python scripts/i18n.py update DOMAIN   extract the domain's strings, update its zh_Hans catalogue
    python scripts/i18n.py compile         compile every catalogue (the set-up runs this)
    python scripts/i18n.py check           list untranslated or fuzzy entries; exit 1 if any

DOMAIN is "core" (marketplace/translations: core, accounts, api, notifications,
demo and the shared templates) or a domain package (ip, listings, ...), whose
catalogue lives in marketplace/DOMAIN/translations and covers
marketplace/DOMAIN and templates/DOMAIN.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "marketplace"
LOCALE = "zh_Hans"
KEYWORDS = ["-k", "_l", "-k", "N_", "-k", "lazy_pgettext:1c,2", "-k", "lazy_ngettext:1,2"]
CORE_SOURCES = [
    "marketplace/core",
    "marketplace/accounts",
    "marketplace/api",
    "marketplace/notifications",
    "marketplace/demo",
    "marketplace/config.py",
    "marketplace/__init__.py",
    "templates/base.html",
    "templates/_macros",
    "templates/errors",
    "templates/accounts",
    "templates/admin",
    "templates/notifications",
]


def _pybabel() -> str:
    return str(Path(sys.executable).with_name("pybabel"))


def sources(domain: str) -> tuple[Path, list[str]]:
    if domain == "core":
        return PKG / "translations", CORE_SOURCES
    paths = [f"marketplace/{domain}"]
    if (ROOT / "templates" / domain).is_dir():
        paths.append(f"templates/{domain}")
    return PKG / domain / "translations", paths


def update(domain: str) -> None:
    directory, paths = sources(domain)
    pot = directory / "messages.pot"
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            _pybabel(),
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            *KEYWORDS,
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(pot),
            *paths,
        ],
        cwd=ROOT,
        check=True,
    )
    po = directory / LOCALE / "LC_MESSAGES" / "messages.po"
    if po.exists():
        subprocess.run(
            [
                _pybabel(),
                "update",
                "-i",
                str(pot),
                "-d",
                str(directory),
                "-l",
                LOCALE,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
                "--omit-header",
            ],
            check=True,
        )
    else:
        subprocess.run(
            [_pybabel(), "init", "-i", str(pot), "-d", str(directory), "-l", LOCALE],
            check=True,
            stderr=subprocess.DEVNULL,
        )
    pot.unlink()


def catalogues() -> list[Path]:
    return sorted(PKG.glob(f"**/translations/{LOCALE}/LC_MESSAGES/messages.po"))


def compile_all() -> None:
    """Compile every catalogue to .mo with Babel's own API.

    The catalogues carry no header (short, merge-friendly files), which
    pybabel's command line takes for a fuzzy file and skips; here the header
    is written as UTF-8 and fuzzy entries are left out (`check` reports them).
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in catalogues():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=LOCALE)
        catalog.fuzzy = False
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


def check() -> int:
    from babel.messages.pofile import read_po

    missing = 0
    for po in catalogues():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=LOCALE)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings) or message.fuzzy:
                missing += 1
                print(f"{po.relative_to(ROOT)}: {message.id!r}")
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            if any(("%" in text) != ("%" in msgid) for text in strings if text):
                # Templates format every message with %: a lone % in a translation of a
                # message without one breaks the page (write 百分之… instead).
                missing += 1
                print(f"{po.relative_to(ROOT)}: % in the translation but not the message: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update" and len(sys.argv) == 3:
        update(sys.argv[2])
    elif command == "compile":
        compile_all()
    elif command == "check":
        sys.exit(check())
    else:
        print(__doc__)
        sys.exit(2)
