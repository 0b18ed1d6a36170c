"""EDI platform: Django project package and shared kernel (x12 engine, partners).

The Celery app is loaded by the partners app's ``ready()`` so that importing the pure
``edi_platform.x12`` library does not pull in Celery or Django.
"""
