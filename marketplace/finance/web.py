"""The finance blueprint with all its pages (loans, investors, figures)."""

from . import figure_views, investor_views  # noqa: F401 - their routes join the blueprint
from .views import bp

__all__ = ["bp"]
