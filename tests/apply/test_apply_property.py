"""Hypothesis: for random desired and live states, apply then plan gives an empty plan."""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.server.db import register_account
from tests.apply.helpers import account, apply_desired, duplicates, plan_for, random_desired

KEY = "apply-property-key-0123456789"


@settings(max_examples=25, deadline=None)
@given(live_seed=st.randoms(use_true_random=False), desired_seed=st.randoms(use_true_random=False),
       size=st.integers(1, 12))
def test_apply_then_plan_is_empty(live_seed: random.Random, desired_seed: random.Random, size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "local.db"
        register_account(db_path, KEY)

        async def work() -> tuple[bool, tuple]:
            async with account(db_path, KEY) as client:
                await apply_desired(client, random_desired(live_seed, names=2 * size, most=size))
                desired = random_desired(desired_seed, names=2 * size, most=size)
                outcome = await apply_desired(client, desired)
                return outcome.succeeded, (await plan_for(client, desired)).changes

        succeeded, remaining = asyncio.run(work())
        assert succeeded and remaining == ()
        assert duplicates(db_path) == []
