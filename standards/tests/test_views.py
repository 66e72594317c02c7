import re

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Session, user and membership (middleware); principles, domains, standards and indicators
# (one query each, whatever the catalog's size); the session save; and two savepoint pairs
# (ATOMIC_REQUESTS around the view and the session save).
CATALOG_QUERIES = 12


def visible_text(html: str) -> str:
    """The page's text as a reader gets it: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def coach(django_user_model):
    return django_user_model.objects.create_user(email="c@example.org", password="x")


def test_it_shows_the_catalog(client, coach) -> None:
    client.force_login(coach)

    response = client.get(reverse("standards:catalog"))

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "3F Shares stories of impact" in text
    assert "a partnership between the principal, coach, and teaching staff" in text
    assert "Uses the “meet, visit classroom, meet” cadence" in text
    assert text.count("Professional Development") >= 2  # the in-page nav and the card


def test_it_lists_standards_in_seed_order(client, coach) -> None:
    client.force_login(coach)

    html = client.get(reverse("standards:catalog")).content.decode()

    codes = re.findall(r'id="standard-(\w\w)"', html)
    assert codes == ["1A", "1B", "1C", "1D", "1E", "1F", "2A", "2B", "2C", "2D"] + [
        "3A", "3B", "3C", "3D", "3E", "3F", "4A", "4B"
    ]  # fmt: skip


def test_it_redirects_anonymous_users_to_login(client) -> None:
    url = reverse("standards:catalog")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{resolve_url(settings.LOGIN_URL)}?next={url}"


def test_it_uses_a_fixed_number_of_queries(client, coach, django_assert_num_queries) -> None:
    client.force_login(coach)

    with django_assert_num_queries(CATALOG_QUERIES):
        response = client.get(reverse("standards:catalog"))

    assert response.status_code == 200
