"""Planner tests run end to end against every plausible live service."""

from __future__ import annotations

import pytest

from reconciler.server.variant import ServiceVariant


@pytest.fixture(autouse=True)
def service_variant(local_service: ServiceVariant) -> ServiceVariant:
    """Every test here runs against each plausible live service (`SERVICE_VARIANTS`)."""
    return local_service
