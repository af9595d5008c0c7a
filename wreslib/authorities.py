"""The 153 English councils with social services responsibilities (reference data)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

AUTHORITIES_CSV = Path(__file__).with_name("data") / "authorities.csv"


@cache
def _load(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str)


def load_authorities(path: str | Path | None = None) -> pd.DataFrame:
    """Councils as a frame: gss_code, name, official_name, region, region_code, la_type.

    A copy of ``shared/data/authorities.csv`` ships inside the package so an
    installed wres needs nothing beside it.
    """
    return _load(str(path or AUTHORITIES_CSV)).copy()


def authority_name(code: str) -> str:
    names = load_authorities().set_index("gss_code")["name"]
    return str(names.get(code, code))
