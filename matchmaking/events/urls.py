from django.urls import path

from matchmaking.events import staff, views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("<int:pk>/", views.event_detail, name="event"),
    path("<int:pk>/register/", views.register, name="register"),
    path("me/<int:pk>/", views.my_event, name="my_event"),
    path("me/<int:pk>/request/<int:receiver_pk>/", views.send_request, name="send_request"),
    path("requests/<int:pk>/", views.answer, name="answer"),
    path("me/<int:pk>/agenda/", views.agenda_page, name="agenda"),
    path("me/<int:pk>/agenda.ics", views.agenda_ics, name="agenda_ics"),
    path("feed/<str:token>.ics", views.agenda_feed, name="agenda_feed"),
    path("seats/<int:seat_pk>/feedback/", views.feedback, name="feedback"),
    # Staff.
    path("staff/new/", staff.event_new, name="staff_event_new"),
    path("staff/<int:pk>/", staff.event_staff, name="staff_event"),
    path("staff/<int:pk>/schedule/", staff.run_scheduler, name="run_scheduler"),
    path("staff/runs/<int:pk>/", staff.scheduler_run, name="scheduler_run"),
    path("staff/meetings/<int:pk>/move/", staff.move_meeting, name="move_meeting"),
    path("staff/<int:pk>/agendas/", staff.send_agendas, name="send_agendas"),
    path("staff/participants/<int:pk>/attendance/", staff.attendance, name="attendance"),
    path("staff/<int:pk>/table-plan/", staff.table_plan, name="table_plan"),
    path("staff/<int:pk>/meetings.csv", staff.export, {"fmt": "csv"}, name="export_csv"),
    path("staff/<int:pk>/meetings.xlsx", staff.export, {"fmt": "xlsx"}, name="export_xlsx"),
]
