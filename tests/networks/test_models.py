import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import default, ring8, tiny
from infogan_jax import games
from infogan_jax.networks.layers import Conv2x, ConvTranspose2x


def test_paper_mnist_network_shapes():
  cfg = default.get_config()
  state = games.create_train_state(cfg, jax.random.key(0))
  p = state.g_params
  assert p['Dense_0']['kernel'].shape == (74, 1024)
  assert p['Dense_1']['kernel'].shape == (1024, 7 * 7 * 128)
  assert p['ConvTranspose2x_0']['kernel'].shape == (4, 4, 128, 64)
  assert p['ConvTranspose2x_1']['kernel'].shape == (4, 4, 64, 1)
  d = state.d_params
  assert d['Conv_0']['kernel'].shape == (4, 4, 1, 64)
  assert d['Conv_1']['kernel'].shape == (4, 4, 64, 128)
  assert d['Dense_0']['kernel'].shape == (7 * 7 * 128, 1024)
  assert d['d_head']['kernel'].shape == (1024, 1)
  assert d['Dense_1']['kernel'].shape == (1024, 128)
  assert d['q_head']['kernel'].shape == (128, 10 + 2)
  lat = state.spec.sample(jax.random.key(1), 3)
  images = games.generate(state, lat)
  assert images.shape == (3, 28, 28, 1)
  assert float(images.min()) >= -1 and float(images.max()) <= 1  # tanh output
  logits, q = games.infer(state, images)
  assert logits.shape == (3,) and q.cat_logits[0].shape == (3, 10)
  assert q.cont_mean.shape == (3, 2)


def test_original_code_initialisation():
  # config.model.weight_init='normal_0.02': every kernel N(0, 0.02), BatchNorm scales
  # N(1, 0.02), biases 0 (openai/InfoGAN's custom_ops); 'lecun_normal' is Flax's default.
  cfg = tiny.get_config()  # the conv architecture at small widths
  cfg.model.weight_init = 'normal_0.02'
  state = games.create_train_state(cfg, jax.random.key(0))
  for params in (state.g_params, state.d_params):
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
      name, values = jax.tree_util.keystr(path), np.asarray(leaf)
      if name.endswith("['kernel']") and values.size >= 1000:
        assert abs(values.mean()) < 0.003 and abs(values.std() - 0.02) < 0.002, name
      elif name.endswith("['scale']"):
        assert abs(values.mean() - 1) < 0.01 and 0.01 < values.std() < 0.03, name
      elif name.endswith("['bias']"):
        assert not values.any(), name
  cfg.model.weight_init = 'lecun_normal'
  lecun = games.create_train_state(cfg, jax.random.key(0))
  first_conv = np.asarray(lecun.d_params['Conv_0']['kernel'])
  assert abs(first_conv.std() - 1 / 4) < 0.03  # LeCun normal: 1/sqrt(fan_in = 16)


def test_mlp_networks_for_toy_data():
  state = games.create_train_state(ring8.get_config(), jax.random.key(0))
  lat = state.spec.sample(jax.random.key(1), 5)
  points = games.generate(state, lat)
  assert points.shape == (5, 2)
  logits, q = games.infer(state, points)
  assert logits.shape == (5,) and q.cat_logits[0].shape == (5, 8)


def test_sigmoid_output_range():
  cfg = tiny.get_config()
  cfg.model.output_activation = 'sigmoid'
  state = games.create_train_state(cfg, jax.random.key(0))
  images = games.generate(state, state.spec.sample(jax.random.key(1), 2))
  assert float(images.min()) >= 0


def _assert_same_layer(ours, ref, x, second_order=False):
  """`ours` has `ref`'s parameters and computes its function, with its gradients (and the
  gradients of an input-gradient penalty, `second_order`)."""
  # Each computation jitted: op by op, the custom VJP alone took seconds to dispatch.
  params = jax.jit(ref.init)(jax.random.key(1), x)
  assert (jax.tree.map(jnp.shape, params)
          == jax.tree.map(jnp.shape, jax.jit(ours.init)(jax.random.key(1), x)))
  params = jax.tree.map(lambda a: a + jax.random.normal(jax.random.key(2), a.shape), params)
  np.testing.assert_allclose(jax.jit(ours.apply)(params, x), jax.jit(ref.apply)(params, x),
                             atol=1e-4, rtol=1e-4)
  loss = lambda m: lambda p, x: jnp.sum(jnp.sin(m.apply(p, x)))
  penalty = lambda m: lambda p, x: jnp.sum(jax.grad(loss(m), argnums=1)(p, x) ** 2)
  for objective in (loss, penalty) if second_order else (loss,):
    g_ref = jax.jit(jax.grad(objective(ref), argnums=(0, 1)))(params, x)
    g_ours = jax.jit(jax.grad(objective(ours), argnums=(0, 1)))(params, x)
    # float32 sums in another order: errors scale with the largest entry (hundreds for the
    # penalty's gradients).
    jax.tree.map(lambda a, b: np.testing.assert_allclose(
        a, b, rtol=1e-4, atol=1e-5 * max(100.0, float(np.abs(b).max()))), g_ours, g_ref)


@pytest.mark.parametrize('cin, cout, hw, k', [(5, 4, 7, 4), (3, 1, 4, 4), (2, 3, 5, 3),
                                             (2, 2, 4, 5)])
def test_up_conv_layer_equals_conv_transpose(cin, cout, hw, k):
  """Same parameters, same function, same gradients as flax's ConvTranspose."""
  x = jax.random.normal(jax.random.key(0), (2, hw, hw, cin))
  _assert_same_layer(ConvTranspose2x(cout, k),
                     nn.ConvTranspose(cout, (k, k), strides=(2, 2), padding='SAME'), x)


@pytest.mark.parametrize('cin, cout, h, w, k', [(5, 4, 8, 8, 4), (3, 2, 7, 6, 4), (2, 3, 5, 4, 3),
                                                (2, 2, 6, 9, 5)])
def test_down_conv_layer_equals_conv(cin, cout, h, w, k):
  """Same parameters, same function, same first and second-order gradients (WGAN-GP's
  penalty differentiates D's input gradient) as flax's strided Conv, even and odd sides."""
  x = jax.random.normal(jax.random.key(0), (2, h, w, cin))
  ref = nn.Conv(cout, (k, k), strides=(2, 2), padding=((k // 2 - 1, (k - 1) // 2),) * 2)
  _assert_same_layer(Conv2x(cout, k), ref, x, second_order=True)


def test_minibatch_discrimination_counts_near_neighbours_for_d_alone():
  from infogan_jax.networks.models import Discriminator, minibatch_similarity
  m = jnp.asarray(np.arange(6)[:, None, None] * 100.0 + np.zeros((6, 4, 2)), jnp.float32)
  same = minibatch_similarity(m[:1].repeat(6, 0), m[:1].repeat(6, 0))
  np.testing.assert_allclose(same, 6.0)                   # every image has 6 twins (itself too)
  apart = minibatch_similarity(m, m)                       # far apart: itself alone
  np.testing.assert_allclose(apart, 1.0, atol=1e-6)
  close = minibatch_similarity(m[:2], jnp.concatenate([m, m[:2] + 0.1]))
  assert np.all((close > 1.5) & (close < 2.0))             # itself and one near copy

  d = Discriminator(q_output_dim=3, arch='mlp', widths=(16,), q_width=8,
                    minibatch_kernels=4, minibatch_kernel_dim=2)
  points = jnp.asarray(np.random.default_rng(1).normal(size=(6, 2)), jnp.float32)
  variables = d.init(jax.random.key(0), points, train=False)
  assert variables['params']['minibatch']['kernel'].shape == (16, 8)
  # D's score reads the batch: an image scores differently among copies of itself than
  # among other images; Q's output does not depend on the rest of the batch.
  copies = jnp.tile(points[:1], (6, 1))
  logit_copies, q_copies = d.apply(variables, copies, train=False)
  logit_mixed, q_mixed = d.apply(variables, points, train=False)
  assert not np.allclose(logit_copies[0], logit_mixed[0])
  np.testing.assert_allclose(q_copies[0], q_mixed[0], rtol=1e-6)
