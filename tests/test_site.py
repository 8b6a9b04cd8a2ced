"""The docs site: it builds strictly, works offline (no script, style or font from the
network), renders its math with the bundled KaTeX, highlights code at build time, and
links every figure to its full-size file. Skipped where MkDocs is not installed."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("material")

ROOT = Path(__file__).resolve().parents[1]
KATEX = ROOT / "docs" / "assets" / "katex"
NETWORK = re.compile(r"^(https?:)?//", re.I)
# Pages whose math the issue names: the cells, BPTT's sums, the carousel.
MATH_PAGES = ["autodiff", "bptt", "shared-weights", "lstm-cell", "vanishing-gradients"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                             "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


class _Refs(HTMLParser):
    """What a page loads (scripts, stylesheets, fonts, icons), its images and their links."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.styles: list[str] = []          # inline <style> text and style="" attributes
        self.images: list[tuple[str, str | None]] = []   # (img src, href of enclosing <a>)
        self.math: list[tuple[str, str]] = []            # (tag, class) of arithmatex nodes
        self._links: list[str | None] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("style"):
            self.styles.append(a["style"])
        if "arithmatex" in (a.get("class") or "").split():
            self.math.append((tag, a["class"]))
        if tag == "script" and a.get("src"):
            self.loads.append(a["src"])
        elif tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {
                "stylesheet", "preload", "prefetch", "modulepreload", "icon", "preconnect",
                "dns-prefetch"}:
            self.loads.append(a["href"])
        elif tag == "a":
            self._links.append(a.get("href"))
        elif tag == "img":
            self.images.append((a.get("src", ""), self._links[-1] if self._links else None))
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "a" and self._links:
            self._links.pop()
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _parse(page: Path) -> _Refs:
    refs = _Refs()
    refs.feed(page.read_text(encoding="utf-8"))
    return refs


def _css_urls(text: str) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
    urls += re.findall(r"@import\s+['\"]([^'\"]+)", text)
    return urls


def test_site_references_no_network_url_for_scripts_styles_or_fonts(site):
    offenders = []
    for page in sorted(site.rglob("*.html")):
        refs = _parse(page)
        for url in refs.loads + [u for s in refs.styles for u in _css_urls(s)]:
            if NETWORK.match(url):
                offenders.append(f"{page.relative_to(site)}: {url}")
    for sheet in sorted(site.rglob("*.css")):
        for url in _css_urls(sheet.read_text(encoding="utf-8", errors="replace")):
            if NETWORK.match(url):
                offenders.append(f"{sheet.relative_to(site)}: {url}")
    assert not offenders, "the site would fetch these from the network:\n" + "\n".join(offenders)


def test_every_local_script_style_and_font_exists(site):
    missing = []
    for page in sorted(site.rglob("*.html")):
        for url in _parse(page).loads:
            path = url.split("?")[0].split("#")[0]
            target = site / path.lstrip("/") if path.startswith("/") else page.parent / path
            if not NETWORK.match(url) and not target.exists():
                missing.append(f"{page.relative_to(site)}: {url}")
    for sheet in [site / "assets" / "katex" / "katex.min.css"]:
        for url in _css_urls(sheet.read_text()):
            if not (sheet.parent / url).exists():
                missing.append(f"{sheet.name}: {url}")
    assert not missing, "\n".join(missing)


def test_search_index_is_built(site):
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert any("carousel" in doc["text"].lower() for doc in index["docs"])


def test_code_is_highlighted_at_build_time(site):
    html = (site / "autodiff" / "index.html").read_text()
    assert 'class="language-python highlight"' in html
    assert '<span class="kn">import</span>' in html      # Pygments' token spans


@pytest.mark.parametrize("name", MATH_PAGES)
def test_pages_with_equations_carry_math(site, name):
    refs = _parse(site / name / "index.html")
    assert any(tag == "div" for tag, _ in refs.math), f"{name}: no display equation"
    assert any(src.endswith("katex.min.js") for src in refs.loads)


def test_every_figure_links_to_its_full_size_file(site):
    unlinked = []
    for page in sorted(site.rglob("*.html")):
        for src, href in _parse(page).images:
            if "img/" in src and href != src:
                unlinked.append(f"{page.relative_to(site)}: {src} (link: {href})")
    assert not unlinked, "figures should open full size:\n" + "\n".join(unlinked)


def test_math_is_valid_katex(site):
    """Typeset every equation of the site with the bundled KaTeX, in strict mode, so a
    typo shows here rather than as red text on a page. Needs Node.js."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the equations are not typeset here")
    equations = []
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for tag, body in re.findall(r'<(span|div) class="arithmatex">(.*?)</\1>', text, re.S):
            equations.append({"page": str(page.relative_to(site)), "display": tag == "div",
                              "tex": html.unescape(body)})
    assert equations
    script = r"""
const katex = require(process.argv[1]);
const eqs = JSON.parse(require("fs").readFileSync(0, "utf8"));
const bad = [];
for (const e of eqs) {
  const tex = e.tex.trim().replace(/^\\[\[(]/, "").replace(/\\[\])]$/, "");
  try { katex.renderToString(tex, {displayMode: e.display, throwOnError: true}); }
  catch (err) { bad.push(e.page + ": " + err.message); }
}
console.log(JSON.stringify(bad));
"""
    result = subprocess.run([node, "-e", script, str(KATEX / "katex.min.js")],
                            input=json.dumps(equations), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    bad = json.loads(result.stdout)
    assert not bad, "\n".join(bad)
