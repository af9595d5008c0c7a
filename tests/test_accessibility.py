"""Accessibility (WCAG 2.2 AA) of what readers get, checked on real reports built from the demo store.

HTML: axe-core's WCAG 2.2 A and AA rules in headless Debian Chromium (tests/a11y/axe_check.mjs;
`make test` installs Chromium from apt and axe-core + playwright-core from npm). PDF: tagged,
with title, language and PDF/UA-1 identification, every figure with alt text (read from the file's
bytes: Typst writes no object streams). Word: real headings, header rows and alt text. The
per-year index page: accessible, and linking every file published.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import AUDIENCE_COUNCIL, DEMO_COUNCILS
from wreslib.authorities import load_authorities
from wreslib.index_page import discover_reports, index_html, write_index_page

ROOT = Path(__file__).resolve().parent.parent
AXE_SCRIPT = ROOT / "tests" / "a11y" / "axe_check.mjs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SMALL = "E09000001"  # City of London: 75 staff in the demo, small numbers everywhere
# A handful of pages, about a second each: the smallest council, the council built in every
# audience (County Durham, ~1,500 staff), the nation, and the index page.
AXE_CHECKED = (SMALL, AUDIENCE_COUNCIL, "national")

# A page with faults axe must find, so a silent harness cannot pass the real pages.
CANARY = """<!DOCTYPE html><html><head><title>canary</title></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<table><tr><th></th><th>Ratio</th></tr><tr><td>a</td><td>1</td></tr></table>
<p style="color:#bbbbbb;background:#ffffff">faint text</p></body></html>"""
CANARY_RULES = {"image-alt", "html-has-lang", "color-contrast"}


def run_axe(pages: list[Path]) -> dict:
    """axe-core results for each page, from one Chromium session."""
    missing = [
        what
        for what, ok in (
            ("node", shutil.which("node") is not None),
            (f"Chromium at {CHROMIUM} (apt-get install chromium)", Path(CHROMIUM).is_file()),
            ("node_modules (npm ci)", (ROOT / "node_modules" / "axe-core").is_dir()),
        )
        if not ok
    ]
    if missing:
        pytest.fail("accessibility tools missing: " + "; ".join(missing) + ". `make test` installs them.")
    done = subprocess.run(
        ["node", str(AXE_SCRIPT), *map(str, pages)], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "CHROMIUM": CHROMIUM, "AXE_TAGS": ",".join(WCAG_TAGS)},
    )  # fmt: skip
    assert done.returncode == 0, f"axe_check.mjs failed:\n{done.stderr}"
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def axe(built_reports, tmp_path_factory) -> tuple[Path, dict]:
    year_dir, _ = built_reports
    canary = tmp_path_factory.mktemp("canary") / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    pages = sorted(p for name in AXE_CHECKED for p in (year_dir / name).rglob("*.html") if "notebook" not in p.name)
    auditor_copies = sorted((year_dir / SMALL).rglob("notebook*.html"))[:1]  # one is enough: same template
    return year_dir, run_axe([*pages, *auditor_copies, year_dir / "index.html", canary])


def test_axe_finds_faults_when_there_are_some(axe):
    _, result = axe
    assert result["tags"] == WCAG_TAGS
    canary = next(page for name, page in result["pages"].items() if name.endswith("canary.html"))
    assert {v["id"] for v in canary["violations"]} >= CANARY_RULES


def test_html_reports_and_index_have_no_wcag_violations(axe):
    year_dir, result = axe
    pages = {Path(name).resolve(): page for name, page in result["pages"].items() if not name.endswith("canary.html")}
    checked = {path.relative_to(year_dir.resolve()).parts[0] for path in pages}
    assert checked == {*AXE_CHECKED, "index.html"}
    problems = [
        f"{path.relative_to(year_dir.resolve())}: {v['id']} ({v['impact']}) {v['help']}: {n['target']} {n['html'][:99]}"
        for path, page in sorted(pages.items())
        for v in page["violations"]
        for n in v["nodes"][:3]
    ]
    assert not problems, "\n".join(problems)
    assert all(page["passes"] >= 15 for page in pages.values())  # the rules ran on real content


def _report_files(year_dir: Path, suffix: str) -> list[Path]:
    return sorted(p for p in year_dir.rglob(f"*{suffix}") if "_failed" not in p.parts and p.name != "index.html")


def _pdf_strings_after(key: bytes, data: bytes) -> list[str]:
    """Every string object following ``key``: (literal, where balanced parentheses nest) or <hex>."""
    found = []
    for match in re.finditer(re.escape(key) + rb"\s*([(<])", data):
        start = match.end(1)
        if match.group(1) == b"<":
            raw = bytes.fromhex(data[start : data.index(b">", start)].decode())
        else:
            depth, i, out = 1, start, bytearray()
            while depth:
                char = data[i : i + 1]
                if char == b"\\":
                    out += data[i + 1 : i + 2]
                    i += 2
                    continue
                depth += {b"(": 1, b")": -1}.get(char, 0)
                if depth:
                    out += char
                i += 1
            raw = bytes(out)
        found.append(raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1"))
    return found


def _html_for(document: Path) -> Path:
    return document.with_suffix(".html")


def _images_in_html(html: Path) -> int:
    return len(re.findall(r"<img\b", html.read_text(encoding="utf-8")))


def test_every_pdf_is_tagged_titled_and_in_english(built_reports):
    year_dir, _ = built_reports
    pdfs = _report_files(year_dir, ".pdf")
    assert {p.relative_to(year_dir).parts[0] for p in pdfs} == {*DEMO_COUNCILS, "national"}
    names = load_authorities().set_index("gss_code")["name"]
    for pdf in pdfs:
        data = pdf.read_bytes()
        where = pdf.relative_to(year_dir)
        assert data.startswith(b"%PDF-"), where
        assert b"/StructTreeRoot" in data, f"{where}: not tagged"
        assert re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", data), f"{where}: not marked as tagged"
        assert re.search(rb"/Lang\s*\(en-GB\)", data), f"{where}: no document language"
        assert b"<pdfuaid:part>1</pdfuaid:part>" in data, f"{where}: not identified as PDF/UA-1"
        assert re.search(rb"/DisplayDocTitle\s+true", data), f"{where}: viewers would show the file name"
        xmp_title = re.search(rb'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">([^<]+)</rdf:li>', data)
        assert xmp_title, f"{where}: no title"
        title = xmp_title.group(1).decode("utf-8")
        owner = where.parts[0]
        assert ("SC-WRES national report" in title) if owner == "national" else (names[owner] in title), title
        alts = _pdf_strings_after(b"/Alt", data)
        figures = len(re.findall(rb"/S\s*/Figure\b", data))
        assert figures == len(alts) == _images_in_html(_html_for(pdf)) >= 1, where
        assert all(len(alt.strip()) > 20 for alt in alts), f"{where}: an empty or trivial alt text"


def test_every_word_document_has_headings_header_rows_and_alt_text(built_reports):
    year_dir, _ = built_reports
    documents = _report_files(year_dir, ".docx")
    assert {p.relative_to(year_dir).parts[0] for p in documents} == {*DEMO_COUNCILS, "national"}
    for path in documents:
        where = path.relative_to(year_dir)
        with zipfile.ZipFile(path) as docx:
            body = docx.read("word/document.xml").decode("utf-8")
            core = docx.read("docProps/core.xml").decode("utf-8")
            styles = docx.read("word/styles.xml").decode("utf-8")
        levels = [int(level) for level in re.findall(r'<w:pStyle w:val="Heading(\d)"', body)]
        assert levels and levels[0] == 1, f"{where}: Word's navigation needs sections from Heading 1"
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), f"{where}: a heading level skipped"
        tables = re.findall(r"<w:tbl>.*?</w:tbl>", body, flags=re.DOTALL)
        assert tables, where
        for table in tables:
            first_row = re.search(r"<w:tr>.*?</w:tr>", table, flags=re.DOTALL).group(0)
            assert '<w:tblHeader w:val="on"' in first_row, f"{where}: a table without a header row"
        descriptions = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', body)
        assert len(re.findall(r"<wp:docPr ", body)) == len(descriptions) == _images_in_html(_html_for(path))
        assert all(len(d.strip()) > 20 for d in descriptions), f"{where}: an empty or trivial alt text"
        assert re.search(r"<dc:title>[^<]+</dc:title>", core) and "<dc:language>en-GB</dc:language>" in core
        assert 'w:val="en-GB"' in styles


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href", ""))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_index_page_links_every_published_file(built_reports):
    year_dir, _ = built_reports
    page = (year_dir / "index.html").read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(page)
    text = " ".join(" ".join(parser.text).split())
    files = {p.relative_to(year_dir).as_posix() for p in year_dir.rglob("*")
             if p.is_file() and p.suffix in {".html", ".pdf", ".docx", ".csv"} and p.name != "index.html"
             and "_failed" not in p.parts}  # fmt: skip
    files |= {p.relative_to(year_dir).as_posix() for p in year_dir.glob("*/**/manifest.json")}
    linked = {href for href in parser.hrefs if not href.startswith("#")}
    assert linked == files
    councils = load_authorities().set_index("gss_code")
    for code in DEMO_COUNCILS:
        assert councils.at[code, "name"] in text and code in text and councils.at[code, "region"] in text
    assert "National report" in text and '<html lang="en-GB">' in page and "<title>SC-WRES reports 2024</title>" in page
    assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)  # nothing loaded from anywhere


def _manifest(folder: Path, outputs: list[str], **record) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in outputs:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x" * 2600)
    record["outputs"] = {name: "0" * 64 for name in outputs}
    (folder / "manifest.json").write_text(json.dumps(record), encoding="utf-8")


def test_index_page_finds_reports_whatever_the_layout(tmp_path: Path):
    """Audiences in file names, in sub-folders or in the manifest; unreadable manifests and failures listed."""
    year = tmp_path / "2024"
    _manifest(year / "E09000001", ["report-full.html", "report-full.pdf", "report-staff.html", "report-staff.docx",
                                   "indicators.csv", "notebook.html"],
              kind="authority", parameters={"authority_code": "E09000001"}, title="City of London")  # fmt: skip
    _manifest(year / "E10000016" / "leadership", ["report.pdf"], kind="authority", audience="leadership",
              parameters={"authority_code": "E10000016"})  # fmt: skip
    _manifest(year / "E10000016" / "staff", ["report.html"], kind="authority", parameters={
        "authority_code": "E10000016", "audience": "staff"})  # fmt: skip
    _manifest(year / "national", ["report.html", "indicators.csv"], kind="national", report="national")
    _manifest(year / ".E06000047.tmp-1", ["report.html"], kind="authority", report="E06000047")  # being built
    (year / "E08000025").mkdir()
    (year / "E08000025" / "manifest.json").write_text("{ not json", encoding="utf-8")
    (year / "run.json").write_text(json.dumps({"results": [
        {"name": "E06000005", "status": "failed", "message": "cell 4: KeyError: 'x'"},
        {"name": "E09000001", "status": "built"}]}), encoding="utf-8")  # fmt: skip

    audiences = {"full": "SC-WRES project group", "leadership": "Leadership team", "staff": "All staff"}
    index = discover_reports(year, audiences)
    by_code = {entry.code: entry for entry in index.entries}
    assert set(by_code) == {"E09000001", "E10000016", None}
    london = by_code["E09000001"]
    assert (london.name, london.region) == ("City of London", "London")
    assert {a: [f.href for f in files] for a, files in london.documents.items()} == {
        "full": ["E09000001/report-full.html", "E09000001/report-full.pdf"],
        "staff": ["E09000001/report-staff.html", "E09000001/report-staff.docx"],
    }
    assert [f.label for f in london.data[""]] == ["Notebook with code (HTML)", "Indicators (CSV)", "Manifest (JSON)"]
    kent = by_code["E10000016"]
    assert {a: [f.href for f in files] for a, files in kent.documents.items()} == {
        "leadership": ["E10000016/leadership/report.pdf"], "staff": ["E10000016/staff/report.html"],
    }  # fmt: skip
    assert [e.code for e in index.councils] == ["E09000001", "E10000016"]  # City of London, Kent
    assert index.problems == [
        "E08000025/manifest.json: unreadable manifest (Expecting property name enclosed in double quotes: "
        "line 1 column 3 (char 2))",
        "E06000005 failed in the last run: cell 4: KeyError: 'x' (its notebook is in _failed/; any report listed "
        "for it is from an earlier run)",
    ]

    page = index_html(index)
    assert page.index("<th scope=\"col\">SC-WRES project group</th>") < page.index("<th scope=\"col\">All staff</th>")
    assert ('<a href="E09000001/report-staff.docx">Word<span class="visually-hidden">: City of London, All staff'
            '</span></a> <span class="file-size">(3 KB)</span>') in page  # fmt: skip
    assert '<h3 id="region-south-east">South East</h3>' in page and "E06000047" not in page
    written = write_index_page(year)
    assert written == year / "index.html" and written.read_text(encoding="utf-8").count("<table>") == 3
    assert not list(year.glob(".index*"))


def test_wres_index_rewrites_the_page(built_reports, capsys):
    from wreslib.cli import main

    year_dir, _ = built_reports
    before = (year_dir / "index.html").read_text(encoding="utf-8")
    (year_dir / "index.html").unlink()
    assert main(["index", "--year", year_dir.name, "--out", str(year_dir.parent)]) == 0
    assert (year_dir / "index.html").read_text(encoding="utf-8") == before  # the same manifests, the same page
    assert capsys.readouterr().out == f"wrote {year_dir / 'index.html'}\n"
    assert main(["index", "--year", "1999", "--out", str(year_dir.parent)]) == 2
