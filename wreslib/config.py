"""Load and validate the configuration in ``params/``.

Every rule SPEC.md marks as a choice (ethnicity grouping, pay bands, thresholds,
audiences) lives in YAML so a user can change it without code, and the resolved
configuration is recorded in every manifest.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import yaml

from wreslib.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PARAMS_DIR = PROJECT_ROOT / "params"
CONFIG_FILES = ("ethnicity.yaml", "pay_bands.yaml", "thresholds.yaml", "audiences.yaml")
GROUPS = ("white", "global_majority", "unknown")


@dataclass(frozen=True)
class PayBand:
    id: str
    label: str
    adverse_when: str


# The parts a council's report can show, in the order it shows them; an audience picks some.
REPORT_SECTIONS = ("cover", "foreword", "about", "workforce", "summary", "summary_chart", "trends", "indicators",
                   "themes", "data_quality", "caveats", "method", "appendix", "contacts")


@dataclass(frozen=True)
class Audience:
    """Who a report is for: which sections it shows, in what register, under which rules.

    One notebook serves every audience, so an audience is data, never a copy of the notebook.
    """

    id: str
    label: str
    published: bool
    subtitle: str = ""
    plain_language: bool = False
    brief: bool = False
    sections: tuple[str, ...] = REPORT_SECTIONS

    def shows(self, section: str) -> bool:
        return section in self.sections


@dataclass(frozen=True)
class Config:
    """The resolved configuration a run uses; immutable so it can be shared by workers."""

    ethnicity_group: dict[str, str]
    ethnicity_label: dict[str, str]
    group_label: dict[str, str]
    pay_bands: tuple[PayBand, ...]
    non_adverse_lower: float
    non_adverse_upper: float
    confidence_level: float
    small_numbers: int
    min_events_to_judge: int
    pooled_years: int
    national_staff_rounding: int
    min_councils_per_region: int
    first_year: int
    last_year: int
    unknown_share_max: float
    survey_response_rate_min: float
    staff_in_post_change_max: float
    audiences: dict[str, Audience]
    source_sha256: dict[str, str] = field(default_factory=dict)

    @property
    def group_of(self) -> dict[str, str]:
        """Ethnic group of every code a submission may use: the detailed codes by this grouping,
        and the three group codes of a grouped-style submission as themselves."""
        return dict(self.ethnicity_group) | {g: g for g in GROUPS}

    @property
    def z(self) -> float:
        """Normal quantile for the two-sided interval (1.959964 at 95%)."""
        return NormalDist().inv_cdf(0.5 + self.confidence_level / 2)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready record of every choice, for manifests."""
        record = asdict(self)
        record["pay_bands"] = [asdict(b) for b in self.pay_bands]
        record["audiences"] = {k: asdict(v) for k, v in self.audiences.items()}
        return record


def _load_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file is missing")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _require(data: dict[str, Any], key: str, path: Path, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise ConfigError(f"{path}: missing key '{key}'")
    value = data[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ConfigError(f"{path}: '{key}' must be {names}, got {value!r}")
    return value


def _fraction(data: dict[str, Any], key: str, path: Path) -> float:
    value = float(_require(data, key, path, (int, float)))
    if not 0 < value < 1:
        raise ConfigError(f"{path}: '{key}' must be between 0 and 1, got {value}")
    return value


def _count(data: dict[str, Any], key: str, path: Path, *, minimum: int) -> int:
    value = _require(data, key, path, int)
    if value < minimum:
        raise ConfigError(f"{path}: '{key}' must be a whole number of at least {minimum}, got {value}")
    return value


def _audience(key: str, spec: Any, path: Path) -> Audience:
    if not isinstance(spec, dict) or not isinstance(spec.get("published"), bool):
        raise ConfigError(f"{path}: audience '{key}' needs published: true or false")
    if not key.replace("_", "").isalnum() or not key.islower():
        raise ConfigError(f"{path}: audience id '{key}' may use only lower-case letters, digits and _")
    flags = {name: spec.get(name, False) for name in ("plain_language", "brief")}
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: audience '{key}' {name} must be true or false, got {value!r}")
    sections = spec.get("sections", list(REPORT_SECTIONS))
    if not isinstance(sections, list) or not sections:
        raise ConfigError(f"{path}: audience '{key}' sections must be a list of: {', '.join(REPORT_SECTIONS)}")
    unknown = [str(s) for s in sections if s not in REPORT_SECTIONS]
    if unknown:
        raise ConfigError(f"{path}: audience '{key}' has unknown section(s) {', '.join(unknown)}; "
                          f"known: {', '.join(REPORT_SECTIONS)}")
    if len(set(sections)) != len(sections):
        raise ConfigError(f"{path}: audience '{key}' lists a section twice")
    return Audience(key, str(spec.get("label", key)), spec["published"], str(spec.get("subtitle", "")),
                    flags["plain_language"], flags["brief"], tuple(s for s in REPORT_SECTIONS if s in sections))


def load_config(params_dir: str | Path | None = None) -> Config:
    """Read and validate the four configuration files; raise ConfigError naming file and key."""
    params_dir = Path(params_dir) if params_dir else DEFAULT_PARAMS_DIR
    paths = {name: params_dir / name for name in CONFIG_FILES}
    raw = {name: _load_yaml(path) for name, path in paths.items()}

    eth_path = paths["ethnicity.yaml"]
    groups = _require(raw["ethnicity.yaml"], "groups", eth_path, dict)
    if set(groups) != set(GROUPS):
        raise ConfigError(f"{eth_path}: 'groups' must be exactly {', '.join(GROUPS)}")
    categories = _require(raw["ethnicity.yaml"], "categories", eth_path, dict)
    ethnicity_group: dict[str, str] = {}
    ethnicity_label: dict[str, str] = {}
    for code, spec in categories.items():
        if not isinstance(spec, dict) or spec.get("group") not in GROUPS:
            raise ConfigError(f"{eth_path}: category '{code}' needs a group, one of {', '.join(GROUPS)}")
        ethnicity_group[str(code)] = spec["group"]
        ethnicity_label[str(code)] = str(spec.get("label", code))
    if ethnicity_group.get("unknown") != "unknown":
        raise ConfigError(f"{eth_path}: category 'unknown' must be in group 'unknown'")
    for g in ("white", "global_majority"):
        if g not in ethnicity_group.values():
            raise ConfigError(f"{eth_path}: no category is in group '{g}'")

    band_path = paths["pay_bands.yaml"]
    bands_raw = _require(raw["pay_bands.yaml"], "bands", band_path, list)
    bands: list[PayBand] = []
    for i, b in enumerate(bands_raw, start=1):
        if not isinstance(b, dict) or not all(k in b for k in ("id", "label", "adverse_when")):
            raise ConfigError(f"{band_path}: band {i} needs id, label and adverse_when")
        if b["adverse_when"] not in ("above", "below"):
            raise ConfigError(f"{band_path}: band '{b['id']}' adverse_when must be 'above' or 'below'")
        if not str(b["id"]).replace("_", "").isalnum():
            raise ConfigError(f"{band_path}: band id '{b['id']}' may use only letters, digits and _")
        bands.append(PayBand(str(b["id"]), str(b["label"]), b["adverse_when"]))
    if len(bands) < 2 or len({b.id for b in bands}) != len(bands):
        raise ConfigError(f"{band_path}: need at least two bands with distinct ids")

    th_path = paths["thresholds.yaml"]
    th = raw["thresholds.yaml"]
    nar = _require(th, "non_adverse_range", th_path, dict)
    lower = float(_require(nar, "lower", th_path, (int, float)))
    upper = float(_require(nar, "upper", th_path, (int, float)))
    if not 0 < lower < 1 < upper or not math.isfinite(upper):
        raise ConfigError(f"{th_path}: non_adverse_range needs 0 < lower < 1 < upper")
    years = _require(th, "collection_years", th_path, dict)
    first = _require(years, "first", th_path, int)
    last = _require(years, "last", th_path, int)
    if first > last:
        raise ConfigError(f"{th_path}: collection_years first is after last")
    dq = _require(th, "data_quality", th_path, dict)
    small = _require(th, "small_numbers", th_path, int)
    if small < 1:
        raise ConfigError(f"{th_path}: small_numbers must be at least 1")

    aud_path = paths["audiences.yaml"]
    auds = _require(raw["audiences.yaml"], "audiences", aud_path, dict)
    audiences = {str(key): _audience(str(key), spec, aud_path) for key, spec in auds.items()}
    if not audiences:
        raise ConfigError(f"{aud_path}: 'audiences' names no audience")

    return Config(
        ethnicity_group=ethnicity_group,
        ethnicity_label=ethnicity_label,
        group_label={str(k): str(v) for k, v in groups.items()},
        pay_bands=tuple(bands),
        non_adverse_lower=lower,
        non_adverse_upper=upper,
        confidence_level=_fraction(th, "confidence_level", th_path),
        small_numbers=small,
        min_events_to_judge=_count(th, "min_events_to_judge", th_path, minimum=1),
        pooled_years=_count(th, "pooled_years", th_path, minimum=2),
        national_staff_rounding=_require(th, "national_staff_rounding", th_path, int),
        min_councils_per_region=_require(th, "min_councils_per_region", th_path, int),
        first_year=first,
        last_year=last,
        unknown_share_max=_fraction(dq, "unknown_share_max", th_path),
        survey_response_rate_min=_fraction(dq, "survey_response_rate_min", th_path),
        staff_in_post_change_max=_fraction(dq, "staff_in_post_change_max", th_path),
        audiences=audiences,
        source_sha256={name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in paths.items()},
    )


# --------------------------------------------------------------------------- a council's own words

COUNCIL_PARAMS_DIR = "authorities"
COUNCIL_KEYS = ("foreword", "foreword_by", "local_context", "contacts", "logo", "logo_alt")
CONTACT_KEYS = ("role", "name", "email", "phone")
LOGO_MAX_BYTES = 1_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Contact:
    role: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class CouncilParams:
    """What a council adds to its own report without touching code: ``params/authorities/<CODE>.yaml``.

    Every key is optional. Text is Markdown (no raw HTML, which could break the accessible
    structure; no level-1 or level-2 headings, which belong to the report). The logo is a PNG
    beside the file and needs alt text, as every image does.
    """

    authority_code: str
    path: Path
    foreword: str = ""
    foreword_by: str = ""
    local_context: str = ""
    contacts: tuple[Contact, ...] = ()
    logo: Path | None = None
    logo_alt: str = ""

    def files(self) -> dict[str, Path]:
        """The files this adaptation is made of, keyed by their path under params/ (for hashing)."""
        base = self.path.parent.parent
        found = {self.path.relative_to(base).as_posix(): self.path}
        if self.logo is not None:
            found[self.logo.relative_to(base.resolve()).as_posix()] = self.logo
        return found

    def to_record(self) -> dict[str, Any]:
        """Paths relative to params/, so the record is the same wherever the project is checked out."""
        record = asdict(self)
        record["path"] = f"{COUNCIL_PARAMS_DIR}/{self.path.name}"
        if self.logo:
            logo = Path(self.logo)
            inside = logo.is_relative_to(self.path.parent.parent)
            record["logo"] = str(logo.relative_to(self.path.parent.parent)) if inside else logo.name
        return record


def council_params_path(params_dir: str | Path | None, authority_code: str) -> Path:
    return (Path(params_dir) if params_dir else DEFAULT_PARAMS_DIR) / COUNCIL_PARAMS_DIR / f"{authority_code}.yaml"


def _markdown_text(data: dict[str, Any], key: str, path: Path) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{path}: '{key}' must be text, got {value!r}")
    if re.search(r"<[A-Za-z!/]", value):
        raise ConfigError(f"{path}: '{key}' contains HTML; write Markdown (e.g. **bold**, [link](https://…))")
    if re.search(r"^ {0,3}#{1,2}(\s|$)", value, re.MULTILINE):
        raise ConfigError(f"{path}: '{key}' has a level-1 or level-2 heading; use ### or lower inside your text")
    return value.strip()


def load_council_params(params_dir: str | Path | None, authority_code: str) -> CouncilParams | None:
    """A council's optional adaptations, validated; None when the council has no file."""
    path = council_params_path(params_dir, authority_code)
    if not path.is_file():
        return None
    data = _load_yaml(path)
    unknown = sorted(set(data) - set(COUNCIL_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(COUNCIL_KEYS)}")
    contacts_raw = data.get("contacts") or []
    if not isinstance(contacts_raw, list):
        raise ConfigError(f"{path}: 'contacts' must be a list of entries with {', '.join(CONTACT_KEYS)}")
    contacts = []
    for i, entry in enumerate(contacts_raw, start=1):
        if not isinstance(entry, dict) or not entry or set(entry) - set(CONTACT_KEYS):
            raise ConfigError(f"{path}: contact {i} must be a mapping with only {', '.join(CONTACT_KEYS)}")
        if not all(isinstance(v, str | int) for v in entry.values()):
            raise ConfigError(f"{path}: contact {i}: every value must be text")
        email = str(entry.get("email", ""))
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise ConfigError(f"{path}: contact {i}: '{email}' is not an email address")
        contacts.append(Contact(**{k: str(v).strip() for k, v in entry.items()}))
    logo = None
    logo_alt = str(data.get("logo_alt") or "").strip()
    if data.get("logo"):
        logo = (path.parent / str(data["logo"])).resolve()
        if not logo.is_file():
            raise ConfigError(f"{path}: logo '{data['logo']}' not found (looked for {logo})")
        if not logo.is_relative_to(path.parent.parent.resolve()):
            raise ConfigError(f"{path}: logo '{data['logo']}' must be inside the params folder, so it is hashed")
        head = logo.read_bytes()[:8]
        if head != PNG_SIGNATURE:
            raise ConfigError(f"{path}: logo '{data['logo']}' is not a PNG image")
        if logo.stat().st_size > LOGO_MAX_BYTES:
            raise ConfigError(f"{path}: logo '{data['logo']}' is larger than {LOGO_MAX_BYTES:,} bytes")
        if not logo_alt:
            raise ConfigError(f"{path}: 'logo_alt' is missing: describe the logo for people who cannot see it")
    return CouncilParams(
        authority_code=authority_code,
        path=path,
        foreword=_markdown_text(data, "foreword", path),
        foreword_by=_markdown_text(data, "foreword_by", path),
        local_context=_markdown_text(data, "local_context", path),
        contacts=tuple(contacts),
        logo=logo,
        logo_alt=logo_alt,
    )


def council_params_sha256(params_dir: str | Path | None, authority_code: str) -> dict[str, str]:
    """SHA-256 of a council's adaptation files (none without a file), for task keys and manifests."""
    council = load_council_params(params_dir, authority_code)
    if council is None:
        return {}
    return {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in council.files().items()}
