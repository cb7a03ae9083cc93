"""The algorithm learns, not just runs: on 8 Gaussians on a ring, one Cat(8) code
must end up with each category on its own mode (a short CPU run)."""
import jax
import numpy as np
import pytest

from infogan_jax.data import input_pipeline
from infogan_jax import games


@pytest.mark.slow
def test_each_category_captures_its_own_mode(trained_ring8):
  _, state = trained_ring8
  modes = input_pipeline.ring8_modes()
  majority, purity = [], []
  for category in range(8):
    lat = state.spec.sample(jax.random.key(100 + category), 500)
    lat = lat._replace(cat=np.full_like(lat.cat, category))
    points = np.asarray(games.generate(state, lat))
    nearest = np.argmin(((points[:, None] - modes[None]) ** 2).sum(-1), axis=1)
    counts = np.bincount(nearest, minlength=8)
    majority.append(int(counts.argmax()))
    purity.append(counts.max() / 500)
    # Samples lie on the data, not between modes.
    assert np.median(np.linalg.norm(points - modes[nearest], axis=1)) < 0.25
  assert sorted(majority) == list(range(8)), f'categories share modes: {majority}'
  assert min(purity) > 0.9, f'per-category purity {purity}'
