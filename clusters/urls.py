from django.urls import path, re_path

from clusters import api, views

app_name = "clusters"
urlpatterns = [
    # "/" was the directory: its old links with filters are redirected there (views.home).
    path("", views.home, name="home"),
    path("clusters/", views.cluster_list, name="cluster_list"),
    path("clusters/<slug:slug>/", views.cluster_detail, name="cluster_detail"),
    path("states/", views.state_list, name="state_list"),
    path("states/<str:code>/", views.state_detail, name="state_detail"),
    path("sectors/", views.sector_list, name="sector_list"),
    path("sectors/<slug:slug>/", views.sector_detail, name="sector_detail"),
    path("programmes/", views.programme_list, name="programme_list"),
    path("map/", views.map_view, name="map"),
    path("data-notes/", views.data_notes, name="data_notes"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("api/", api.index, name="api_index"),
    path("api/clusters/", api.cluster_list, name="api_cluster_list"),
    path("api/clusters/<slug:slug>/", api.cluster_detail, name="api_cluster_detail"),
    path("api/sectors/", api.sector_list, name="api_sector_list"),
    path("api/states/", api.state_list, name="api_state_list"),
    # Anything else under api/ answers a JSON 404, not the HTML one ([\s\S]: newlines too).
    re_path(r"^api/(?P<rest>(?:[\s\S]*/)?)$", api.not_found, name="api_not_found"),
]
