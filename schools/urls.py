from django.contrib.auth import views as auth_views
from django.urls import path

from schools import views

app_name = "schools"

urlpatterns = [
    path("start/", views.start, name="start"),
    path("traeger/<int:authority_id>/", views.dashboard, name="dashboard"),
    path("traeger/<int:authority_id>/schulen/", views.school_list, name="school_list"),
]

# Authentication pages live outside the app namespace (Django's defaults).
auth_urlpatterns = [
    path(
        "anmelden/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
]
