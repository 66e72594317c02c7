"""The coach's self-assessments and My growth: saved once however often Save is sent, never dated after today in
the district, every one listed and reachable, and a form that says what is missing."""

import datetime
import re
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from config.forms import ALREADY_SAVED
from dashboard import services
from standards.models import SelfAssessment, Standard
from testing.fixtures import form_on, post_twice_at_once

pytestmark = pytest.mark.django_db
NEW = reverse("dashboard:self_assessment_new")
GROWTH = reverse("dashboard:growth")


def filled(client, rating=3, **values):
    """The new self-assessment form as a coach sends it: every standard rated, evidence for each."""
    ratings = {}
    for code in Standard.objects.values_list("code", flat=True):
        ratings[f"rating_{code}"] = str(rating)
        ratings[f"evidence_{code}"] = f"Evidence for {code}"
    return form_on(client, NEW, **{**ratings, **values})


def assess(cast, day: datetime.date, rating: int = 3, shared: bool = False) -> SelfAssessment:
    return services.self_assessment_save(
        actor=cast.alice,
        assessed_on=day,
        ratings={pk: (rating, "") for pk in Standard.objects.values_list("pk", flat=True)},
        shared_with_district=shared,
    )


# --- 1. Save sent twice -------------------------------------------------------------------------------------------


def test_it_saves_once_when_save_is_sent_again_from_the_page_back_brought_back(client, cast):
    """The tester's steps: Save, Back (the same page, the same key), Save again."""
    client.force_login(cast.alice)
    url, data = filled(client)
    first = client.post(url, data)

    second = client.post(url, data, follow=True)

    assert first.status_code == 302 and second.redirect_chain == [(first["Location"], 302)]
    assert ALREADY_SAVED in second.content.decode()
    assert SelfAssessment.objects.filter(coach=cast.alice).count() == 1


def test_it_keeps_the_pages_key_in_its_url_so_that_back_brings_the_same_key(client, cast):
    """Every page is no-store: Back fetches the form again. The key in the URL makes it the same render's key,
    and the page says it is saved already."""
    client.force_login(cast.alice)
    opened = client.get(NEW)
    assert opened.status_code == 302 and opened["Location"].startswith(f"{NEW}?key=")
    url, data = filled(client)
    key = url.split("key=")[1]
    assert data["submission_key"] == [key]
    assert "saved already" not in client.get(url).content.decode()

    client.post(url, data)
    back = client.get(url)

    assert back.context["form"]["submission_key"].value() == key
    assert 'saved already: <a href="/dashboard/growth/">' in back.content.decode()
    assert client.post(url, data)["Location"] == GROWTH and SelfAssessment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_saves_a_double_tap_once_and_lands_both_taps_where_the_first_did(client, cast):
    client.force_login(cast.alice)
    url, data = filled(client)

    first, second = post_twice_at_once(client, url, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == GROWTH
    assert SelfAssessment.objects.count() == 1


def test_it_saves_a_second_self_assessment_from_a_new_page(client, cast):
    """A key is one render's: opening the form again is a new self-assessment, as it always was."""
    client.force_login(cast.alice)
    for _ in range(2):
        url, data = filled(client)
        assert client.post(url, data).status_code == 302

    assert SelfAssessment.objects.count() == 2


# --- 2. Dated after today -------------------------------------------------------------------------------------------


def test_it_refuses_a_date_after_today_on_the_field_and_keeps_what_was_typed(client, cast):
    client.force_login(cast.alice)
    url, data = filled(client, assessed_on="2031-01-01", evidence_1A="Two cycles with Maria", rating_2B="4")
    data["shared_with_district"] = ["on"]

    response = client.post(url, data)

    assert response.status_code == 200 and not SelfAssessment.objects.exists()
    form = response.context["form"]
    today = timezone.localdate()
    assert form.errors["assessed_on"] == [f"A self-assessment cannot be dated after today ({today:%-d %B %Y})."]
    page = response.content.decode()
    assert 'value="2031-01-01"' in page and ">\nTwo cycles with Maria</textarea>" in page
    assert re.search(r'<input type="radio" name="rating_2B" value="4"[^>]* checked', page)
    assert re.search(r'<input type="checkbox" name="shared_with_district"[^>]* checked', page)


def test_it_offers_no_day_after_today_in_the_date_picker(client, cast):
    client.force_login(cast.alice)
    page = client.get(NEW, follow=True).content.decode()
    assert f'max="{timezone.localdate():%Y-%m-%d}"' in page


@pytest.mark.parametrize(
    "zone, now_utc, day, allowed",
    [
        # 22:00 UTC on 30 November is 1 December in Auckland (the server, in Chicago, is still on 30 November).
        ("Pacific/Auckland", datetime.datetime(2026, 11, 30, 22), datetime.date(2026, 12, 1), True),
        ("Pacific/Auckland", datetime.datetime(2026, 11, 30, 22), datetime.date(2026, 12, 2), False),
        # 03:00 UTC on 1 December is still 30 November in Honolulu: 1 December is tomorrow there.
        ("Pacific/Honolulu", datetime.datetime(2026, 12, 1, 3), datetime.date(2026, 12, 1), False),
        ("Pacific/Honolulu", datetime.datetime(2026, 12, 1, 3), datetime.date(2026, 11, 30), True),
    ],
)
def test_it_reads_today_in_the_districts_time_zone(cast, zone, now_utc, day, allowed):
    """The service decides, whoever calls it: "today" is the district's date, not the server's."""
    cast.district.timezone = zone
    cast.district.save()
    cast.alice.membership.district.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=now_utc.replace(tzinfo=datetime.UTC)):
        if allowed:
            assert assess(cast, day).assessed_on == day
        else:
            with pytest.raises(ValidationError) as refused:
                assess(cast, day)
            assert "assessed_on" in refused.value.error_dict


# --- 3. My growth: every self-assessment, distinct names, every standard on the axis ---------------------------------


def test_it_lists_every_self_assessment_newest_first_with_a_link_and_whether_it_is_shared(client, cast):
    today = timezone.localdate()
    made = [assess(cast, today - datetime.timedelta(days=30 * n), shared=n == 5) for n in range(6)]
    client.force_login(cast.alice)

    response = client.get(GROWTH)

    assert [a.pk for a in response.context["assessments"]] == [a.pk for a in made[:4]][::-1]  # 4 side by side
    listed = response.context["page"].object_list
    assert [a.pk for a in listed] == [a.pk for a in made]
    page = response.content.decode()
    oldest = reverse("dashboard:self_assessment", args=[made[-1].pk])
    assert f'<a href="{oldest}">{made[-1].assessed_on.day} {made[-1].assessed_on:%b %Y}</a>' in page
    assert page.count(">Shared with your district admin<") == 1


def test_it_pages_a_long_list_of_self_assessments(client, cast):
    today = timezone.localdate()
    for n in range(25):
        assess(cast, today - datetime.timedelta(days=7 * n))
    client.force_login(cast.alice)

    first, second = client.get(GROWTH), client.get(GROWTH, {"page": 2})

    assert len(first.context["page"].object_list) == 20 and len(second.context["page"].object_list) == 5
    assert "Page 1 of 2" in first.content.decode() and 'href="?page=2"' in first.content.decode()
    assert [a.pk for a in second.context["assessments"]] == [a.pk for a in first.context["assessments"]]


def test_it_names_two_self_assessments_of_one_day_apart(client, cast):
    day = datetime.date(2026, 11, 27)
    assess(cast, day - datetime.timedelta(days=40))
    assess(cast, day, rating=2)
    assess(cast, day, rating=3)
    client.force_login(cast.alice)

    response = client.get(GROWTH)

    names = [series.name for series in response.context["chart"].series]
    assert names == [f"{day - datetime.timedelta(days=40):%-d %b %Y}", "27 Nov 2026 (1)", "27 Nov 2026 (2)"]
    page = response.content.decode()
    assert "<title>1A, 27 Nov 2026 (2): 3</title>" in page
    assert page.count(">27 Nov 2026 (2)<") >= 2  # the table's heading and the list's link
    assert len(set(names)) == len(names)


def test_it_names_each_self_assessment_of_one_day_on_its_own_page(client, cast):
    day = datetime.date(2026, 11, 27)
    first, second = assess(cast, day), assess(cast, day)
    client.force_login(cast.alice)

    pages = [client.get(reverse("dashboard:self_assessment", args=[a.pk])).content.decode() for a in (first, second)]

    assert '<h1 class="h2">27 November 2026 (1)</h1>' in pages[0]
    assert '<h1 class="h2">27 November 2026 (2)</h1>' in pages[1]


def test_it_writes_every_standard_under_the_growth_charts_axis(client, cast):
    assess(cast, timezone.localdate())
    client.force_login(cast.alice)

    chart = client.get(GROWTH).context["chart"]

    codes = list(Standard.objects.order_by("code").values_list("code", flat=True))
    assert [label.text for label in chart.xlabels] == codes


def test_it_shows_a_phone_the_newest_two_self_assessments_in_a_chart_of_their_own(client, cast):
    today = timezone.localdate()
    for n in range(4):
        assess(cast, today - datetime.timedelta(days=30 * n))
    client.force_login(cast.alice)

    response = client.get(GROWTH)

    full, phone = response.context["chart"], response.context["phone_chart"]
    assert [s.name for s in phone.series] == [s.name for s in full.series][-2:]
    assert len(phone.xlabels) == 18
    page = response.content.decode()
    assert '<div class="d-none d-sm-block">' in page and '<div class="d-sm-none">' in page


# --- 4. The form: tappable radios, a summary of what is missing ------------------------------------------------------


def test_it_draws_the_ratings_as_bootstrap_inline_radios(client, cast):
    client.force_login(cast.alice)
    page = client.get(NEW, follow=True).content.decode()
    assert page.count('<div class="form-check form-check-inline">') == 18 * 4
    assert page.count('class="form-check-input"') == 18 * 4 + 1  # and the share box


def test_it_sums_up_what_is_missing_at_the_top_with_links_to_the_first_fields(client, cast):
    client.force_login(cast.alice)

    page = client.post(NEW, {"assessed_on": ""}).content.decode()

    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert 'role="alert"' in page.split('id="error-summary"')[0].rsplit("<div", 1)[1]
    assert "19 answers to fix before it saves" in summary
    assert '<a href="#id_assessed_on">Date: Enter a date.</a>' in summary
    assert '<a href="#id_rating_1A_0">1A Drives Impactful Technology Use: Choose a rating from 1 to 4.</a>' in summary
    assert summary.count("<li>") == 6 and "and 14 more" in summary  # the first five, and how many more
    assert "This field is required." not in page


GROWTH_QUERIES = 14  # the coach's programs, the rollups' coverage, the list's count and page, the newest four's ratings


def test_it_draws_my_growth_in_constant_queries_however_many_self_assessments(client, cast, django_assert_num_queries):
    assess(cast, timezone.localdate())
    client.force_login(cast.alice)
    with django_assert_num_queries(GROWTH_QUERIES):
        client.get(GROWTH)
    for n in range(1, 30):
        assess(cast, timezone.localdate() - datetime.timedelta(days=n // 2))  # two of most days
    with django_assert_num_queries(GROWTH_QUERIES):
        assert client.get(GROWTH).status_code == 200
    with django_assert_num_queries(GROWTH_QUERIES + 1):  # a later page: the newest four read on their own
        assert client.get(GROWTH, {"page": 2}).status_code == 200
