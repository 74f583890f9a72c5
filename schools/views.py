"""The authority's list of its schools, grouped by school type."""

from django.shortcuts import render

from schools.access import authority_required
from schools.selectors import schools_by_type


@authority_required
def school_list(request, authority):
    groups = schools_by_type(authority=authority)
    return render(
        request,
        "schools/school_list.html",
        {
            "authority": authority,
            "groups": groups,
            "total": sum(g.count for g in groups),
        },
    )
