from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from standards import selectors


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    context = {
        "principles": selectors.principle_list(),
        "domains": selectors.domain_list_with_standards(),
    }
    return render(request, "standards/catalog.html", context)
