"""Reading an organisation's data folder: validated with pandera, personal data refused, ids
pseudonymised in memory.

The files (docs/TWIN.md has the full format): employees and engagement are required, the
others optional; each may be CSV or Parquet (`employees.csv` or `employees.parquet`).
Validation runs in two passes so that every refusal names the raw value the user typed: first
the text of each cell (a date in ISO 8601, a number), then the parsed values (scales, a role the
journey knows). The first failure in file order stops everything with one line naming file,
row (1 = the first data row under the header), column, value and what is allowed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import yaml

from sim.config import ConfigError

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
ISO_MONTH = r"^\d{4}-\d{2}$"
NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
INTEGER = r"^\d+$"

# Column kinds: (raw text pattern, what is allowed, parsed range).
KINDS: dict[str, tuple[str, str, tuple[float, float] | None]] = {
    "id": (r"^.+$", "a non-empty id", None),
    "label": (r"^.+$", "a non-empty label", None),
    "date": (ISO_DATE, "a date YYYY-MM-DD (ISO 8601)", None),
    "month": (ISO_MONTH, "a month YYYY-MM", None),
    "year": (INTEGER, "a year, 1900-2100", (1900, 2100)),
    "count": (INTEGER, "a whole number >= 0", (0, 1e12)),
    "money": (NUMBER, "a number >= 0", (0, 1e15)),
    "seconds": (NUMBER, "seconds, 0-86400", (0, 86_400)),
    "share": (NUMBER, "a share, 0-1", (0, 1)),
    "fte": (NUMBER, "a share of full time, 0-1.5", (0, 1.5)),
    "score10": (NUMBER, "a score 0-10", (0, 10)),
    "score1_10": (NUMBER, "a score 1-10", (1, 10)),
    "score5": (NUMBER, "a score 1-5", (1, 5)),
}


@dataclass(frozen=True)
class FileSpec:
    """One input file: its required and optional columns by kind; `nullable` may be empty."""

    required: dict[str, str]
    optional: dict[str, str] = field(default_factory=dict)
    nullable: tuple[str, ...] = ()
    needed: bool = False

    @property
    def columns(self) -> dict[str, str]:
        return {**self.required, **self.optional}


FILES: dict[str, FileSpec] = {
    "employees": FileSpec(
        {
            "employee_id": "id",
            "team": "label",
            "role": "label",
            "birth_year": "year",
            "hire_date": "date",
            "leave_date": "date",
        },
        {"fte": "fte", "monthly_pay": "money"},
        nullable=("leave_date", "fte", "monthly_pay"),
        needed=True,
    ),
    "engagement": FileSpec(
        {"date": "date", "team": "label", "work_happiness": "score10", "enps": "score10"},
        {
            "employee_id": "id",
            "role": "label",
            "want": "score5",
            "know": "score5",
            "can": "score5",
            "feel": "score5",
        },
        nullable=("employee_id", "role", "want", "know", "can", "feel"),
        needed=True,
    ),
    "customer_survey": FileSpec(
        {"date": "date", "stage": "label", "nps": "score10"},
        {"csat": "score1_10"},
        nullable=("csat",),
    ),
    "operations": FileSpec(
        {
            "date": "date",
            "contacts": "count",
            "answered": "count",
            "abandoned": "count",
            "answered_within_target": "count",
            "handle_seconds_mean": "seconds",
        },
        {"first_contact_resolution": "share"},
        nullable=("first_contact_resolution",),
    ),
    "customers": FileSpec(
        {
            "month": "month",
            "customers": "count",
            "acquired": "count",
            "churned": "count",
            "revenue": "money",
        }
    ),
}

# Personal data the twin never needs: refused by column name or by what the cells hold.
PERSONAL_NAMES = re.compile(
    r"^(first_?name|last_?name|full_?name|sur_?name|given_?name|name|employee_?name|"
    r"customer_?name|e_?mail|mail|email_?address|phone|phone_?number|telephone|tel|mobile|"
    r"cell|address|street|postcode|zip|bsn|ssn|social_security|passport|iban)$"
)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"^\+?[\d ()./-]{9,}$")

ORGANISATION_KEYS = {
    "name": str,
    "currency": str,
    "open_hours": float,
    "target_wait_seconds": float,
    "revenue_per_customer_year": float,
    "wage_annual": float,
    "journey": str,
    "roles": dict,
    "stages": dict,
}


class DataError(ConfigError):
    """A refused input: one line naming the file, row, column, value and what is allowed."""

    def __init__(self, where: str, value: Any, allowed: str):
        super().__init__(where, value, allowed)
        self.args = (f"{where}: {value!r} is not allowed: {allowed}",)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class OrgData:
    """The validated data: typed frames (ids pseudonymised), the organisation's settings and
    what was ignored. Nothing here identifies a person."""

    folder: Path
    frames: dict[str, pd.DataFrame]
    organisation: dict[str, Any]
    ignored: dict[str, list[str]]

    def has(self, name: str) -> bool:
        return name in self.frames

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def find_file(folder: Path, name: str) -> Path | None:
    for ext in (".csv", ".parquet"):
        path = folder / f"{name}{ext}"
        if path.is_file():
            return path
    return None


def read_raw(path: Path) -> pd.DataFrame:
    """Every cell as text ('' when empty), so a refusal shows what the user wrote."""
    try:
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        else:
            frame = pd.read_parquet(path).astype(object)
            frame = frame.where(frame.notna(), "").astype(str)
    except Exception as ex:  # noqa: BLE001 - any reader failure is one refusal
        raise DataError(
            path.name, "(unreadable)", f"a CSV or Parquet table ({ex.__class__.__name__})"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.reset_index(drop=True)


def refuse_personal(file: str, frame: pd.DataFrame) -> None:
    """Refuse columns that look like names, e-mail addresses or phone numbers.

    Raises:
        DataError: naming the file and column, saying to remove it.
    """
    remove = "remove the column from the file (sim-twin needs no personal data; docs/TWIN.md)"
    for column in frame.columns:
        key = re.sub(r"[\s-]+", "_", column.lower())
        if PERSONAL_NAMES.match(key):
            raise DataError(f"{file} column {column}", "(personal data)", remove)
        text = frame[column].astype(str)
        if text.str.contains(EMAIL).any():
            raise DataError(f"{file} column {column}", "(e-mail addresses)", remove)
        digits = text[text.str.match(PHONE)]
        if len(digits) and digits.str.count(r"\d").ge(9).any():
            raise DataError(f"{file} column {column}", "(phone numbers)", remove)


def _where(file: str, frame_index: Any, column: str) -> str:
    row = int(frame_index) + 1 if frame_index is not None and pd.notna(frame_index) else "?"
    return f"{file} row {row} column {column}"


def _first_failure(file: str, err: pa.errors.SchemaErrors, allowed: dict[str, str]) -> DataError:
    cases = err.failure_cases.copy()
    cases["row"] = pd.to_numeric(cases["index"], errors="coerce")
    cases = cases.sort_values(["row", "column"], na_position="last")
    case = cases.iloc[0]
    column = str(case["column"])
    return DataError(_where(file, case["row"], column), case["failure_case"], allowed[column])


def validate_file(
    file: str, raw: pd.DataFrame, spec: FileSpec, allowed_values: Mapping[str, list[str]]
) -> pd.DataFrame:
    """Check a file's text and values with pandera; return its parsed columns.

    Raises:
        DataError: a missing required column, or the first bad cell in row order.
    """
    for column in spec.required:
        if column not in raw.columns:
            raise DataError(
                f"{file} column {column}",
                "(missing)",
                f"a file with columns {', '.join(spec.required)}",
            )
    present = {c: k for c, k in spec.columns.items() if c in raw.columns}
    allowed = {c: KINDS[k][1] for c, k in present.items()}
    text_checks = {}
    for column, kind in present.items():
        pattern = KINDS[kind][0]
        if column in spec.nullable:
            pattern = f"(?:{pattern})|^$"
        text_checks[column] = pa.Column(str, pa.Check.str_matches(pattern))
    try:
        pa.DataFrameSchema(text_checks).validate(raw, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise _first_failure(file, err, allowed) from None
    parsed = pd.DataFrame(index=raw.index)
    for column, kind in present.items():
        cell = raw[column].replace("", np.nan)
        if kind in ("date", "month"):
            fmt = "%Y-%m-%d" if kind == "date" else "%Y-%m"
            values = pd.to_datetime(cell, format=fmt, errors="coerce")
            bad = values.isna() & cell.notna()
            if bad.any():  # 2024-02-30 matches the pattern but is no date
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(_where(file, i, column), raw[column].iloc[i], allowed[column])
            parsed[column] = values
        elif kind in ("id", "label"):
            parsed[column] = cell
        else:
            parsed[column] = pd.to_numeric(cell)
    value_checks = {}
    for column, kind in present.items():
        bounds = KINDS[kind][2]
        nullable = column in spec.nullable
        if bounds is not None:
            value_checks[column] = pa.Column(
                float if parsed[column].dtype.kind == "f" else None,
                pa.Check.in_range(*bounds),
                nullable=nullable,
            )
        if column in allowed_values:
            choices = allowed_values[column]
            allowed[column] = f"one of {', '.join(choices)} (or map it in organisation.yaml)"
            value_checks[column] = pa.Column(str, pa.Check.isin(choices), nullable=nullable)
    try:
        pa.DataFrameSchema(value_checks).validate(parsed, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise _first_failure(file, err, allowed) from None
    return parsed


def read_organisation(folder: Path) -> dict[str, Any]:
    """organisation.yaml (optional): checked keys and types.

    Raises:
        DataError: a file that does not parse, an unknown key, a value of the wrong type.
    """
    path = folder / "organisation.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        raise DataError("organisation.yaml", "(does not parse)", "a YAML mapping") from None
    if not isinstance(data, dict):
        raise DataError("organisation.yaml", data, "a YAML mapping")
    for key, value in data.items():
        kind = ORGANISATION_KEYS.get(key)
        if kind is None:
            raise DataError(
                f"organisation.yaml {key}", value, f"one of {', '.join(ORGANISATION_KEYS)}"
            )
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if (kind is float and not ok) or (kind is not float and not isinstance(value, kind)):
            raise DataError(f"organisation.yaml {key}", value, f"a {kind.__name__}")
        if kind is float and value < 0:
            raise DataError(f"organisation.yaml {key}", value, "a number >= 0")
    return data


def pseudonymise(ids: pd.Series) -> pd.Series:
    """Replace ids by integers in an order drawn afresh each run: the same person keeps one
    code within this run (to join files), and no code can be traced back to an id."""
    codes, uniques = pd.factorize(ids)  # a missing id: code -1, kept as -1
    order = np.random.default_rng(secrets.randbits(64)).permutation(len(uniques))
    out = pd.Series(np.where(codes >= 0, order[np.maximum(codes, 0)], -1), index=ids.index)
    return out.astype("int64")


def read_folder(
    folder: Path, roles: list[str], stages: list[str], organisation: dict[str, Any]
) -> OrgData:
    """Read, check and pseudonymise the folder's files.

    `roles`/`stages` are the journey's; organisation.yaml's `roles:`/`stages:` map other names.

    Raises:
        DataError: a missing folder or required file, personal data, a bad cell, a leave date
            before its hire date, an empty roster.
    """
    if not folder.is_dir():
        raise DataError(
            "twin.data", str(folder), "a folder holding employees.csv and engagement.csv"
        )
    role_map = {str(k): str(v) for k, v in (organisation.get("roles") or {}).items()}
    stage_map = {str(k): str(v) for k, v in (organisation.get("stages") or {}).items()}
    for mapping, known, key in ((role_map, roles, "roles"), (stage_map, stages, "stages")):
        for name, target in mapping.items():
            if target not in known:
                raise DataError(
                    f"organisation.yaml {key}.{name}", target, f"one of {', '.join(known)}"
                )
    allowed = {
        "role": sorted({*roles, *role_map}),
        "stage": sorted({*stages, *stage_map}),
    }
    frames, ignored = {}, {}
    for name, spec in FILES.items():
        path = find_file(folder, name)
        if path is None:
            if spec.needed:
                raise DataError(
                    f"{name}.csv", "(missing)", f"a file {name}.csv (or .parquet) in {folder}"
                )
            continue
        raw = read_raw(path)
        refuse_personal(path.name, raw)
        if raw.empty:
            raise DataError(path.name, "(no rows)", "at least one data row")
        frame = validate_file(path.name, raw, spec, allowed)
        if "role" in frame:
            frame["role"] = frame["role"].map(lambda r: role_map.get(r, r), na_action="ignore")
        if "stage" in frame:
            frame["stage"] = frame["stage"].map(lambda s: stage_map.get(s, s))
        frames[name] = frame
        ignored[path.name] = [c for c in raw.columns if c not in spec.columns]
    check_roster(frames["employees"])
    pseudonymise_all(frames)
    return OrgData(folder, frames, organisation, ignored)


def pseudonymise_all(frames: dict[str, pd.DataFrame]) -> None:
    """Every file's employee_id replaced by one code per person (so the survey answers that
    carry an id join the roster); an empty id (an anonymous answer) becomes -1."""
    have = [name for name, frame in frames.items() if "employee_id" in frame]
    ids = pd.concat([frames[n]["employee_id"] for n in have], keys=have)
    ids = ids.where(ids.notna() & (ids.astype(str).str.strip() != ""))
    codes = pseudonymise(ids)
    for name in have:
        frames[name]["employee_id"] = codes.loc[name].to_numpy()


def check_roster(emp: pd.DataFrame) -> None:
    """Cross-column checks pandera's column checks do not see.

    Raises:
        DataError: a leave date before its hire date, or a repeated id.
    """
    before = emp["leave_date"].notna() & (emp["leave_date"] < emp["hire_date"])
    if before.any():
        i = int(np.flatnonzero(before.to_numpy())[0])
        raise DataError(
            _where("employees.csv", i, "leave_date"),
            emp["leave_date"].iloc[i].date().isoformat(),
            f"a date on or after hire_date {emp['hire_date'].iloc[i].date().isoformat()}, or empty",
        )
    twice = emp["employee_id"].duplicated()
    if twice.any():
        i = int(np.flatnonzero(twice.to_numpy())[0])
        raise DataError(
            _where("employees.csv", i, "employee_id"),
            "(an id seen in an earlier row)",
            "one row per person",
        )
