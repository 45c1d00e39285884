"""Import and export of cluster profiles (CSV and XLSX), command line and admin."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from clusters.models import Cluster, ClusterRevision
from clusters.profile import COLUMNS, snapshots
from clusters.transfer import TransferError, export_csv, export_xlsx, read_table, run_import

CLAUT = "cluster-automotriz-de-nuevo-leon"


def rows_of(data: bytes) -> list[dict]:
    """An exported file (CSV or XLSX) as dicts, to edit and write back."""
    if data[:2] == b"PK":
        sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def write(rows: list[dict], file_format: str, columns=None) -> bytes:
    columns = columns or list(rows[0])
    if file_format == "xlsx":
        book = openpyxl.Workbook()
        book.active.append(columns)
        for row in rows:
            book.active.append([row.get(column) for column in columns])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows({column: row.get(column, "") for column in columns} for row in rows)
    return out.getvalue().encode()


def database_state() -> tuple:
    clusters = Cluster.objects.order_by("pk")
    return (
        list(clusters.values()),
        snapshots(clusters.values_list("pk", flat=True)),
        ClusterRevision.objects.count(),
    )


def new_row(**overrides) -> dict:
    row = {column: "" for column in COLUMNS}
    row |= {"slug": "nuevo-cluster", "name": "Nuevo Clúster de Prueba", "state": "MX-JAL",
            "sectors": "ict, aerospace", "source": "Staff, phone call", "is_published": "yes",
            "is_formally_organised": "no", "members": "12",
            "other_names": "NCP [Website]\nNuevo Cluster", "labels": "bronze | valid"}  # fmt: skip
    return row | overrides


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(briefing, file_format, changed_ids):
    exporter = export_xlsx if file_format == "xlsx" else export_csv
    data = exporter(Cluster.objects.all())
    before = database_state()

    plan = run_import(read_table(data, f"clusters.{file_format}"))

    assert plan.errors == []
    assert plan.count("unchanged") == Cluster.objects.count() == len(rows_of(data))
    assert database_state() == before
    assert changed_ids == []


def test_export_has_every_field_of_a_profile(briefing):
    [row] = [r for r in rows_of(export_csv(Cluster.objects.all())) if r["slug"] == CLAUT]
    assert list(row) == COLUMNS
    assert row["state"] == "MX-NLE"
    assert row["sectors"] == "automotive"
    assert "Nuevo León Auto Cluster [Section 3.2 (Automotive clusters)]" in row["other_names"]
    assert row["labels"].startswith("gold | lapsed | Automotive Cluster of Nuevo León (CLAUT)")
    assert row["is_published"] == "yes" and row["members"] == "92"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_dry_run_shows_changes_and_writes_nothing(briefing, file_format):
    rows = rows_of(export_csv(Cluster.objects.filter(slug=CLAUT)))
    rows[0]["members"] = "120"
    rows.append(new_row())
    before = database_state()

    plan = run_import(read_table(write(rows, file_format)), dry_run=True)

    assert plan.errors == []
    assert [(r.action, r.profile["slug"]) for r in plan.rows] == [
        ("update", CLAUT), ("create", "nuevo-cluster")]  # fmt: skip
    assert plan.rows[0].changes == [("members", "92", "120")]
    assert database_state() == before


def test_import_applies_creates_and_updates_marks_curated_and_tells_matchmaking(
    briefing, changed_ids, staff_user
):
    rows = rows_of(export_csv(Cluster.objects.filter(slug=CLAUT)))
    rows[0] |= {"members": "120", "sectors": "automotive, logistics", "labels": ""}
    plan = run_import(read_table(write([*rows, new_row()], "csv")), user=staff_user)

    assert plan.summary() == "1 created, 1 updated, 0 unchanged"
    claut = Cluster.objects.get(slug=CLAUT)
    assert (claut.members, claut.is_curated) == (120, True)
    assert sorted(claut.sectors.values_list("slug", flat=True)) == ["automotive", "logistics"]
    assert not claut.labels.exists()
    new = Cluster.objects.get(slug="nuevo-cluster")
    assert new.is_curated and new.state.code == "MX-JAL" and new.members == 12
    assert sorted(new.other_names.values_list("name", "source")) == [
        ("NCP", "Website"), ("Nuevo Cluster", "Staff, phone call")]  # fmt: skip
    assert list(new.labels.values_list("level", "is_valid", "source")) == [
        ("bronze", True, "Staff, phone call")]  # fmt: skip
    assert "ncp" in new.search_text
    assert sorted(changed_ids) == sorted([claut.pk, new.pk])


def test_a_file_of_some_columns_changes_only_those(briefing):
    before = snapshots([Cluster.objects.get(slug=CLAUT).pk])
    data = write([{"slug": CLAUT, "name": "Cluster Automotriz de Nuevo León",
                   "last_verified": "2026-01-15"}], "csv")  # fmt: skip
    run_import(read_table(data))
    [after] = snapshots([Cluster.objects.get(slug=CLAUT).pk]).values()
    [expected] = before.values()
    assert after == expected | {"last_verified": "2026-01-15"}


BAD_ROWS = [
    # (overrides of a new row, expected reason)
    ({"slug": "bad-state", "state": "MX-XXX"}, "state: unknown state code 'MX-XXX'"),
    ({"slug": "bad-sector", "sectors": "ict, spaceships"}, "unknown sector 'spaceships'"),
    ({"slug": "bad-url", "website": "not a url"}, "website: Enter a valid URL."),
    ({"slug": "negative", "members": "-3"}, "members: must not be negative"),
    ({"slug": "old", "founded_year": "1066"}, "between 1900 and 2100"),
    ({"slug": "dup-db", "name": "Cluster Automotriz de Nuevo León", "state": "MX-NLE"},
     f"name: cluster '{CLAUT}' in MX-NLE already has this name"),
    ({"slug": "long", "name": "x" * 201},
     "name: Ensure this value has at most 200 characters (it has 201)."),
    ({"slug": "bad-label", "labels": "platinum | valid"}, "level must be gold, silver or bronze"),
    ({"slug": "long-other", "other_names": "y" * 201 + " [s]"},
     "other_names: name: Ensure this value has at most 200 characters (it has 201)."),
    ({"slug": "bad-bool", "is_published": "maybe"}, "is_published: 'maybe': enter yes or no"),
    ({"slug": "bad-date", "last_verified": "last week"}, "is not a date"),
    ({"slug": "", "name": "No slug"}, "slug: This field cannot be blank."),
    ({"slug": "Not A Slug!"}, "slug: Enter a valid “slug”"),
]  # fmt: skip


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_bad_rows_are_listed_with_line_and_reason_and_nothing_is_written(briefing, file_format):
    good = new_row(slug="a-good-row", name="A good row")
    twin = new_row(slug="twin", name="A good row")  # same name, same state, in the file
    rows = [good, *(new_row(name=f"Bad {i}") | o for i, (o, _) in enumerate(BAD_ROWS)), twin]
    before = database_state()

    plan = run_import(read_table(write(rows, file_format)))

    lines = {}
    for line, reason in plan.errors:
        lines.setdefault(line, []).append(reason)
    assert sorted(lines) == list(range(3, 3 + len(BAD_ROWS) + 1))  # line 2 is the good row
    for line, (_overrides, expected) in enumerate(BAD_ROWS, start=3):
        assert any(expected in reason for reason in lines[line]), (line, lines[line])
    assert lines[3 + len(BAD_ROWS)] == ["name: same name as line 2 in the same state"]
    assert database_state() == before


def test_over_long_value_is_rejected_not_truncated(briefing):
    rows = rows_of(export_csv(Cluster.objects.filter(slug=CLAUT)))
    rows[0]["acronym"] = "A" * 41
    plan = run_import(read_table(write(rows, "csv")))
    assert plan.errors == [(2, "acronym: Ensure this value has at most 40 characters (it has 41).")]
    assert Cluster.objects.get(slug=CLAUT).acronym == "CLAUT"


def test_same_slug_twice_in_a_file_is_an_error(briefing):
    plan = run_import(read_table(write([new_row(), new_row(name="Other")], "csv")))
    assert (3, "slug: same slug as line 2") in plan.errors
    assert not Cluster.objects.filter(slug="nuevo-cluster").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"slug,name,colour\nx,y,z\n", "unknown column 'colour'"),
        (b"name,state\nx,MX-NLE\n", "missing column 'slug'"),
        ("slug,name\nx,Nuevo Le\xf3n\n".encode("latin-1"), "not UTF-8 text"),
        (b"slug,name\n", "no clusters in the file"),
        (b"PK\x03\x04 not really a zip", "not a readable XLSX file"),
    ],
)
def test_unreadable_files_get_one_readable_line(data, message):
    with pytest.raises(TransferError, match=message):
        read_table(data)


def test_csv_with_semicolons_and_multiline_cells_counts_lines_as_a_spreadsheet_does(briefing):
    data = b'slug;name;source;other_names;members\none;One;s;"A [x]\nB [y]";1\ntwo;Two;s;;-1\n'
    plan = run_import(read_table(data), dry_run=True)
    assert plan.errors == [(3, "members: must not be negative")]


def test_command_dry_run_and_bad_file(briefing, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(write([new_row()], "csv"))
    call_command("import_clusters", str(good), "--dry-run")
    assert "dry run, nothing was changed: 1 created" in capsys.readouterr().out
    assert not Cluster.objects.filter(slug="nuevo-cluster").exists()

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(write([new_row(), new_row(slug="x", state="MX-XXX")], "xlsx"))
    with pytest.raises(CommandError, match="1 bad rows in .*; nothing was changed"):
        call_command("import_clusters", str(bad))
    assert "bad.xlsx, line 3: state: unknown state code 'MX-XXX'" in capsys.readouterr().err
    assert not Cluster.objects.filter(slug="nuevo-cluster").exists()

    call_command("import_clusters", str(good))
    assert Cluster.objects.get(slug="nuevo-cluster").is_curated


def test_admin_upload_preview_then_confirm(briefing, staff_client, staff_user):
    rows = rows_of(export_csv(Cluster.objects.filter(slug=CLAUT)))
    rows[0]["members"] = "150"
    upload = io.BytesIO(write([*rows, new_row()], "xlsx"))
    upload.name = "clusters.xlsx"
    url = reverse("admin:clusters_cluster_import")
    assert staff_client.get(url).status_code == 200

    response = staff_client.post(url, {"file": upload})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Confirm import" in page and "nuevo-cluster" in page and "150" in page
    assert Cluster.objects.get(slug=CLAUT).members == 92  # preview only
    digest = response.context["digest"]

    response = staff_client.post(reverse("admin:clusters_cluster_import_confirm"),
                                 {"digest": digest}, follow=True)  # fmt: skip

    assert "Import done: 1 created, 1 updated, 0 unchanged" in response.content.decode()
    assert Cluster.objects.get(slug=CLAUT).members == 150
    revision = Cluster.objects.get(slug="nuevo-cluster").revisions.get()
    assert (revision.action, revision.user, revision.comment) == (
        "import", staff_user, "File clusters.xlsx")  # fmt: skip


def test_admin_upload_of_bad_rows_lists_them_and_offers_no_confirm(briefing, staff_client):
    rows = [new_row(), new_row(slug="other", name="Other", website="nope")]
    upload = io.BytesIO(write(rows, "csv"))
    upload.name = "clusters.csv"
    response = staff_client.post(reverse("admin:clusters_cluster_import"), {"file": upload})
    page = response.content.decode()
    assert "nothing was imported" in page and "website: Enter a valid URL." in page
    assert "Confirm import" not in page
    assert response.context["plan"].errors == [(3, "website: Enter a valid URL.")]


def test_admin_confirm_of_an_expired_preview_imports_nothing(briefing, staff_client):
    response = staff_client.post(reverse("admin:clusters_cluster_import_confirm"),
                                 {"digest": "nope"}, follow=True)  # fmt: skip
    assert "preview has expired" in response.content.decode()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_admin_export_all_and_selected(briefing, staff_client, file_format):
    response = staff_client.get(reverse("admin:clusters_cluster_export"), {"format": file_format})
    assert response["Content-Disposition"].endswith(f'.{file_format}"')
    assert len(rows_of(response.content)) == Cluster.objects.count()

    selected = Cluster.objects.filter(state__code="MX-NLE")
    response = staff_client.post(reverse("admin:clusters_cluster_changelist"), {
        "action": f"export_{file_format}",
        "_selected_action": list(selected.values_list("pk", flat=True))})  # fmt: skip
    assert sorted(r["slug"] for r in rows_of(response.content)) == sorted(
        selected.values_list("slug", flat=True))  # fmt: skip


def test_import_and_export_are_for_staff_only(briefing, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("u", "u@example.eu", "pw-1234-x"))
    for name in ("import", "export"):
        response = client.get(reverse(f"admin:clusters_cluster_{name}"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


FORMULAS = ['=HYPERLINK("http://example.invalid/x","click")', "@SUM(1+1)*cmd", "+1+1", "-2+3"]


def test_the_cluster_csv_never_writes_a_formula_and_reads_its_own_cells_back(briefing, changed_ids):
    """Before: the admin's cluster export wrote formula cells raw (the interested-pairs CSV
    guarded them, this one did not)."""
    cluster = Cluster.objects.get(slug=CLAUT)
    cluster.name, cluster.acronym, cluster.description, cluster.website = (
        FORMULAS[0], FORMULAS[1], FORMULAS[2], "",
    )  # fmt: skip
    cluster.source = FORMULAS[3]
    cluster.save()
    data = export_csv(Cluster.objects.filter(slug=CLAUT))
    [row] = rows_of(data)
    for column, value in zip(["name", "acronym", "description", "source"], FORMULAS, strict=True):
        assert row[column] == "'" + value  # shown as text by a spreadsheet
    before = database_state()

    plan = run_import(read_table(data, "clusters.csv"))

    assert plan.errors == []
    assert plan.count("unchanged") == 1  # the apostrophes are taken off again
    assert database_state() == before


def test_every_csv_the_site_writes_goes_through_the_one_guard():
    """A second ``csv.writer`` would be a second place to forget the guard."""
    root = Path(__file__).resolve().parent.parent.parent
    writers = [
        str(path.relative_to(root))
        for app in ("clusters", "matchmaking", "config")
        for path in (root / app).rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text())
    ]
    assert writers == ["clusters/transfer.py"]
    assert "csv_writer(" in (root / "matchmaking" / "services.py").read_text()


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f"])
def test_a_control_character_is_refused_at_the_preview_with_its_line(
    briefing, staff_client, character
):
    """Before: a NUL byte passed the preview and gave a 500 on confirm (PostgreSQL refuses
    it; nothing was written), and SQLite stored it."""
    rows = [
        new_row(slug="clean-row", name="A clean row"),
        new_row(slug="dirty-row", name="A dirty row", description=f"Before{character}after"),
    ]
    before = database_state()

    plan = run_import(read_table(write(rows, "csv")), dry_run=True)

    code = f"U+{ord(character):04X}"
    assert plan.errors == [
        (3, f"description: contains the control character {code}, which no text may hold; "
            "remove it"),
    ]  # fmt: skip
    upload = io.BytesIO(write(rows, "csv"))
    upload.name = "clusters.csv"
    response = staff_client.post(reverse("admin:clusters_cluster_import"), {"file": upload})
    assert response.status_code == 200
    assert response.context["plan"].errors == plan.errors
    assert code in response.content.decode() and "Confirm import" not in response.content.decode()
    assert database_state() == before
