from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The embedded default keeps its SQLite file and Celery queue folders under var/.
for _folder in ("", "celery-queue", "celery-processed", "celery-control"):
    (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)  # noqa: F405
