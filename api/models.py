"""The API's tables (Django finds an app's models here)."""

from api.access import ApiAccessRecord
from api.keys.models import ApiKey

__all__ = ["ApiAccessRecord", "ApiKey"]
