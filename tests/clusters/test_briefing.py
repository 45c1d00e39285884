"""What load_briefing stores agrees with the briefing itself (counts and a sample of rows)."""

import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from clusters.models import (
    Cluster,
    ClusterName,
    QualityLabel,
    Sector,
    SectorLabel,
    SectorStronghold,
    State,
)
from tests.factories import make_interest

SEED = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "000_ab16c55c877a466c.txt"
SUPERSCRIPTS = str.maketrans("", "", "⁰¹²³⁴⁵⁶⁷⁸⁹")
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "briefing.json"

# Table 3, "Number of clusters" column, as the briefing prints it.
TABLE3_COUNTS = {
    "MX-AGU": 7, "MX-BCN": 11, "MX-CAM": 1, "MX-CHP": 1, "MX-CHH": 2, "MX-CMX": 6,
    "MX-COA": 2, "MX-COL": 1, "MX-GUA": 2, "MX-JAL": 6, "MX-MEX": 1, "MX-MIC": 3,
    "MX-NLE": 12, "MX-OAX": 2, "MX-PUE": 2, "MX-QUE": 4, "MX-SLP": 2, "MX-SON": 2,
    "MX-TAB": 1, "MX-TAM": 1, "MX-TLA": 1, "MX-VER": 1, "MX-YUC": 2, "MX-ZAC": 1,
}  # fmt: skip


def table3_counts_from_seed() -> dict[str, int]:
    """Read the 'Number of clusters' column straight from the briefing's text."""
    text = SEED.read_text(encoding="utf-8")
    table = text.split("TABLE 3 – FORMALLY ORGANISED CLUSTERS BY STATE")[1].split("TABLE 4")[0]
    by_name = {}
    for line in table.splitlines():
        match = re.match(r"^([^\t]+)\t(\d+)\t", line)
        if match:
            name = match.group(1).translate(SUPERSCRIPTS).strip()
            by_name[name] = int(match.group(2))
    states = {s.name: s.code for s in State.objects.all()}
    states |= {s.briefing_name: s.code for s in State.objects.exclude(briefing_name="")}
    return {states[name]: count for name, count in by_name.items()}


def test_states_are_the_32_federal_entities(briefing):
    assert State.objects.count() == 32
    assert State.objects.get(code="MX-NLE").name == "Nuevo León"
    assert State.objects.get(code="MX-QUE").name == "Querétaro"
    assert State.objects.get(code="MX-CMX").name == "Ciudad de México"
    assert State.objects.get(code="MX-YUC").name == "Yucatán"
    assert State.objects.get(code="MX-MEX").briefing_name == "Estado de México"
    assert not State.objects.filter(source="").exists()


def test_table3_clusters_agree_with_its_number_of_clusters_column(briefing):
    formal = Cluster.objects.filter(is_formally_organised=True)
    assert formal.count() == 74
    stored = {}
    for cluster in formal.select_related("state"):
        stored[cluster.state.code] = stored.get(cluster.state.code, 0) + 1
    assert stored == TABLE3_COUNTS
    assert len(stored) == 24


@pytest.mark.skipif(not SEED.exists(), reason="shared/seeds is not beside the checkout")
def test_expected_counts_are_read_from_the_briefing_text(briefing):
    assert table3_counts_from_seed() == TABLE3_COUNTS


def test_esca_labels_match_table4_validity(briefing):
    valid = QualityLabel.objects.filter(is_valid=True)
    assert valid.filter(level="gold").count() == 0
    assert valid.filter(level="silver").count() == 2
    assert valid.filter(level="bronze").count() == 17
    lapsed = QualityLabel.objects.filter(is_valid=False).select_related("cluster")
    assert sorted(
        (label.cluster.acronym or label.cluster.name, label.level) for label in lapsed
    ) == [
        ("CLAUT", "gold"),
        ("Monterrey AeroCluster", "bronze"),
    ]
    assert all("mid-2016" in label.validity_note for label in lapsed)


def test_section_3_2_profile_is_merged_onto_its_table3_record(briefing):
    claut = Cluster.objects.get(name="Cluster Automotriz de Nuevo León")
    assert claut.acronym == "CLAUT"
    assert claut.state.code == "MX-NLE"
    assert claut.members == 92
    assert claut.website == "http://www.claut.com.mx"
    assert {"Nuevo León Auto Cluster", "Automotive Cluster of Nuevo León"} <= set(
        claut.other_names.values_list("name", flat=True)
    )
    assert "footnote 65" in claut.source
    # One record, found by every name.
    assert list(Cluster.objects.search("Nuevo León Auto Cluster")) == [claut]
    assert Cluster.objects.filter(other_names__name="Bioclúster de Nuevo León").get().name == (
        "Cluster Biotecnológico de Nuevo León"
    )


def test_figures_and_websites_of_section_3_2(briefing):
    alliance = Cluster.objects.get(slug="aerospace-alliance-of-baja-california-a-c")
    assert alliance.companies == 76
    assert str(alliance.exports_usd_millions) == "1533.00"
    assert alliance.website == "http://www.bajaaerospace.org/"
    monterrey = Cluster.objects.get(name="Monterrey AeroCluster")
    assert (monterrey.founded_year, monterrey.companies) == (2009, 6)
    biotq = Cluster.objects.get(name="Cluster BioTQ")
    assert biotq.members == 35 and biotq.state.code == "MX-QUE"


def test_clusters_named_only_in_section_3_2_or_table4_have_a_state_only_when_given(briefing):
    renewables = Cluster.objects.get(name="Cluster Mexicano de Energías Renovables")
    assert renewables.state is None
    assert (renewables.founded_year, renewables.companies) == (2010, 16)
    assert not renewables.is_formally_organised
    assert Cluster.objects.get(name="Cleantech Cluster Puebla").state.code == "MX-PUE"
    ijalti = Cluster.objects.get(acronym="IJALTI")
    assert ijalti.state is None
    assert ijalti.labels.get().level == "silver"
    assert Cluster.objects.get(name="IT@Baja").state is None
    assert Cluster.objects.get(name="CITI Tabasco A.C").state.code == "MX-TAB"
    assert Cluster.objects.count() == 74 + 2 + 11


def test_every_briefing_sector_label_maps_onto_the_taxonomy(briefing):
    labels = set(Cluster.objects.exclude(sector_label="").values_list("sector_label", flat=True))
    labels |= set(QualityLabel.objects.values_list("sector_label", flat=True))
    mapped = {label.label: label for label in SectorLabel.objects.prefetch_related("sectors")}
    assert labels <= set(mapped)
    assert all(mapped[label].sectors.exists() for label in labels)
    assert mapped["Real State"].sectors.get().slug == "construction"
    assert Cluster.objects.get(name="Cluster Agroalimentario").sector_label == "Agrofood"
    # The one Table 3 row without a sector keeps no sector rather than a guessed one.
    no_sector = Cluster.objects.get(name="Cluster de Transporte y Logística")
    assert no_sector.sector_label == "" and not no_sector.sectors.exists()


def test_promexico_priority_sectors_and_bilingual_names(briefing):
    priority = set(Sector.objects.filter(is_promexico_priority=True).values_list("slug", flat=True))
    assert priority == {
        "aerospace", "automotive", "processed-food", "renewable-energy", "biotechnology",
        "medical-devices", "pharmaceutical", "household-appliances", "electronics",
    }  # fmt: skip
    assert not Sector.objects.filter(name_es="").exists()
    assert Sector.objects.get(slug="aerospace").ecosystems.get().name == "Aerospace & Defence"


def test_table2_strongholds(briefing):
    def states_of(slug):
        return list(
            SectorStronghold.objects.filter(sector__slug=slug).values_list("state__code", flat=True)
        )

    assert states_of("aerospace") == ["MX-BCN", "MX-NLE", "MX-CHH", "MX-QUE", "MX-SON"]
    assert states_of("renewable-energy") == ["MX-PUE", "MX-BCN", "MX-CHP", "MX-COA"]
    assert states_of("biotechnology") == ["MX-NLE", "MX-QUE", "MX-BCN", "MX-GUA", "MX-MEX"]
    assert len(states_of("automotive")) == 6


def test_every_record_cites_its_source(briefing):
    assert not Cluster.objects.filter(source="").exists()
    assert not ClusterName.objects.filter(source="").exists()
    assert not QualityLabel.objects.filter(source="").exists()
    assert not SectorStronghold.objects.filter(source="").exists()


def _row_counts():
    return {
        model.__name__: model.objects.count()
        for model in (State, Sector, SectorLabel, Cluster, ClusterName, QualityLabel,
                      SectorStronghold)
    }  # fmt: skip


def test_loading_twice_gives_the_same_rows(briefing):
    before = _row_counts()
    ids = set(Cluster.objects.values_list("pk", "slug"))
    call_command("load_briefing", verbosity=0)
    assert _row_counts() == before
    assert set(Cluster.objects.values_list("pk", "slug")) == ids


def test_curated_profile_survives_reload_unless_forced(briefing):
    cluster = Cluster.objects.get(acronym="CLAUGTO")
    cluster.description = "Curated by programme staff."
    cluster.is_curated = True
    cluster.save()
    call_command("load_briefing", verbosity=0)
    cluster.refresh_from_db()
    assert cluster.description == "Curated by programme staff."
    call_command("load_briefing", "--force", verbosity=0)
    cluster.refresh_from_db()
    assert cluster.description.startswith("This cluster is a non-profit organisation")
    assert not cluster.is_curated


def _load(*args, **options) -> str:
    out = io.StringIO()
    call_command("load_briefing", *args, stdout=out, **options)
    return out.getvalue()


def test_a_load_that_changes_what_matching_reads_says_so(briefing):
    make_interest(sectors=["aerospace"])  # matched before the loads below
    rescoring = "re-scored where it changes them"
    assert rescoring not in _load()  # nothing changed

    SectorStronghold.objects.filter(sector__slug="aerospace").first().delete()
    output = _load()
    assert "0 created, 0 updated" in output
    assert "sector strongholds or ecosystems changed" in output
    assert rescoring in output

    Cluster.objects.filter(acronym="CLAUGTO").update(description="Edited.")
    output = _load()
    assert "1 updated" in output
    assert rescoring in output
    assert rescoring not in _load()


def test_a_quiet_load_prints_nothing(briefing):
    SectorStronghold.objects.filter(sector__slug="aerospace").first().delete()
    assert _load(verbosity=0) == ""
    assert "created" in _load()


def _write(tmp_path, data) -> Path:
    path = tmp_path / "briefing.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda text, data: text[: len(text) // 2], "invalid JSON"),
        (lambda text, data: {**data, "clusters": data["clusters"][:-30]}, "Table 3"),
        (lambda text, data: {**data, "states": data["states"][:20]}, "32 states"),
        (lambda text, data: {k: v for k, v in data.items() if k != "sectors"}, "sectors"),
        (
            lambda text, data: {
                **data,
                "clusters": [{**data["clusters"][0], "state": "MX-XXX"}] + data["clusters"][1:],
            },
            "unknown state",
        ),
        (
            lambda text, data: {
                **data,
                "clusters": [{**data["clusters"][0], "members": -3}] + data["clusters"][1:],
            },
            "members",
        ),
    ],
    ids=["truncated", "partial", "missing-states", "missing-section", "bad-state", "negative"],
)
def test_corrupt_or_partial_file_is_refused_and_changes_nothing(
    briefing, tmp_path, corrupt, message
):
    text = FIXTURE.read_text(encoding="utf-8")
    path = _write(tmp_path, corrupt(text, json.loads(text)))
    Cluster.objects.filter(acronym="CLAUT", state__code="MX-NLE").update(description="kept")
    before = _row_counts()
    with pytest.raises(CommandError) as excinfo:
        call_command("load_briefing", "--file", str(path), "--force", verbosity=0)
    assert message in str(excinfo.value)
    assert "nothing was changed" in str(excinfo.value)
    assert "\n" not in str(excinfo.value)
    assert _row_counts() == before
    assert Cluster.objects.get(acronym="CLAUT", state__code="MX-NLE").description == "kept"


def test_missing_file_is_a_readable_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read file"):
        call_command("load_briefing", "--file", str(tmp_path / "absent.json"), verbosity=0)


def test_the_briefing_fixture_holds_what_a_load_writes(briefing, briefing_rows):
    """Tests get the rows of one load per session written back: a load on top of them finds
    every record as it would write it, and rows a test creates get ids of their own."""
    assert "0 created, 0 updated" in _load()
    assert _row_counts() == {
        model.__name__: len(rows)
        for model, rows in briefing_rows.items()
        if model.__name__ in _row_counts()
    }
    highest = max(Cluster.objects.values_list("pk", flat=True))
    assert Cluster.objects.create(name="Added by a test", slug="added-by-a-test").pk > highest
