"""Authorization in one place: every portal URL, filled with real ids of one
authority's objects, is a 404 for another authority's user; uploaded lists are
served only to their authority and to the publisher's staff."""

import hashlib
from collections.abc import Iterator
from itertools import product as combinations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from licensing.models import Order, RegistrationUpload
from tests.portal_world import World, build_world

# Pages without an object id that anybody (or any logged-in user) may see. A new
# pattern must be added here or be fillable below, or the walk fails.
PUBLIC = {
    "home",
    "health",
    "impressum",
    "datenschutz",
    "login",
    "logout",
    "otp_verify",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "portal:start",  # lists only the user's own authorities
    # No login: the signed, single-refund link is the key (tests/invoicing/test_refund_payout.py).
    "invoicing:refund_account",
}
# Views that refuse POST with 405 before looking at the authority.
GET_ONLY = {
    "invoicing:invoice_list",
    "invoicing:invoice_pdf",
    "invoicing:invoice_xml",
    "invoicing:invoice_breakdown",
    "licensing:order_upload_file",
}


def walk(patterns=None, namespace: str = "", route: str = "") -> Iterator[tuple[str, str, list]]:
    """(name with namespace, route, kwarg names) of every URL pattern, admin excluded."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, ns, route + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            full = route + str(entry.pattern)
            if full.startswith(settings.ADMIN_URL):
                continue  # admin views beside the admin's own (work queue): staff only
            kwargs = list(entry.pattern.converters)
            yield f"{namespace}{entry.name}", full, kwargs


def values(world: World) -> dict[str, list]:
    """Real ids of the world's objects for each URL keyword."""
    return {
        "order_id": [order.pk for order in world.orders.values()],
        "invoice_id": [world.invoice.pk],
        "upload_id": [world.draft.pk, world.orders["submitted"].upload_id],
        "product_code": [world.product.code, world.draft_product.code],
    }


def portal_urls(world: World, *, authority_id: int) -> list[tuple[str, str]]:
    """Every portal URL filled with ``world``'s ids (as ``authority_id``). Fails
    for a pattern that is neither public nor fillable."""
    fill = values(world)
    urls, unknown = [], []
    for name, route, kwargs in walk():
        if name in PUBLIC:
            continue
        others = [k for k in kwargs if k != "authority_id"]
        if "authority_id" not in kwargs or any(k not in fill for k in others):
            unknown.append(f"{name} ({route})")
            continue
        for combo in combinations(*(fill[k] for k in others)):
            args = {"authority_id": authority_id, **dict(zip(others, combo, strict=True))}
            urls.append((name, reverse(name, kwargs=args)))
    assert not unknown, (
        "URL patterns the authorization walk cannot fill; give them an authority_id and "
        f"known object ids, or list them in PUBLIC: {unknown}"
    )
    return urls


@pytest.fixture
def worlds(db):
    mine = build_world(name="Stadt Musterstadt", username="schulamt")
    theirs = build_world(name="Kreis Anderswo", username="fremd")
    return mine, theirs


def client_of(world: World) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


def test_every_portal_url_is_404_for_another_authority(worlds):
    mine, theirs = worlds
    own, foreign = client_of(mine), client_of(theirs)
    urls = portal_urls(mine, authority_id=mine.authority.pk)
    names = {name for name, _url in urls}
    # Every app's object pages are in the walk (the resolver found them all).
    assert {
        "portal:dashboard",
        "schools:school_list",
        "licensing:order_products",
        "licensing:order_upload",
        "licensing:order_template",
        "licensing:order_preview",
        "licensing:order_submit",
        "licensing:order_submitted",
        "licensing:order_upload_file",
        "orders:detail",
        "orders:cancel",
        "orders:withdraw",
        "invoicing:invoice_list",
        "invoicing:invoice_pdf",
        "invoicing:invoice_xml",
        "invoicing:invoice_breakdown",
    } <= names
    # The ids are real: the owner gets every page (or a redirect to the right one).
    for name, url in urls:
        if name == "licensing:order_submit":
            continue  # a POST-only action; its POST is tested below
        assert own.get(url).status_code in (200, 302), url

    orders_before = list(Order.objects.values_list("pk", "status", "cancellation_effective_on"))
    # Our authority id with our object ids, and their own authority id with our
    # object ids (products are a shared catalogue, not an authority's objects).
    crossed = [
        (name, url)
        for name, url in portal_urls(mine, authority_id=theirs.authority.pk)
        if OWNED_KWARGS & set(kwargs_of(name))
    ]
    for name, url in urls + crossed:
        response = foreign.get(url)
        assert response.status_code == (405 if name == "licensing:order_submit" else 404), url
        post = foreign.post(url)
        assert post.status_code == (405 if name in GET_ONLY else 404), f"POST {url}"
    assert len(urls) > 30 and len(crossed) > 20
    # Nothing of ours changed: no order placed, cancelled or withdrawn.
    assert list(Order.objects.values_list("pk", "status", "cancellation_effective_on")) == (
        orders_before
    )
    assert RegistrationUpload.objects.filter(pk=mine.draft.pk, is_draft=True).exists()


OWNED_KWARGS = {"order_id", "invoice_id", "upload_id"}


def kwargs_of(name: str) -> list[str]:
    return next(kwargs for found, _route, kwargs in walk() if found == name)


def test_every_portal_url_sends_anonymous_users_to_the_login(worlds):
    mine, _theirs = worlds
    anonymous = Client()
    for name, url in portal_urls(mine, authority_id=mine.authority.pk):
        response = anonymous.get(url)
        if name == "licensing:order_submit":
            assert response.status_code == 405
            response = anonymous.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


# --- uploaded lists ----------------------------------------------------------


def test_uploaded_list_is_stored_privately_under_a_random_name(worlds, settings):
    mine, _theirs = worlds
    upload = mine.draft
    assert upload.original_filename == "Anmeldeliste Schulamt.xlsx"
    assert "Anmeldeliste" not in upload.file.name
    assert upload.file.name.startswith(f"anmeldelisten/{mine.authority.pk}/")
    path = upload.file.path
    assert path.startswith(str(settings.PRIVATE_STORAGE_ROOT))
    assert not path.startswith(str(settings.STATIC_ROOT))
    for served in (settings.STATIC_ROOT, *settings.STATICFILES_DIRS):
        assert not path.startswith(str(served))


def test_own_authority_downloads_its_upload_with_the_original_name(worlds):
    mine, _theirs = worlds
    url = reverse("licensing:order_upload_file", args=[mine.authority.pk, mine.draft.pk])
    response = client_of(mine).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == ('attachment; filename="Anmeldeliste Schulamt.xlsx"')
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == mine.draft.file_sha256
    # The preview links to it.
    preview = client_of(mine).get(
        reverse("licensing:order_preview", args=[mine.authority.pk, mine.draft.pk])
    )
    assert f'href="{url}"' in preview.content.decode()


def test_other_authority_and_anonymous_cannot_download_an_upload(worlds):
    mine, theirs = worlds
    ours = reverse("licensing:order_upload_file", args=[mine.authority.pk, mine.draft.pk])
    through_theirs = reverse(
        "licensing:order_upload_file", args=[theirs.authority.pk, mine.draft.pk]
    )
    foreign = client_of(theirs)
    assert foreign.get(ours).status_code == 404
    assert foreign.get(through_theirs).status_code == 404
    anonymous = Client().get(ours)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"{reverse('login')}?next={ours}"


def test_publisher_staff_download_uploads_in_the_admin(worlds, publisher_client, client):
    mine, _theirs = worlds
    change = reverse("admin:licensing_registrationupload_change", args=[mine.draft.pk])
    download = reverse("admin:licensing_registrationupload_download", args=[mine.draft.pk])
    page = publisher_client.get(change).content.decode()
    assert f'href="{download}"' in page
    assert "„Anmeldeliste Schulamt.xlsx“ herunterladen" in page
    response = publisher_client.get(download)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == mine.draft.file_sha256
    # Authority staff are no admin users.
    client.force_login(mine.user)
    assert client.get(download).status_code == 302
