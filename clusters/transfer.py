"""Import and export of cluster profiles as CSV or XLSX files.

One row per cluster, the columns of ``profile.COLUMNS``; clusters are matched by slug (the
natural key). An import is planned first — every row parsed and validated, the whole file
checked for duplicate slugs and names — and nothing is written unless every row is clean;
then it is applied in one transaction. See README "Curation" for the cell formats.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.db import transaction
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from clusters import profile
from clusters.history import record_changes
from clusters.models import Cluster, ClusterRevision
from clusters.signals import clusters_changed

# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...),
# @SUM(...)); every CSV the site writes goes through ``csv_writer``, which prefixes such a
# cell with an apostrophe, and a cluster import takes the apostrophe off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters no profile holds and PostgreSQL refuses (NUL) or a page cannot show.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED = ["slug", "name"]


class TransferError(Exception):
    """The file as a whole cannot be read; the message says why, in one line."""


@dataclass
class Row:
    # The row as a spreadsheet numbers it (the header is 1), also where CSV cells span lines.
    line: int
    cells: dict
    error: str = ""


@dataclass
class RowPlan:
    line: int
    action: str  # "create", "update" or "unchanged"
    cluster: Cluster | None
    before: dict | None
    profile: dict
    changes: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def summary(self) -> str:
        return ", ".join(f"{self.count(a)} {a}d" for a in ("create", "update")) + (
            f", {self.count('unchanged')} unchanged"
        )


# CSV cells ------------------------------------------------------------------------------


def formula_safe(value):
    """The value as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _unguarded(value: str) -> str:
    """What ``formula_safe`` was given."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


class csv_writer:  # noqa: N801 - used as csv.writer is
    """``csv.writer`` whose every cell goes through ``formula_safe``: the one way the site
    writes CSV (a test fails on any other ``csv.writer``)."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row) -> None:
        self._writer.writerow([formula_safe(value) for value in row])


# Reading -------------------------------------------------------------------------------


def read_table(data: bytes, filename: str = "") -> list[Row]:
    if len(data) > MAX_BYTES:
        raise TransferError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if filename.lower().endswith(".xls"):
        raise TransferError("old .xls files cannot be read; save the sheet as .xlsx or CSV")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    return _read_csv(data)


def _columns(header: list) -> list[str]:
    columns = [str(cell or "").strip().lower() for cell in header]
    while columns and not columns[-1]:
        columns.pop()
    if not columns:
        raise TransferError("the file is empty; the first line must name the columns")
    for column in columns:
        if column not in profile.COLUMNS:
            raise TransferError(
                f"unknown column {column!r} in the first line; columns are: "
                + ", ".join(profile.COLUMNS)
            )
        if columns.count(column) > 1:
            raise TransferError(f"column {column!r} appears twice")
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise TransferError(f"missing column {', '.join(map(repr, missing))}")
    return columns


def _row(line: int, columns: list[str], values: list) -> Row | None:
    if all(value is None or str(value).strip() == "" for value in values):
        return None
    extra = values[len(columns) :]
    if len(values) < len(columns) or any(v not in (None, "") for v in extra):
        return Row(line, {}, f"{len(values)} values, but the first line names {len(columns)}")
    return Row(line, dict(zip(columns, values, strict=False)))


def _checked(rows: list[Row]) -> list[Row]:
    if len(rows) > MAX_ROWS:
        raise TransferError(f"more than {MAX_ROWS} rows; split the file")
    if not rows:
        raise TransferError("no clusters in the file, only the first line")
    return rows


def _read_csv(data: bytes) -> list[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TransferError("not UTF-8 text; save the CSV file as UTF-8") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = []
    try:
        columns = _columns(next(reader, []))
        for line, values in enumerate(reader, start=2):
            row = _row(line, columns, [_unguarded(value) for value in values])
            if row:
                rows.append(row)
    except csv.Error as exc:
        raise TransferError(f"line {reader.line_num} of the file: not valid CSV ({exc})") from exc
    return _checked(rows)


def _read_xlsx(data: bytes) -> list[Row]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise TransferError("not a readable XLSX file") from exc
    try:
        lines = book.worksheets[0].iter_rows(min_row=1, values_only=True)
        columns = _columns(list(next(lines, [])))
        rows = []
        for line, values in enumerate(lines, start=2):
            row = _row(line, columns, list(values))
            if row:
                rows.append(row)
            if len(rows) > MAX_ROWS:
                break
    finally:
        book.close()
    return _checked(rows)


# Planning and applying -------------------------------------------------------------------


def plan_import(rows: list[Row], *, lock: bool = False) -> ImportPlan:
    """Parse and validate every row; say what would be created, updated or left alone."""
    plan, lookups = ImportPlan(), profile.Lookups.load()
    slugs = {str(row.cells.get("slug") or "").strip() for row in rows}
    queryset = Cluster.objects.filter(slug__in=slugs)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    existing = {cluster.slug: cluster for cluster in profile.profile_queryset(queryset)}
    first_line: dict[tuple, int] = {}
    for row in rows:
        if row.error:
            plan.errors.append((row.line, row.error))
            continue
        slug = str(row.cells.get("slug") or "").strip()
        cluster = existing.get(slug)
        before = profile.snapshot(cluster) if cluster else None
        wanted, errors = _parse(row, before or profile.empty_profile())
        errors += profile.validate(wanted, lookups, instance=cluster)
        for key, what in (((slug,), "slug"), ((wanted["name"], wanted["state"]), "name")):
            if what == "name" and not wanted["state"]:
                continue  # the database allows the same name where the state is unknown
            if key in first_line:
                errors.append(f"{what}: same {what} as line {first_line[key]}" + (
                    " in the same state" if what == "name" else ""))  # fmt: skip
            first_line.setdefault(key, row.line)
        plan.errors += [(row.line, error) for error in errors]
        changes = [
            (column, profile.to_cell(column, old), profile.to_cell(column, new))
            for column, (old, new) in profile.diff(
                before or profile.empty_profile(), wanted
            ).items()
        ]
        action = "create" if cluster is None else "update" if changes else "unchanged"
        plan.rows.append(RowPlan(row.line, action, cluster, before, wanted, changes))
    plan.errors += _name_clashes_with_database(plan.rows, slugs)
    plan.errors.sort(key=lambda error: error[0])
    return plan


def _parse(row: Row, start: dict) -> tuple[dict, list[str]]:
    wanted, errors = dict(start), []
    for column in profile.COLUMNS:  # source before other names and labels: their default
        if column in row.cells:
            control = CONTROL_CHARACTERS.search(str(row.cells[column] or ""))
            if control:
                errors.append(
                    f"{column}: contains the control character U+{ord(control[0]):04X}, "
                    "which no text may hold; remove it"
                )
                continue
            try:
                wanted[column] = profile.from_cell(
                    column, row.cells[column], default_source=wanted["source"]
                )
            except ValueError as exc:
                errors.append(f"{column}: {exc}")
    return wanted, errors


def _name_clashes_with_database(rows: list[RowPlan], slugs: set[str]) -> list[tuple[int, str]]:
    wanted = {(r.profile["name"], r.profile["state"]): r.line for r in rows if r.profile["state"]}
    others = (
        Cluster.objects.exclude(slug__in=slugs)
        .filter(name__in=[name for name, _state in wanted], state__isnull=False)
        .values_list("name", "state__code", "slug")
    )
    return [
        (wanted[(name, code)], f"name: cluster {slug!r} in {code} already has this name")
        for name, code, slug in others
        if (name, code) in wanted
    ]


def run_import(rows: list[Row], *, user=None, dry_run: bool = False, comment: str = ""):
    """Plan the import and, when every row is clean and this is no dry run, apply it in one
    transaction: clusters marked curated, a revision each, ``clusters_changed`` sent."""
    with transaction.atomic():
        plan = plan_import(rows, lock=not dry_run)
        if plan.errors or dry_run:
            return plan
        lookups, befores = profile.Lookups.load(), {}
        for row in plan.rows:
            if row.action == "unchanged":
                continue
            cluster = row.cluster or Cluster()
            cluster.is_curated = True
            profile.apply(cluster, row.profile, lookups)
            befores[cluster.pk] = row.before
        record_changes(befores, user=user, action=ClusterRevision.Action.IMPORT, comment=comment)
        if befores:
            clusters_changed.send(sender=Cluster, cluster_ids=list(befores))
    return plan


# Exporting -------------------------------------------------------------------------------


def _profiles(queryset):
    for cluster in profile.profile_queryset(queryset.order_by("name", "pk")):
        yield profile.snapshot(cluster)


def export_csv(queryset) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(profile.COLUMNS)
    for item in _profiles(queryset):
        writer.writerow([profile.to_cell(column, item[column]) for column in profile.COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM tells Excel it is UTF-8


def _xlsx_value(column: str, value):
    if value is None:
        return None
    if column in profile.INTEGERS:
        return value
    if column == "exports_usd_millions":
        return float(value)
    if column == "last_verified":
        return datetime.date.fromisoformat(value)
    return ILLEGAL_CHARACTERS_RE.sub("", profile.to_cell(column, value))


def export_xlsx(queryset) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "clusters"
    sheet.append(profile.COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for item in _profiles(queryset):
        sheet.append([_xlsx_value(column, item[column]) for column in profile.COLUMNS])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, even if it starts with "="
            elif isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
