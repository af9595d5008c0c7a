"""Rendering: notebook conventions → HTML, PDF and DOCX; Quarto selection; settings; failures."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from wreslib.errors import RenderError
from wreslib.render import (
    DEFAULT_CONFIG,
    TEMPLATES,
    PandocRenderer,
    QuartoConfig,
    RenderJob,
    _pandoc_path,
    build_reference_docx,
    notebook_to_markdown,
    render_notebook,
    select_renderer,
)

matplotlib.use("Agg")

TITLE = "SC-WRES data report: Exampleshire"
ALT = "Bar chart: appointment rate 31 per cent for White and 18 per cent for Global Majority applicants."
CAPTION = "Appointment from shortlisting"
SCRAP_JSON = "application/scrapbook.scrap.json+json"


def _png() -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.bar(["White", "Global Majority"], [0.31, 0.18])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=60, metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def make_notebook(*extra_cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["wres"] = {"title": TITLE, "subtitle": "All services", "date": "2025-03-01"}
    table = "| Indicator | RL |\n|---|--:|\n| m2 Appointed | 0.58 |\n| 3. Disciplinary | 1.40 |"
    nb.cells = [
        new_code_cell("council = 'E09000001'", metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("# Introduction\n\nThis report shows **relative likelihoods**."),
        new_code_cell(
            "display(Markdown(table_md))",
            outputs=[new_output("display_data", data={"text/markdown": table, "text/plain": "<Markdown>"})],
        ),
        new_code_cell(
            "display(fig, metadata=alt_md)",
            outputs=[
                new_output(
                    "display_data",
                    data={"image/png": _png(), "text/plain": "<Figure size 400x250>"},
                    metadata={"image/png": {"alt": ALT, "caption": CAPTION}},
                )
            ],
        ),
        new_code_cell(
            "sb.glue('indicators', frame)",
            outputs=[
                new_output(
                    "display_data",
                    data={SCRAP_JSON: {"name": "indicators", "data": {"SCRAPVALUE": 1}, "encoder": "json"}},
                    metadata={"scrapbook": {"name": "indicators", "data": True, "display": False}},
                )
            ],
        ),
        new_code_cell("print('chatter')", outputs=[new_output("stream", name="stdout", text="STREAMED TEXT\n")]),
        new_code_cell(
            "frame.style",
            outputs=[
                new_output("execute_result", data={"text/html": "<b>HTML ONLY</b>"}, execution_count=5),
                new_output("error", ename="ValueError", evalue="ERROR TEXT", traceback=["ERROR TEXT"]),
                new_output(
                    "execute_result",
                    data={"text/markdown": "Sentence from *Markdown*.", "text/html": "<p>HTML TWIN</p>"},
                    execution_count=6,
                ),
            ],
        ),
        new_markdown_cell("REMOVED PROSE", metadata={"tags": ["remove"]}),
        new_markdown_cell("## Next steps\n\nAction planning starts in March."),
        *extra_cells,
    ]
    return nb


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("render")
    nbformat.write(make_notebook(), root / "report.ipynb")
    result = render_notebook(root / "report.ipynb", root / "out", renderer="pandoc")
    return root, result


def test_markdown_follows_the_notebook_conventions(tmp_path: Path) -> None:
    text, meta = notebook_to_markdown(make_notebook(), tmp_path / "assets")
    assert meta == {"title": TITLE, "subtitle": "All services", "lang": "en-GB", "date": "1 March 2025"}
    assert text.startswith("---\ntitle:")
    assert f'![{CAPTION}](assets/fig-001.png){{fig-alt="{ALT}"}}' in text
    assert (tmp_path / "assets" / "fig-001.png").read_bytes().startswith(b"\x89PNG")
    assert "Sentence from *Markdown*." in text
    for leaked in (
        "council",
        "display(",
        "SCRAPVALUE",
        "STREAMED TEXT",
        "REMOVED PROSE",
        "<Markdown>",
        "HTML",
        "ERROR",
    ):
        assert leaked not in text


def test_figure_without_alt_text_is_refused(tmp_path: Path) -> None:
    cell = new_code_cell("fig", outputs=[new_output("display_data", data={"image/png": _png()})])
    with pytest.raises(RenderError, match="no alt text"):
        notebook_to_markdown(make_notebook(cell), tmp_path)


def test_html_is_one_accessible_self_contained_file(rendered: tuple[Path, object]) -> None:
    root, result = rendered
    assert result.renderer == "pandoc" and "pandoc 3" in result.renderer_version and "typst" in result.renderer_version
    assert set(result.files) == {"html", "pdf", "docx"} and set(result.seconds) == {"html", "pdf", "docx"}
    assert sorted(p.name for p in (root / "out").iterdir()) == ["report.docx", "report.html", "report.pdf"]
    html = result.files["html"].read_text(encoding="utf-8")
    assert '<html lang="en-GB"' in html
    assert f"<title>{TITLE}</title>" in html
    assert "<main" in html and "</main>" in html
    assert '<nav id="TOC"' in html
    # skip link first, then the cover (banner) and contents outside <main>, the report inside it
    assert html.index('<a class="skip-link" href="#content">') < html.index('<header id="title-block-header"')
    assert html.index('<nav id="TOC"') < html.index('<main id="content"') < html.index('<h1 id="introduction"')
    assert '<p class="masthead">Social Care Workforce Race Equality Standard</p>' in html
    assert '<p class="date">1 March 2025</p>' in html and '<meta name="dcterms.date" content="2025-03-01">' in html
    assert "<table>" in html and "<td>m2 Appointed</td>" in html and "<td>3. Disciplinary</td>" in html
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 1
    assert f'alt="{ALT}"' in images[0] and 'src="data:image/png;base64,' in images[0]
    assert f"<figcaption>{CAPTION}</figcaption>" in html
    assert "<p>Sentence from <em>Markdown</em>.</p>" in html
    for leaked in ("council", "display(", "SCRAPVALUE", "scrapbook", "STREAMED", "REMOVED", "HTML ONLY", "HTML TWIN"):
        assert leaked not in html
    assert "mathjax" not in html.lower() and "ERROR TEXT" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "max-width: 50rem" in html  # the house CSS named in _quarto.yml, embedded


def test_pdf_is_tagged_a4_with_title_and_language(rendered: tuple[Path, object]) -> None:
    _, result = rendered
    pdf = result.files["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert b"/StructTreeRoot" in pdf and b"/MarkInfo" in pdf
    assert b"/Lang(en-GB)" in pdf
    assert f"/Title({TITLE})".encode() in pdf
    assert b"pdfuaid" in pdf  # pdf-standard: ua-1 from _quarto.yml
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595\.\d+ 841\.\d+\s*\]", pdf)  # papersize: a4
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(result.files["pdf"]), "-"], capture_output=True, text=True).stdout
        assert TITLE in text and "m2 Appointed" in text and "3. Disciplinary" in text and CAPTION in text
        assert "STREAMED TEXT" not in text and "SCRAPVALUE" not in text


def test_docx_has_a_real_table_and_alt_text(rendered: tuple[Path, object]) -> None:
    _, result = rendered
    with zipfile.ZipFile(result.files["docx"]) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        core = docx.read("docProps/core.xml").decode("utf-8")
    assert "<w:tbl>" in document and "m2 Appointed" in document and "3. Disciplinary" in document
    assert f'descr="{ALT}"' in document
    assert f"<dc:title>{TITLE}</dc:title>" in core and "<dc:language>en-GB</dc:language>" in core
    assert "STREAMED TEXT" not in document and "SCRAPVALUE" not in document
    # "# Introduction" and "## Next steps" stay Heading 1 and 2 (nothing to raise); the title keeps its style
    assert re.findall(r'<w:pStyle w:val="(Title|Heading\d)"', document) == ["Title", "Heading1", "Heading2"]


def test_word_sections_start_at_heading_1_and_tables_fit_their_text(tmp_path: Path) -> None:
    nb = make_notebook()
    nb.cells = [c for c in nb.cells if c.cell_type != "markdown"] + [
        new_markdown_cell("## Section\n\nText.\n\n### Part\n\n| Service | Unknown | Assessment |\n|---|--:|---|\n"
                          "| Adults | 0 of 1 | favourable to Global Majority staff, with a long note |"),
    ]  # fmt: skip
    nbformat.write(nb, tmp_path / "report.ipynb")
    result = render_notebook(tmp_path / "report.ipynb", tmp_path / "out", formats=["docx", "html"], renderer="pandoc")
    with zipfile.ZipFile(result.files["docx"]) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        styles = docx.read("word/styles.xml").decode("utf-8")
        theme = docx.read("word/theme/theme1.xml").decode("utf-8")
    assert re.findall(r'<w:pStyle w:val="(Title|Heading\d)"', document) == ["Title", "Heading1", "Heading2"]
    assert '<h2 id="section">' in result.files["html"].read_text(encoding="utf-8")  # HTML keeps <h1> for the title
    last_table = document[document.rindex("<w:tbl>") :]
    grid = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"', last_table)]
    # each column at least its longest word ("Unknown", "Assessment"), the long text taking the rest
    assert len(grid) == 3 and grid[2] > grid[0] and grid[1] >= 0.13 * sum(grid)
    assert re.search(r'<w:tblW w:type="pct" w:w="\d+" />', last_table)  # a share of the page, not even columns
    # the house styles of templates/reference.docx: Arial, brand headings, ruled tables, A4
    assert '<a:latin typeface="Arial"' in theme and '<w:color w:val="12436D" />' in styles
    assert '<w:insideH w:color="B1B4B6"' in styles and re.search(r'<w:pgSz w:h="16838" w:w="11906"', document)


def test_reference_docx_is_what_its_builder_makes(tmp_path: Path) -> None:
    """The committed house styles can be remade from pandoc's reference document, byte for byte."""
    built = build_reference_docx(tmp_path / "reference.docx")
    assert built.read_bytes() == (TEMPLATES / "reference.docx").read_bytes(), (
        "templates/reference.docx is stale: rebuild it with wreslib.render.build_reference_docx()"
    )


def test_table_cells_are_not_read_as_typst_markup(tmp_path: Path) -> None:
    """pandoc escapes "1. " only at paragraph starts; in a cell Typst would make it a numbered list."""
    markdown = "| Indicator | RL |\n|---|--:|\n| 1. Pay band | 0.9 |\n| - minus | 1 |\n"
    typst_markup = subprocess.run(
        [_pandoc_path(), "-f", "markdown", "-t", "typst", f"--lua-filter={TEMPLATES / 'tables.lua'}"],
        input=markdown, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert r"[\1. Pay band]" in typst_markup and r"[\- minus]" in typst_markup
    assert "columns: 2," in typst_markup  # no widths in proportion to the dashes


def test_alt_text_with_quotes_and_backslashes_survives_typst(tmp_path: Path) -> None:
    alt = 'Chart "A" \\ B; 50% of {staff} #hash'
    figure = new_output("display_data", data={"image/png": _png()}, metadata={"image/png": {"alt": alt}})
    nbformat.write(make_notebook(new_code_cell("fig", outputs=[figure])), tmp_path / "report.ipynb")
    result = render_notebook(tmp_path / "report.ipynb", tmp_path / "out", formats=["pdf", "html"], renderer="pandoc")
    assert result.files["pdf"].read_bytes().startswith(b"%PDF-")
    assert 'alt="Chart &quot;A&quot; \\ B; 50% of {staff} #hash"' in result.files["html"].read_text(encoding="utf-8")


def test_outputs_are_reproducible(tmp_path: Path, rendered: tuple[Path, object]) -> None:
    _, first = rendered
    nbformat.write(make_notebook(), tmp_path / "report.ipynb")
    second = render_notebook(tmp_path / "report.ipynb", tmp_path / "again", renderer="pandoc")
    for fmt in ("html", "pdf", "docx"):
        assert first.files[fmt].read_bytes() == second.files[fmt].read_bytes(), fmt


def test_settings_come_from_quarto_yml(tmp_path: Path) -> None:
    config = QuartoConfig.load()
    assert config.path == DEFAULT_CONFIG.resolve()
    job = RenderJob(tmp_path, tmp_path / "report.md", "report", config, 0)
    args = PandocRenderer().options(job, "typst")
    assert "--toc" in args and "--toc-depth=2" in args
    metadata = (tmp_path / "settings-typst.yaml").read_text(encoding="utf-8")
    assert "papersize: a4" in metadata and "lang: en-GB" in metadata

    custom = tmp_path / "_quarto.yml"
    custom.write_text("lang: en-GB\nformat:\n  typst:\n    papersize: us-letter\n    toc: false\n", encoding="utf-8")
    nbformat.write(make_notebook(), tmp_path / "report.ipynb")
    result = render_notebook(tmp_path / "report.ipynb", tmp_path / "out", formats=["pdf"], config=custom)
    pdf = result.files["pdf"].read_bytes()
    assert re.search(rb"/MediaBox\s*\[\s*0 0 612 792\s*\]", pdf)
    assert b"pdfuaid" not in pdf


FAKE_QUARTO = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "1.9.99"; exit 0; fi
log="{log}"
echo "argv: $*" >> "$log"
[ -f _quarto.yml ] && cp _quarto.yml "{seen}"
[ -f "$2" ] && echo "markdown beside config: $2" >> "$log"
[ -f wreslib/templates/report.css ] && [ -f wreslib/templates/tables.lua ] && echo "files copied" >> "$log"
if [ -n "$FAKE_QUARTO_FAIL" ]; then echo "ERROR: quarto exploded" >&2; exit 1; fi
stem=$(basename "$2" .md)
case "$4" in html) ext=html ;; typst) ext=pdf ;; *) ext=$4 ;; esac
echo "fake $4" > "$stem.$ext"
"""


@pytest.fixture
def fake_quarto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "quarto.log"
    script = bin_dir / "quarto"
    script.write_text(FAKE_QUARTO.format(log=log, seen=tmp_path / "seen_quarto.yml"), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


def test_auto_selects_quarto_when_it_is_on_path(tmp_path: Path, fake_quarto: Path) -> None:
    assert select_renderer().name == "quarto"
    assert select_renderer("pandoc").name == "pandoc"
    nbformat.write(make_notebook(), tmp_path / "report.ipynb")
    result = render_notebook(tmp_path / "report.ipynb", tmp_path / "out", stem="e09")
    assert result.renderer == "quarto" and result.renderer_version == "quarto 1.9.99"
    assert {fmt: path.name for fmt, path in result.files.items()} == {
        "html": "e09.html", "pdf": "e09.pdf", "docx": "e09.docx",
    }  # fmt: skip
    assert result.files["pdf"].read_text() == "fake typst\n"
    log = fake_quarto.read_text()
    for to in ("html", "typst", "docx"):
        assert f"argv: render e09.md --to {to}" in log
    assert "markdown beside config: e09.md" in log and "files copied" in log
    assert (tmp_path / "seen_quarto.yml").read_bytes() == DEFAULT_CONFIG.read_bytes()


def test_renderer_failures_raise_render_error(tmp_path: Path, fake_quarto: Path, monkeypatch) -> None:
    (tmp_path / "corrupt.ipynb").write_text("{ not json", encoding="utf-8")
    with pytest.raises(RenderError, match="cannot read notebook"):
        render_notebook(tmp_path / "corrupt.ipynb", tmp_path / "out", renderer="pandoc")

    bad_typst = new_markdown_cell("```{=typst}\n#let broken = (\n```")
    nbformat.write(make_notebook(bad_typst), tmp_path / "bad.ipynb")
    with pytest.raises(RenderError, match="typst failed"):
        render_notebook(tmp_path / "bad.ipynb", tmp_path / "out", renderer="pandoc")
    assert not (tmp_path / "out").exists()  # HTML rendered first, yet nothing was published

    monkeypatch.setenv("FAKE_QUARTO_FAIL", "1")
    with pytest.raises(RenderError, match="quarto exploded"):
        render_notebook(tmp_path / "bad.ipynb", tmp_path / "out", renderer="quarto")
    with pytest.raises(RenderError, match="unknown renderer"):
        select_renderer("latex")
