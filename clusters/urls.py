from django.urls import path, re_path

from clusters import api, views

app_name = "clusters"
urlpatterns = [
    # "/" was the directory: its old links with filters are redirected there (views.home).
    path("", views.home, name="home"),
    path("clusters/", views.cluster_list, name="cluster_list"),
    path("clusters/<slug:slug>/", views.cluster_detail, name="cluster_detail"),
    path("clusters/<slug:slug>/claim/", views.claim_new, name="claim_new"),
    path("clusters/<slug:slug>/edit/", views.cluster_edit, name="cluster_edit"),
    path("clusters/<slug:slug>/still-accurate/", views.still_accurate, name="still_accurate"),
    path("claims/<int:pk>/", views.claim_sent, name="claim_sent"),
    path("claims/verify/<str:token>/", views.verify_claim, name="verify_claim"),
    path("my-clusters/", views.my_clusters, name="my_clusters"),
    path("states/", views.state_list, name="state_list"),
    path("states/<str:code>/", views.state_detail, name="state_detail"),
    path("sectors/", views.sector_list, name="sector_list"),
    path("sectors/<slug:slug>/", views.sector_detail, name="sector_detail"),
    path("programmes/", views.programme_list, name="programme_list"),
    path("map/", views.map_view, name="map"),
    path("data-notes/", views.data_notes, name="data_notes"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("api/v1/", api.Index.as_view(), name="api_index"),
    path("api/v1/clusters/", api.ClusterList.as_view(), name="api_cluster_list"),
    path("api/v1/clusters/<slug:slug>/", api.ClusterDetail.as_view(), name="api_cluster_detail"),
    path("api/v1/sectors/", api.SectorList.as_view(), name="api_sector_list"),
    path("api/v1/states/", api.StateList.as_view(), name="api_state_list"),
    # Anything else under api/v1/ answers a JSON 404, not the HTML one ([\s\S]: newlines too).
    re_path(r"^api/v1/(?P<rest>(?:[\s\S]*/)?)$", api.NotFound.as_view(), name="api_not_found"),
]
