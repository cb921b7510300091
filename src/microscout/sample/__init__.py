"""The sample world: a deterministic, calibrated synthetic social world with planted truths.

>>> from microscout.sample import generate_world        # doctest: +SKIP
>>> generate_world(Path("world"), creators=3000, posts_per_creator=30, seed=7)  # doctest: +SKIP
"""

from microscout.sample.world import DIFFICULTIES, FORMATS, GENERATOR_VERSION, NOW, generate_world

__all__ = ["DIFFICULTIES", "FORMATS", "GENERATOR_VERSION", "NOW", "generate_world"]
