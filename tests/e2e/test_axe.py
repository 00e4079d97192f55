"""axe-core finds no accessibility violation on any page type, as each role sees it,
in Chinese and in English.

The pages are found as a person finds them: from each role's menu and the lists
it leads to, one page of each type (a path with its ids taken out). axe-core is
vendored under tests/e2e/vendor/axe-core (version and licence there) and runs in
the page itself; nothing is fetched.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import login
from .flows import AGENCY, BUYER, REGULATOR, SELLER

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
ADMIN = "admin@demo.hljtech.cn"

#: Pages every role starts from, beside its menu.
STARTS = ["/", "/listings", "/demands", "/targets", "/verify", "/workbench", "/notifications/", "/account"]

#: Links not to follow: actions, downloads, files, the API, log-out, other languages.
SKIP = re.compile(
    r"^/(api/|static/|lang/|logout)|\.(pdf|csv|xlsx|json|png|jpg|ico)$|/(attachments|receipts|documents|evidence)/"
)


def page_type(path: str) -> str:
    path = re.sub(r"/targets/[a-z_]+", "/targets/<code>", path)
    return re.sub(r"/\d+", "/<id>", path)


def _links(page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        parts = urlsplit(href or "")
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
            continue
        out.append(parts.path)
    return out


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for v in result["violations"]:
        targets = "; ".join(", ".join(n["target"]) for n in v["nodes"][:3])
        found.append(f"{v['id']} ({v['impact']}): {v['help']} - {targets}")
    return found


def _walk(page, lang: str, limit: int = 60) -> tuple[list[str], dict[str, list[str]]]:
    """Visit one page of each type reachable from the starts and the menu, two links
    deep. Answers the page types checked and the violations found on them."""
    seen: dict[str, str] = {}
    checked: list[str] = []
    problems: dict[str, list[str]] = {}
    queue = list(STARTS)
    depth = {p: 0 for p in queue}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        kind = page_type(path)
        if kind in seen:
            continue
        # ?lang=en shows the page in English without remembering the choice on the
        # account (the switch button would, and the journey tests expect Chinese).
        response = page.goto(path + ("?lang=en" if lang == "en" else ""))
        if response is None or response.status >= 400 or urlsplit(page.url).path != path:
            seen[kind] = path  # not for this role, or a redirect: nothing to check here
            continue
        seen[kind] = path
        checked.append(kind)
        found = _violations(page)
        if found:
            problems[f"{kind} ({path})"] = found
        if depth[path] < 2:
            for link in _links(page):
                if page_type(link) not in seen and link not in depth:
                    depth[link] = depth[path] + 1
                    queue.append(link)
    return checked, problems


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("who", ["anonymous", SELLER, BUYER, AGENCY, REGULATOR, ADMIN])
def test_no_page_type_has_an_accessibility_violation(browser, live_server, who, lang):
    # The pages forbid inline scripts (CSP); the context lets axe's own script in.
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN" if lang == "zh" else "en-US",
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,
    )
    try:
        _check(context.new_page(), who, lang)
    finally:
        context.close()


def _check(page, who: str, lang: str) -> None:
    if who != "anonymous":
        login(page, who)
        page.wait_for_load_state()
    checked, problems = _walk(page, lang)
    # Each role reaches its own pages: a walk that found few checked nothing much.
    assert len(checked) >= (6 if who == "anonymous" else 12), checked
    print(f"{who} {lang}: {len(checked)} page types: {' '.join(sorted(checked))}")
    assert not problems, "\n".join(f"{kind}:\n  " + "\n  ".join(found) for kind, found in problems.items())
