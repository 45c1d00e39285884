import pytest

from clusters.signals import clusters_changed
from tests.factories import make_cluster, make_sector, make_state


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("curator", "curator@example.eu", "pw-123-x")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def changed_ids():
    """The cluster ids of every ``clusters_changed`` sent during the test, in order."""
    sent: list[int] = []

    def receiver(sender, *, cluster_ids, **kwargs):
        sent.extend(cluster_ids)

    clusters_changed.connect(receiver, dispatch_uid="tests-changed-ids")
    yield sent
    clusters_changed.disconnect(dispatch_uid="tests-changed-ids")


# The small directory both the page and the API tests filter (defined once, used by both).
@pytest.fixture
def small_directory(db):
    nle, que = make_state("MX-NLE", "Nuevo León"), make_state("MX-QUE", "Querétaro")
    auto, aero = make_sector("automotive"), make_sector("aerospace", "Aerospace", "Aeroespacial")
    make_cluster(
        name="Auto NL",
        state=nle,
        sectors=[auto],
        labels=[("gold", False, "Not valid since mid-2016")],
        is_formally_organised=True,
    )
    make_cluster(name="Aero QRO", state=que, sectors=[aero], labels=[("bronze", True)])
    make_cluster(name="Nowhere", sectors=[auto, aero])
    make_cluster(
        name="Hidden",
        state=nle,
        sectors=[auto],
        labels=[("silver", True)],
        is_formally_organised=True,
        is_published=False,
    )
