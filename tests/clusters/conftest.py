import pytest

from clusters.signals import clusters_changed


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
