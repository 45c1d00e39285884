"""The public directory: HTML pages. The JSON API lives in ``clusters.api``."""

from clusters.views.charts import map_view
from clusters.views.directory import cluster_detail, cluster_list
from clusters.views.managers import (
    claim_new,
    claim_sent,
    cluster_edit,
    my_clusters,
    still_accurate,
    verify_claim,
)
from clusters.views.pages import data_notes, favicon, home
from clusters.views.places import (
    programme_list,
    sector_detail,
    sector_list,
    state_detail,
    state_list,
)

__all__ = [
    "claim_new",
    "claim_sent",
    "cluster_edit",
    "my_clusters",
    "still_accurate",
    "verify_claim",
    "cluster_detail",
    "cluster_list",
    "data_notes",
    "favicon",
    "home",
    "map_view",
    "programme_list",
    "sector_detail",
    "sector_list",
    "state_detail",
    "state_list",
]
