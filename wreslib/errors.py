"""Precise error types, so callers (and the CLI) can tell what went wrong."""

from __future__ import annotations


class WresError(Exception):
    """Base class of every error wres raises on purpose."""


class ConfigError(WresError):
    """A file in params/ is missing, malformed or inconsistent."""


class SubmissionRefused(WresError):
    """A submission failed a check of SPEC §7 and was not stored.

    ``findings`` holds every error found (not just the first), each naming file,
    row and column, so a council can fix them all in one go.
    """

    def __init__(self, file: str, findings: list) -> None:
        self.file = file
        self.findings = findings
        lines = "\n".join(f"  {f}" for f in findings)
        super().__init__(f"{file}: refused with {len(findings)} error(s):\n{lines}")


class StoreError(WresError):
    """The submissions store is missing, locked or does not hold what was asked for."""


class ReportError(WresError):
    """A report could not be executed or rendered; nothing was published for it."""


class RenderError(ReportError):
    """A renderer (Quarto, pandoc or Typst) failed or is not available."""


class AuditError(WresError):
    """A report cannot be verified at all: no manifest, an unreadable one, or no store to re-execute from."""
