"""Celery tasks of the review chain. Each task keeps the dotted name it was first queued
under (the beat schedule and messages already in the broker use it); importing the modules
here lets the worker's autodiscovery find them."""

from review.tasks.annual import remind_reapplications
from review.tasks.approval_forms import render_approval_form, render_bundle, render_case_form

__all__ = ["remind_reapplications", "render_approval_form", "render_bundle", "render_case_form"]
