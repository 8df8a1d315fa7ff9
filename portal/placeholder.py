"""Temporary page for a section whose issue is in progress (removed when each app fills its urls)."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def section_in_progress(request, **kwargs):
    return render(request, "portal/in_progress.html", status=200)
