"""CycleGAN's losses (objectives/cycle.py) and history pool (objectives/history_pool.py)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from infogan_jax.objectives import cycle, history_pool


def test_identity_mappings_have_no_cycle_or_identity_loss():
  x = jax.random.uniform(jax.random.key(0), (4, 28, 28, 1), minval=-1, maxval=1)
  y = jax.random.uniform(jax.random.key(1), (4, 28, 28, 1), minval=-1, maxval=1)
  assert float(cycle.cycle_loss(x, x, y, y)) == 0.0
  assert float(cycle.identity_loss(x, x, y, y)) == 0.0


def test_cycle_loss_is_the_mean_absolute_error_of_each_domain_summed():
  x, y = jnp.zeros((2, 4, 4, 1)), jnp.ones((3, 4, 4, 1))
  # Reconstructions off by 0.5 everywhere in X and by 2 on half of Y's pixels.
  rec_y = y.at[:, :2].add(-2.0)
  assert float(cycle.cycle_loss(x, x + 0.5, y, rec_y)) == pytest.approx(0.5 + 1.0)


def test_least_squares_losses_on_known_scores():
  ones, zeros = jnp.ones((2, 7, 7)), jnp.zeros((2, 7, 7))
  assert float(cycle.least_squares_d_loss(ones, zeros)) == 0.0    # D right everywhere
  assert float(cycle.least_squares_d_loss(zeros, ones)) == 1.0    # wrong: 0.5 * (1 + 1)
  assert float(cycle.least_squares_d_loss(ones * 0.5, zeros + 0.5)) == 0.25
  assert float(cycle.least_squares_g_loss(ones)) == 0.0           # D fooled
  assert float(cycle.least_squares_g_loss(zeros)) == 1.0
  assert float(cycle.least_squares_g_loss(ones * 3)) == 4.0       # LSGAN: too real costs too


def _reference_query(pool, count, images, swaps, slots):
  """The reference code's ImagePool.query, image by image, with given random decisions."""
  pool, returned = pool.copy(), []
  for image, swap, slot in zip(images, swaps, slots):
    if count < len(pool):
      pool[count] = image
      count += 1
      returned.append(image)
    elif swap:
      returned.append(pool[slot].copy())
      pool[slot] = image
    else:
      returned.append(image)
  return pool, count, np.stack(returned)


def test_history_pool_fills_then_swaps_with_probability_one_half():
  size, shape = 5, (2, 2, 1)
  pool = history_pool.empty(size, shape)
  # Image i is filled with the value i: what comes back says which image it was.
  batches = [jnp.full((3,) + shape, 3 * b + np.arange(3)[:, None, None, None], jnp.float32)
             for b in range(40)]
  ref_pool, ref_count = np.zeros((size,) + shape, np.float32), 0
  returned_old = 0
  for b, images in enumerate(batches):
    key = jax.random.key(b)
    out, pool = history_pool.query(pool, images, key)
    # The same decisions as query draws them.
    swap_key, slot_key = jax.random.split(key)
    swaps = np.asarray(jax.random.bernoulli(swap_key, 0.5, (3,)))
    slots = np.asarray(jax.random.randint(slot_key, (3,), 0, size))
    full_before = ref_count >= size
    ref_pool, ref_count, ref_out = _reference_query(ref_pool, ref_count, np.asarray(images),
                                                    swaps, slots)
    np.testing.assert_array_equal(np.asarray(out), ref_out)
    np.testing.assert_array_equal(np.asarray(pool['images']), ref_pool)
    assert int(pool['count']) == ref_count
    if full_before:
      returned_old += int(np.sum(np.asarray(out)[:, 0, 0, 0] != np.asarray(images)[:, 0, 0, 0]))
  assert int(pool['count']) == size
  # Once full, about half of the images returned are older ones (38 batches of 3).
  assert 0.35 < returned_old / (38 * 3) < 0.65


def test_history_pool_of_size_zero_returns_the_new_images():
  images = jnp.arange(6.0).reshape(6, 1, 1, 1)
  out, pool = history_pool.query(history_pool.empty(0, (1, 1, 1)), images, jax.random.key(0))
  np.testing.assert_array_equal(out, images)
  assert int(pool['count']) == 0
