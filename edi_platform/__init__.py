"""EDI platform: Django project package and shared kernel (x12 engine, partners)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
