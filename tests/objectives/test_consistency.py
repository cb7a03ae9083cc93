"""The consistency term (infogan_jax/objectives/consistency.py): the deformation, IIC's agreement, and
the term as a part of the train step."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import tiny
from infogan_jax.settings import config_validation
from infogan_jax import games
from infogan_jax.objectives.consistency import Consistency, deform, posterior_agreement
from infogan_jax.errors import ConfigError


def _digits(n=6, seed=0):
  return jnp.asarray(np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)), jnp.float32)


def test_deformation_at_strength_zero_is_the_identity():
  images = _digits()
  view = Consistency(rotation=0.0, scale=0.0, shift=0.0).view(images, jax.random.key(3))
  np.testing.assert_array_equal(np.asarray(view), np.asarray(images))


def test_deformation_keeps_images_in_range_and_changes_them():
  images = _digits()
  view = Consistency(rotation=30.0, scale=0.2, shift=3.0).view(images, jax.random.key(3))
  assert view.shape == images.shape and view.dtype == images.dtype
  assert float(view.min()) >= -1.0 and float(view.max()) <= 1.0
  assert float(jnp.abs(view - images).mean()) > 0.1


def test_deformation_moves_rotates_and_scales_as_stated():
  image = np.full((1, 9, 9, 1), -1.0, np.float32)
  image[0, 4, 6, 0] = 1.0                     # one bright pixel, 2 right of the centre
  one = lambda angle, scale, shift: np.asarray(deform(
      jnp.asarray(image), jnp.array([angle]), jnp.array([scale]), jnp.array([shift]),
      background=-1.0))[0, :, :, 0]
  moved = one(0.0, 1.0, (1.0, -2.0))          # down 1, left 2: to the centre row 5, col 4
  assert moved[5, 4] == pytest.approx(1.0) and moved[4, 6] == pytest.approx(-1.0)
  # A quarter turn counter-clockwise (rows grow downwards): right of centre -> above it.
  turned = one(math.pi / 2, 1.0, (0.0, 0.0))
  assert turned[2, 4] == pytest.approx(1.0, abs=1e-5)
  doubled = one(0.0, 2.0, (0.0, 0.0))         # twice as far from the centre
  assert doubled[4, 8] == pytest.approx(1.0, abs=1e-5)


def test_agreement_scores_identical_confident_posteriors_above_shuffled_ones():
  k, n = 10, 1000
  classes = np.arange(n) % k
  certain = jax.nn.one_hot(classes, k)
  confident = certain * 0.9 + 0.1 / k
  # Identical, certain and balanced: I = ln k, its largest value; less confident, less.
  assert float(posterior_agreement(certain, certain)) == pytest.approx(math.log(k), abs=1e-4)
  assert 1.0 < float(posterior_agreement(confident, confident)) < math.log(k) - 0.1
  # The copies' posteriors of other images: no agreement left.
  shuffled = confident[np.random.default_rng(0).permutation(n)]
  assert float(posterior_agreement(confident, shuffled)) < 0.05
  # Confident but all in one category: nothing to share either.
  collapsed = jnp.tile(confident[:1], (n, 1))
  assert float(posterior_agreement(collapsed, collapsed)) < 1e-3
  uniform = jnp.full((n, k), 1.0 / k)
  assert float(posterior_agreement(uniform, uniform)) == pytest.approx(0.0, abs=1e-6)


def test_agreement_works_for_any_number_of_categories():
  for k in (2, 3, 20):
    p = jax.nn.one_hot(np.arange(60 * k) % k, k)
    assert float(posterior_agreement(p, p)) == pytest.approx(math.log(k), abs=1e-4)


def _tiny(weight, categorical=(10,)):
  cfg = tiny.get_config()
  cfg.consistency.weight = weight
  cfg.latent.categorical = categorical
  return cfg


def _one_step(cfg):
  state = games.create_train_state(cfg, jax.random.key(0))
  batch = {'image': _digits(cfg.batch_size, seed=1)}
  return state, jax.jit(games.train_step)(state, batch, games.step_rng(0, 0))


@pytest.mark.slow
def test_weight_zero_is_infogan_and_the_term_trains_q_and_the_trunk():
  _, (_, off_metrics) = _one_step(_tiny(0.0))
  assert not any(k.startswith('consistency/') for k in off_metrics)
  _, (on, on_metrics) = _one_step(_tiny(1.0, categorical=(10, 3)))
  assert {'consistency/cat0', 'consistency/cat1'} <= set(on_metrics)
  assert 0.0 <= float(on_metrics['consistency/cat1']) <= math.log(3) + 1e-6

  # The gradient of the term alone reaches every categorical head and the shared trunk.
  cfg = _tiny(1.0, categorical=(10, 3))
  state = games.create_train_state(cfg, jax.random.key(0))
  images = _digits(cfg.batch_size, seed=1)
  [consistency] = [t for t in state.game.d_terms if isinstance(t, Consistency)]

  def agreement(d_params):
    def q(x):
      (_, q_out), _ = state.discriminator.apply(
          {'params': d_params, 'batch_stats': state.d_stats}, x, train=True,
          mutable=['batch_stats'])
      return state.spec.split_q(q_out).cat_logits
    values = consistency.agreement(q(images), q(consistency.view(images, jax.random.key(1))))
    return sum(values.values())

  grads = jax.grad(agreement)(state.d_params)
  norms = {jax.tree_util.keystr(k): float(jnp.linalg.norm(v))
           for k, v in jax.tree_util.tree_leaves_with_path(grads)}
  trunk = [n for n in norms if 'Conv' in n and 'kernel' in n]
  assert trunk and all(norms[n] > 0 for n in trunk), norms
  q_head = [n for n in norms if "'q_head'" in n and 'kernel' in n]
  assert q_head and all(norms[n] > 0 for n in q_head), norms
  d_head = [n for n in norms if "'d_head'" in n]
  assert d_head and all(norms[n] == 0 for n in d_head), norms   # D's own score: untouched


@pytest.mark.parametrize('change, message', [
    ({'consistency.weight': -1.0}, 'config.consistency.weight must be'),
    ({'consistency.rotation': 200.0}, 'config.consistency.rotation must be'),
    ({'consistency.scale': 1.0}, 'config.consistency.scale must be'),
    ({'consistency.shift': -1.0}, 'config.consistency.shift must be'),
    ({'consistency.weight': 1.0, 'latent.categorical': ()}, 'needs a code'),
    ({'consistency.weight': 1.0, 'gan_baseline': True}, 'consistency.weight=0'),
])
def test_bad_consistency_settings_are_refused_with_the_field(change, message):
  cfg = tiny.get_config()
  for field, value in change.items():
    group, _, name = field.rpartition('.')
    (cfg[group] if group else cfg)[name] = value
  with pytest.raises(ConfigError, match=message.replace('.', r'\.')):
    config_validation.validate(cfg, num_devices=1, num_processes=1)


def test_ring8_has_no_images_to_deform():
  from configs import ring8
  cfg = ring8.get_config()
  cfg.consistency.weight = 1.0
  with pytest.raises(ConfigError, match='deforms images'):
    config_validation.validate(cfg, num_devices=1, num_processes=1)
