"""Small factories for the claim and manager tests."""

import io
from itertools import count

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from clusters.models import Claim
from tests.clusters.test_directory import make_cluster

PASSWORD = "a-long-enough-passphrase"
_numbers = count(1)


def make_user(email: str | None = None, **fields):
    email = (email or f"person{next(_numbers)}@example.mx").lower()
    return get_user_model().objects.create_user(
        username=email, email=email, password=PASSWORD, **fields
    )


def make_claim(cluster=None, user=None, *, status=Claim.Status.APPROVED, **fields) -> Claim:
    user = user or make_user()
    defaults = {
        "name": "Ana Pérez",
        "role": "Directora",
        "work_email": user.email,
        "consent_at": timezone.now(),
        "consent_version": "2026-11",
        "status": status,
    }
    cluster = cluster or make_cluster(website="http://www.example-cluster.mx/")
    return Claim.objects.create(user=user, cluster=cluster, **(defaults | fields))


def image_upload(name="logo.png", kind="PNG", size=(40, 20)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (8, 63, 118)).save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
