import jax
import jax.numpy as jnp
import numpy as np
import pytest

from infogan_jax.networks.latents import LatentSpec


def spec(**kw):
  base = dict(noise_dim=5, noise_prior='uniform', categorical=(3, 4), continuous=2)
  base.update(kw)
  return LatentSpec(**base)


def test_sizes_follow_the_layout():
  s = spec()
  assert s.input_dim == 5 + 3 + 4 + 2
  assert s.q_output_dim == 3 + 4 + 2
  assert spec(learn_cont_std=True).q_output_dim == 3 + 4 + 4
  np.testing.assert_allclose(s.cat_entropies(), [np.log(3), np.log(4)])
  np.testing.assert_allclose(s.cont_entropy(), 2 * np.log(2))


def test_sample_shapes_and_priors():
  s = spec()
  lat = s.sample(jax.random.key(0), 20_000)
  assert lat.noise.shape == (20_000, 5) and lat.cat.shape == (20_000, 2)
  assert lat.cont.shape == (20_000, 2) and lat.cat.dtype == jnp.int32
  for x in (lat.noise, lat.cont):
    assert float(x.min()) >= -1 and float(x.max()) <= 1
    np.testing.assert_allclose(np.var(x, axis=0), 1 / 3, atol=0.02)  # U(-1,1)
  for i, k in enumerate((3, 4)):
    freq = np.bincount(np.asarray(lat.cat[:, i]), minlength=k) / 20_000
    np.testing.assert_allclose(freq, 1 / k, atol=0.02)
  normal = spec(noise_prior='normal').sample(jax.random.key(1), 20_000).noise
  np.testing.assert_allclose(np.std(normal), 1.0, atol=0.03)
  assert float(jnp.abs(normal).max()) > 2.5


def test_generator_input_layout_and_split_roundtrip():
  s = spec()
  lat = s.sample(jax.random.key(0), 7)
  z = s.generator_input(lat)
  np.testing.assert_array_equal(z[:, :5], lat.noise)
  np.testing.assert_array_equal(jnp.argmax(z[:, 5:8], 1), lat.cat[:, 0])
  np.testing.assert_array_equal(jnp.argmax(z[:, 8:12], 1), lat.cat[:, 1])
  np.testing.assert_array_equal(z[:, 12:], lat.cont)
  q = s.split_q(jnp.arange(7 * 9, dtype=jnp.float32).reshape(7, 9))
  assert [l.shape for l in q.cat_logits] == [(7, 3), (7, 4)]
  assert q.cont_mean.shape == (7, 2) and q.cont_log_std is None
  np.testing.assert_array_equal(q.cont_mean[0], [7, 8])
  with pytest.raises(ValueError, match='Q output has width'):
    s.split_q(jnp.zeros((7, 10)))


def test_grids():
  s = spec()
  g = s.category_grid(jax.random.key(0), num_noise=4, code=1)
  assert g.noise.shape == (16, 5)
  np.testing.assert_array_equal(g.cat[:, 1], np.repeat(np.arange(4), 4))
  np.testing.assert_array_equal(g.noise[:4], g.noise[4:8])  # same noise in every row
  t = s.traversal_grid(jax.random.key(0), cont_index=1, values=[-2, 0, 2])
  assert t.cont.shape == (9, 2)
  np.testing.assert_array_equal(t.cont[:3, 1], [-2, 0, 2])


@pytest.mark.parametrize('kw, match', [
    (dict(noise_prior='gauss'), 'noise_prior'),
    (dict(categorical=(1,)), 'categorical'),
    (dict(noise_dim=0, categorical=(), continuous=0), 'the generator needs an input'),
])
def test_bad_layouts_name_the_field(kw, match):
  with pytest.raises(ValueError, match=match):
    spec(**kw)


def test_cont_ceiling_is_what_a_perfect_fixed_std_q_scores():
  from infogan_jax.objectives import losses
  from infogan_jax.networks.latents import QOutput
  s = LatentSpec(noise_dim=1, categorical=(), continuous=2)
  lat = s.sample(jax.random.key(0), 100)
  perfect = QOutput((), lat.cont, None)
  np.testing.assert_allclose(losses.mutual_information(s, perfect, lat)['cont'],
                             s.cont_ceiling(), rtol=1e-5)  # float32 sum
  assert spec(learn_cont_std=True).cont_ceiling() is None
