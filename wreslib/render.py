"""Render executed report notebooks to HTML, PDF and DOCX.

An executed notebook becomes Pandoc Markdown (prose, Markdown outputs and PNG figures with
their alt text; code, streams and scrapbook payloads left out), which a renderer turns into
the published files. Both renderers read the same Markdown and the same settings file,
``_quarto.yml``: Quarto when it is installed, else pandoc + Typst, which need neither TeX nor
a browser and install as Python wheels, so reports render offline and in CI.
"""

from __future__ import annotations

import base64
import importlib.metadata
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import nbformat
import yaml

from wreslib.errors import RenderError

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "_quarto.yml"
DEFAULT_LANG = "en-GB"


class OutputFormat(NamedTuple):
    quarto: str  # the format's name in _quarto.yml and for `quarto render --to`
    suffix: str


FORMATS: dict[str, OutputFormat] = {
    "html": OutputFormat("html", ".html"),
    "pdf": OutputFormat("typst", ".pdf"),
    "docx": OutputFormat("docx", ".docx"),
}


@dataclass
class RenderResult:
    """What was rendered, by what, how long each format took and what the tools warned about."""

    files: dict[str, Path]
    renderer: str
    renderer_version: str
    seconds: dict[str, float]
    config: Path | None = None
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Notebook → Markdown


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _one_line(value: Any) -> str:
    return " ".join(_text(value).split())


def _attribute(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


DOCUMENT_KEYS = ("title", "subtitle", "pagetitle", "description", "lang", "date")


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # English whatever the machine's locale


def display_date(value: str) -> str:
    """An ISO date as people read it in a publication ("1 March 2025"); anything else as written."""
    try:
        day = date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        day = None
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else value


def _parse_date(text: str) -> date | None:
    """The date in an ISO or a displayed ("1 March 2025") date, else None."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2}) ([A-Z][a-z]+) (\d{4})", text)
    if match and match.group(2) in MONTHS:
        try:
            return date(int(match.group(3)), MONTHS.index(match.group(2)) + 1, int(match.group(1)))
        except ValueError:
            return None
    return None


def _document_metadata(nb: nbformat.NotebookNode) -> dict[str, str]:
    wres = nb.get("metadata", {}).get("wres", {}) or {}
    meta = {key: _one_line(wres[key]) for key in DOCUMENT_KEYS if wres.get(key) not in (None, "")}
    meta["lang"] = _one_line(wres.get("lang") or DEFAULT_LANG)
    if "date" in meta:
        meta["date"] = display_date(meta["date"])
    if "title" not in meta:
        meta["pagetitle"] = _first_heading(nb) or "Report"
    return {key: meta[key] for key in DOCUMENT_KEYS if key in meta}


def _first_heading(nb: nbformat.NotebookNode) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#{1,6}\s+(.+?)\s*#*\s*$", _text(cell.source), re.MULTILINE)
            if match:
                return match.group(1)
    return None


def _markdown_cell(cell: nbformat.NotebookNode, index: int, assets_dir: Path) -> str:
    """Cell prose, with attached images written out and their `attachment:` links rewritten."""
    source = _text(cell.source)
    for name, bundle in sorted((cell.get("attachments") or {}).items()):
        mime = next((m for m in ("image/png", "image/jpeg", "image/gif") if m in bundle), None)
        if mime is None:
            continue
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        target = assets_dir / f"att-{index:03d}-{safe}"
        target.write_bytes(base64.b64decode(_text(bundle[mime])))
        source = source.replace(f"attachment:{name}", f"{assets_dir.name}/{target.name}")
    return source.strip("\n")


def _figure(output: nbformat.NotebookNode, number: int, index: int, assets_dir: Path) -> str:
    meta = (output.get("metadata") or {}).get("image/png") or {}
    caption = _one_line(meta.get("caption") or "")
    alt = _one_line(meta.get("alt") or "") or caption
    if not alt:
        raise RenderError(
            f"cell {index}: figure {number} has no alt text; display it with metadata={{'image/png': {{'alt': '...'}}}}"
        )
    name = f"fig-{number:03d}.png"
    (assets_dir / name).write_bytes(base64.b64decode(_text(output.data["image/png"])))
    caption = re.sub(r"([\[\]])", r"\\\1", caption)
    return f"![{caption}]({assets_dir.name}/{name}){{fig-alt={_attribute(alt)}}}"


def notebook_to_markdown(nb: nbformat.NotebookNode, assets_dir: Path) -> tuple[str, dict]:
    """Pandoc Markdown for a report notebook, and the document metadata put in its YAML block.

    Figures are written to ``assets_dir`` as fig-001.png, fig-002.png, … and linked as
    ``assets_dir.name/fig-NNN.png``, so the Markdown belongs in ``assets_dir.parent``.
    """
    assets_dir.mkdir(parents=True, exist_ok=True)
    meta = _document_metadata(nb)
    blocks = ["---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000) + "---"]
    figures = 0
    for index, cell in enumerate(nb.cells):
        if "remove" in (cell.get("metadata", {}).get("tags") or []):
            continue
        if cell.cell_type == "markdown":
            blocks.append(_markdown_cell(cell, index, assets_dir))
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = output.get("data") or {}
            if any(mime.startswith("application/scrapbook") for mime in data):
                continue
            if "text/markdown" in data:
                blocks.append(_text(data["text/markdown"]).strip("\n"))
            elif "image/png" in data:
                figures += 1
                blocks.append(_figure(output, figures, index, assets_dir))
    return "\n\n".join(block for block in blocks if block.strip()) + "\n", meta


# ---------------------------------------------------------------------------------------------
# _quarto.yml


# Keys of _quarto.yml that name files (relative to it): copied for Quarto, resolved for pandoc.
PATH_KEYS = ("css", "include-in-header", "include-before-body", "include-after-body", "reference-doc", "filters")
# Project-level and Quarto-only keys: not document settings, never passed to pandoc as metadata.
NOT_SETTINGS = frozenset({"project", "format", "execute", "echo", "theme", "keep-md", "keep-typ", "output-file"})


@dataclass(frozen=True)
class QuartoConfig:
    """The format settings in _quarto.yml, merged per format as Quarto merges them."""

    path: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path | None = None) -> QuartoConfig:
        path = Path(path) if path is not None else DEFAULT_CONFIG
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RenderError(f"cannot read format settings {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise RenderError(f"{path}: expected a mapping at the top level")
        return cls(path.resolve(), data)

    def settings(self, quarto_format: str) -> dict[str, Any]:
        """Document-level keys overridden by the format's own, e.g. ``format: typst: toc: false``."""
        shared = {key: value for key, value in self.data.items() if key not in NOT_SETTINGS}
        own = (self.data.get("format") or {}).get(quarto_format)
        return {**shared, **(own if isinstance(own, dict) else {})}

    def resolve(self, relative: str) -> Path:
        return self.path.parent / relative

    def resources(self) -> list[str]:
        """Every file the settings refer to, relative to _quarto.yml."""
        scopes = [self.data, *[v for v in (self.data.get("format") or {}).values() if isinstance(v, dict)]]
        found = {item for scope in scopes for key in PATH_KEYS for item in _paths(key, scope.get(key))}
        return sorted(found)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _paths(key: str, value: Any) -> list[str]:
    """The files a path key names; `filters` may also hold Quarto's "quarto" marker or {path: …, at: …}."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    paths = [str(item.get("path")) if isinstance(item, dict) else str(item) for item in items]
    return [path for path in paths if not (key == "filters" and path in ("quarto", "None"))]


# ---------------------------------------------------------------------------------------------
# Renderers


@dataclass
class RenderJob:
    """One notebook's intermediates in a scratch directory, shared by all its formats."""

    work: Path
    markdown: Path
    stem: str
    config: QuartoConfig
    epoch: int
    warnings: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {**os.environ, "SOURCE_DATE_EPOCH": str(self.epoch)}


class Renderer:
    """A way to turn the report Markdown into one output format (plug-in base class)."""

    name: ClassVar[str]

    def available(self) -> bool:
        return True

    def version(self) -> str:
        raise NotImplementedError

    def prepare(self, job: RenderJob) -> None:
        """Set up the scratch directory once, before any format is rendered."""

    def render(self, job: RenderJob, fmt: str) -> Path:
        """Render ``fmt`` ("html", "pdf" or "docx") and return the file written in ``job.work``."""
        raise NotImplementedError


def _run(command: list[str], job: RenderJob, what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(command, cwd=job.work, env=job.env(), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise RenderError(f"{what}: cannot run {command[0]}: {exc}") from exc
    if done.returncode != 0:
        raise RenderError(f"{what} failed (exit {done.returncode}):\n{done.stderr.strip() or done.stdout.strip()}")
    return done


@cache
def _pandoc_path() -> str:
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        found = shutil.which("pandoc")
        if found is None:
            raise RenderError("pandoc not found: install pypandoc-binary") from None
        return found


@cache
def _pandoc_typst_version() -> str:
    import typst

    first = subprocess.run([_pandoc_path(), "--version"], capture_output=True, text=True).stdout.splitlines()
    typst_version = typst.eval(b"", "str(sys.version)").strip('"')
    return f"{first[0] if first else 'pandoc ?'}; typst {typst_version}"


@cache
def _font_paths() -> list[str]:
    """Fonts Typst may use besides its own: matplotlib's DejaVu, the charts' font, pinned in the lock.

    System fonts are ignored, so a PDF looks (and hashes) the same on every machine.
    """
    import matplotlib

    return [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]


class PandocRenderer(Renderer):
    """pandoc for HTML and DOCX; pandoc → Typst markup → the typst package for a tagged PDF."""

    name = "pandoc"
    FLAGS: ClassVar[dict[str, str]] = {"toc": "--toc", "number-sections": "--number-sections"}
    MATH: ClassVar[dict[str, list[str]]] = {"plain": [], "mathml": ["--mathml"]}
    NUMBERS: ClassVar[frozenset[str]] = frozenset({"toc-depth", "shift-heading-level-by"})
    HANDLED: ClassVar[frozenset[str]] = frozenset({"embed-resources", "html-math-method", "pdf-standard"})

    def available(self) -> bool:
        try:
            _pandoc_path()
            import typst  # noqa: F401
        except (RenderError, ImportError):
            return False
        return True

    def version(self) -> str:
        return _pandoc_typst_version()

    def options(self, job: RenderJob, quarto_format: str) -> list[str]:
        """Translate the format's _quarto.yml settings into pandoc arguments and a metadata file."""
        settings = job.config.settings(quarto_format)
        args, metadata = [], {}
        for key, value in settings.items():
            if key in self.FLAGS:
                if value:
                    args.append(self.FLAGS[key])
            elif key == "filters":
                for item in _paths(key, value):
                    kind = "--lua-filter" if item.endswith(".lua") else "--filter"
                    args.append(f"{kind}={job.config.resolve(item)}")
            elif key in PATH_KEYS:
                args += [f"--{key}={job.config.resolve(item)}" for item in _paths(key, value)]
            elif key in self.NUMBERS:
                args.append(f"--{key}={int(value)}")
            elif key == "html-math-method" and quarto_format == "html":
                method = value.get("method") if isinstance(value, dict) else value
                if method not in self.MATH:
                    raise RenderError(f"html-math-method {method!r} loads from the network; use plain or mathml")
                args += self.MATH[method]
            elif key not in self.HANDLED:
                metadata[key] = value
        settings_file = job.work / f"settings-{quarto_format}.yaml"
        settings_file.write_text(yaml.safe_dump(metadata, sort_keys=True, allow_unicode=True), encoding="utf-8")
        return [*args, f"--metadata-file={settings_file}"]

    def pandoc(self, job: RenderJob, to: str, output: Path, extra: Sequence[str] = ()) -> None:
        command = [
            _pandoc_path(), job.markdown.name, "--from=markdown", f"--to={to}", "--standalone",
            f"--data-dir={job.work / '.pandoc'}", f"--lua-filter={TEMPLATES / 'wres.lua'}",
            *extra, f"--output={output.name}",
        ]  # fmt: skip
        done = _run(command, job, f"pandoc ({to})")
        job.warnings += [f"pandoc ({to}): {line}" for line in done.stderr.splitlines() if line.strip()]

    def render(self, job: RenderJob, fmt: str) -> Path:
        quarto_format = FORMATS[fmt].quarto
        options = self.options(job, quarto_format)
        output = job.work / f"{job.stem}{FORMATS[fmt].suffix}"
        if fmt == "html":
            template = f"--template={TEMPLATES / 'report.html'}"
            self.pandoc(job, "html5", output, ["--embed-resources", template, *options])
        elif fmt == "docx":
            self.pandoc(job, "docx", output, options)
        else:
            typ = output.with_suffix(".typ")
            self.pandoc(job, "typst", typ, [f"--template={TEMPLATES / 'report.typ'}", *options])
            self.typst(job, typ, output, _as_list(job.config.settings(quarto_format).get("pdf-standard")))
        return output

    def typst(self, job: RenderJob, typ: Path, pdf: Path, standards: list[str]) -> None:
        import typst

        try:
            _, warnings = typst.compile_with_warnings(
                str(typ), output=str(pdf), root=str(job.work), timestamp=job.epoch,
                pdf_standards=standards, pdf_tags=True, font_paths=_font_paths(), ignore_system_fonts=True,
            )  # fmt: skip
        except typst.TypstError as exc:
            advice = "\n(give the notebook a title: metadata wres.title)" if "document title" in exc.message else ""
            raise RenderError(f"typst failed:\n{(exc.diagnostic or exc.message).strip()}{advice}") from exc
        job.warnings += [f"typst: {warning.message}" for warning in warnings]


class QuartoRenderer(Renderer):
    """`quarto render report.md --to html|typst|docx`, with _quarto.yml and its files beside it."""

    name = "quarto"

    def available(self) -> bool:
        return shutil.which("quarto") is not None

    def version(self) -> str:
        done = subprocess.run(["quarto", "--version"], capture_output=True, text=True)
        return f"quarto {done.stdout.strip()}"

    def prepare(self, job: RenderJob) -> None:
        shutil.copyfile(job.config.path, job.work / "_quarto.yml")
        for relative in job.config.resources():
            source, target = job.config.resolve(relative), job.work / relative
            if not source.is_file():
                raise RenderError(f"{job.config.path}: {relative} does not exist")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)

    def render(self, job: RenderJob, fmt: str) -> Path:
        to = FORMATS[fmt].quarto
        done = _run(["quarto", "render", job.markdown.name, "--to", to], job, f"quarto render --to {to}")
        output = job.work / f"{job.stem}{FORMATS[fmt].suffix}"
        if not output.is_file():
            raise RenderError(f"quarto render --to {to} wrote no {output.name}:\n{done.stderr.strip()}")
        job.warnings += [f"quarto ({to}): {line}" for line in done.stderr.splitlines() if "WARN" in line]
        return output


RENDERERS: dict[str, type[Renderer]] = {"pandoc": PandocRenderer, "quarto": QuartoRenderer}


def register_renderer(cls: type[Renderer]) -> type[Renderer]:
    """Class decorator adding a renderer under its ``name`` (as papermill registers engines)."""
    RENDERERS[cls.name] = cls
    return cls


def _load_plugins() -> None:
    for entry in importlib.metadata.entry_points(group="wreslib.renderers"):
        RENDERERS.setdefault(entry.name, entry.load())


def select_renderer(name: str = "auto") -> Renderer:
    """The named renderer; "auto" prefers Quarto when it is on PATH, as it is the richer tool."""
    _load_plugins()
    if name == "auto":
        name = "quarto" if shutil.which("quarto") else "pandoc"
    if name not in RENDERERS:
        raise RenderError(f"unknown renderer {name!r}; known: {', '.join(sorted(RENDERERS))}")
    renderer = RENDERERS[name]()
    if not renderer.available():
        raise RenderError(f"renderer {name!r} is not available on this machine")
    return renderer


# ---------------------------------------------------------------------------------------------
# House Word styles

BRAND = "12436D"  # the first colour of the Government Analysis Function palette
REFERENCE_DOCX = TEMPLATES / "reference.docx"


def _house_styles(part: str, xml: str) -> str:
    """pandoc's default reference document restyled: Arial, A4, brand headings, ruled tables."""
    if part == "word/theme/theme1.xml":
        xml = re.sub(r'(<a:(?:major|minor)Font>\s*<a:latin typeface=")[^"]*"', r'\1Arial"', xml)
        return re.sub(r"(<a:accent1>\s*<a:srgbClr val=\")[0-9A-Fa-f]{6}", rf"\g<1>{BRAND}", xml)
    if part == "word/document.xml":
        page = ('<w:pgSz w:w="11906" w:h="16838" /><w:pgMar w:top="1361" w:right="1247" w:bottom="1361" '
                'w:left="1247" w:header="709" w:footer="709" w:gutter="0" />')  # fmt: skip
        return re.sub(r"(<w:sectPr>)", rf"\1{page}", xml, count=1)
    if part != "word/styles.xml":
        return xml
    xml = re.sub(r'<w:color w:val="[0-9A-Fa-f]{6}" w:themeColor="accent1"\s*(?:w:themeShade="[0-9A-Fa-f]+"\s*)?/>',
                 f'<w:color w:val="{BRAND}" />', xml)  # fmt: skip
    xml = re.sub(r'(<w:rPrDefault>.*?<w:sz w:val=")24("\s*/>\s*<w:szCs w:val=")24"', r'\g<1>22\g<2>22"', xml,
                 flags=re.DOTALL)  # fmt: skip

    def style(style_id: str, change) -> None:
        nonlocal xml
        pattern = re.compile(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', re.DOTALL)
        match = pattern.search(xml)
        if match is None:
            raise RenderError(f"pandoc's reference.docx has no {style_id} style")
        xml = xml[: match.start()] + change(match.group(0)) + xml[match.end() :]

    style("Title", lambda x: x.replace('<w:jc w:val="center" />', '<w:jc w:val="left" />').replace(
        "<w:sz ", f'<w:b /><w:color w:val="{BRAND}" /><w:sz ', 1))  # fmt: skip
    for other in ("Subtitle", "Date", "Author"):
        style(other, lambda x: x.replace("</w:pPr>", '<w:jc w:val="left" /></w:pPr>', 1))
    for heading in ("Heading1", "Heading2"):  # (in w:rPr, <w:b> comes before <w:color>)
        style(heading, lambda x: x.replace(f'<w:color w:val="{BRAND}" />', f'<w:b /><w:color w:val="{BRAND}" />', 1))
    rule = 'w:val="single" w:sz="4" w:space="0" w:color="B1B4B6"'
    borders = f"<w:tblBorders><w:top {rule} /><w:bottom {rule} /><w:insideH {rule} /></w:tblBorders>"
    style("Table", lambda x: x.replace('<w:tblInd w:w="0" w:type="dxa" />',
                                       f'<w:tblInd w:w="0" w:type="dxa" />{borders}').replace(
        '<w:bottom w:val="single"/>', '<w:top w:val="single" w:sz="8" w:space="0" w:color="3D3D3D"/>'
        '<w:bottom w:val="single" w:sz="8" w:space="0" w:color="3D3D3D"/>').replace(
        '<w:vAlign w:val="bottom"/>', '<w:shd w:val="clear" w:color="auto" w:fill="E8E9EA"/><w:vAlign w:val="bottom"/>'
        ).replace('<w:tblStylePr w:type="firstRow">', '<w:tblStylePr w:type="firstRow"><w:rPr><w:b /></w:rPr>', 1))
    # fmt: skip
    return xml


def build_reference_docx(target: Path = REFERENCE_DOCX) -> Path:
    """Write the house Word styles (``templates/reference.docx``) from pandoc's own reference document.

    Word output takes its styles from this file (``reference-doc`` in _quarto.yml). It is kept in
    the repository so Quarto can use it too, and rebuilt with this function (byte for byte the same
    for the same pandoc) when the styles change:
    ``python -c "from wreslib.render import build_reference_docx; build_reference_docx()"``.
    """
    done = subprocess.run([_pandoc_path(), "--print-default-data-file", "reference.docx"], capture_output=True)
    if done.returncode != 0:
        raise RenderError(f"pandoc has no default reference.docx: {done.stderr.decode(errors='replace')}")
    with zipfile.ZipFile(io.BytesIO(done.stdout)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            if name.endswith(".xml"):
                data = _house_styles(name, data.decode("utf-8")).encode("utf-8")
            out.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    Path(target).write_bytes(buffer.getvalue())
    return Path(target)


# ---------------------------------------------------------------------------------------------
# Rendering a notebook


def source_date_epoch(meta: dict) -> int:
    """Creation time stamped into PDF and DOCX: SOURCE_DATE_EPOCH, else the report's date, else 0.

    A fixed time keeps the outputs reproducible; the wall clock would change every run.
    """
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    day = _parse_date(str(meta.get("date", "")).strip())
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) if day else 0


_REMOTE = re.compile(
    r"<(?:script|img|link|iframe|source|video|audio|object|embed)\b[^>]*?\b(?:src|href|data)\s*=\s*[\"']?(?:https?:)?//"
    r"|url\(\s*[\"']?(?:https?:)?//|@import\s+[\"']?(?:url\()?(?:https?:)?//",
    re.IGNORECASE,
)


def _check_self_contained(html: Path) -> None:
    match = _REMOTE.search(html.read_text(encoding="utf-8", errors="replace"))
    if match:
        raise RenderError(f"{html.name} loads a resource from the network: {match.group(0)[:120]}…")


def render_notebook(
    nb_path: Path,
    out_dir: Path,
    *,
    stem: str = "report",
    formats: Sequence[str] = ("html", "pdf", "docx"),
    renderer: str = "auto",
    config: Path | None = None,
) -> RenderResult:
    """Render an executed notebook to ``out_dir/<stem>.html|.pdf|.docx``.

    Intermediates live in a scratch directory, and the outputs are copied to ``out_dir`` only
    once every format has rendered, so a failure publishes nothing. ``config`` is the
    _quarto.yml to use (default: the project's).
    """
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown or not formats:
        raise RenderError(f"unknown output format(s) {unknown}; known: {', '.join(FORMATS)}")
    if not stem or Path(stem).name != stem:
        raise RenderError(f"stem must be a plain file name, not {stem!r}")
    chosen = select_renderer(renderer)
    settings = QuartoConfig.load(config)
    if "html" in formats and settings.settings("html").get("embed-resources") is not True:
        raise RenderError(f"{settings.path}: format: html: needs embed-resources: true (one self-contained file)")
    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except (OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise RenderError(f"cannot read notebook {nb_path}: {exc}") from exc

    with tempfile.TemporaryDirectory(prefix="wres-render-") as scratch:
        work = Path(scratch)
        text, meta = notebook_to_markdown(nb, work / "assets")
        markdown = work / f"{stem}.md"
        markdown.write_text(text, encoding="utf-8")
        job = RenderJob(work, markdown, stem, settings, source_date_epoch(meta))
        chosen.prepare(job)
        produced: dict[str, Path] = {}
        seconds: dict[str, float] = {}
        for fmt in dict.fromkeys(formats):
            started = time.perf_counter()
            produced[fmt] = chosen.render(job, fmt)
            seconds[fmt] = round(time.perf_counter() - started, 3)
        if "html" in produced:
            _check_self_contained(produced["html"])

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}
        for fmt, source in produced.items():
            target = out_dir / source.name
            partial = target.with_name(f".{target.name}.partial")
            shutil.copyfile(source, partial)
            os.replace(partial, target)
            files[fmt] = target
    return RenderResult(files, chosen.name, chosen.version(), seconds, settings.path, job.warnings)
