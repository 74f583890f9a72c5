"""URLs of the school directory pages (namespace ``schools``) and the login pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from schools import auth_views as portal_auth_views
from schools import billing_views, views

app_name = "schools"

urlpatterns = [
    path("traeger/<int:authority_id>/schulen/", views.school_list, name="school_list"),
    path(
        "traeger/<int:authority_id>/rechnungsdaten/",
        billing_views.billing_data,
        name="billing_data",
    ),
]

# Authentication pages live outside the app namespace (Django's defaults).
auth_urlpatterns = [
    path(
        "anmelden/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path("anmelden/zwei-faktor/", portal_auth_views.otp_verify, name="otp_verify"),
    # Password reset by e-mail (Django's views, German templates in templates/registration/).
    path(
        "passwort-vergessen/",
        portal_auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "passwort-vergessen/gesendet/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "passwort-neu/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "passwort-neu/fertig/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
