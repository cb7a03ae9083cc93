import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import tiny
from infogan_jax.training import parallel
from infogan_jax import games


def _setup(**overrides):
  cfg = tiny.get_config()
  for k, v in overrides.items():
    setattr(cfg, k, v)
  state = games.create_train_state(cfg, jax.random.key(cfg.seed))
  images = jax.random.uniform(jax.random.key(42), (cfg.batch_size, 28, 28, 1), minval=-1)
  return cfg, state, {'image': images}


@pytest.fixture(scope='module')
def step_fn():
  return jax.jit(games.train_step)


def test_one_step_changes_every_parameter_group_and_stays_finite(step_fn):
  cfg, state, batch = _setup()
  new, metrics = step_fn(state, batch, games.step_rng(0, 0))
  assert int(new.step) == 1
  for name, value in metrics.items():
    assert np.isfinite(float(value)), name
  for group in ('g_params', 'd_params', 'g_stats', 'd_stats'):
    old_leaves = jax.tree_util.tree_leaves_with_path(getattr(state, group))
    new_leaves = jax.tree.leaves(getattr(new, group))
    assert old_leaves
    for (path, a), b in zip(old_leaves, new_leaves):
      assert not np.allclose(a, b), f'{group}{jax.tree_util.keystr(path)} did not change'
  assert set(metrics) >= {'d_loss', 'g_loss', 'd_real', 'd_fake', 'mi/cat0', 'mi/cat1',
                          'mi/cont'}


@pytest.mark.slow
def test_information_term_trains_the_shared_trunk_and_the_generator(step_fn):
  """With the MI weights at 0 vs 1, the same step moves the trunk and G differently."""
  _, with_info, batch = _setup()
  _, without, _ = _setup(lambda_cat=0.0, lambda_cont=0.0)
  a, _ = step_fn(with_info, batch, games.step_rng(0, 0))
  b, _ = jax.jit(games.train_step)(without, batch, games.step_rng(0, 0))
  for layer in ('Conv_0', 'Conv_1', 'Dense_0'):  # the shared trunk
    diff = np.abs(a.d_params[layer]['kernel'] - b.d_params[layer]['kernel']).max()
    assert diff > 0, f'the information term does not reach trunk layer {layer}'
  assert np.abs(a.g_params['Dense_0']['kernel'] - b.g_params['Dense_0']['kernel']).max() > 0


def test_information_gradient_reaches_every_trunk_parameter():
  cfg, state, _ = _setup()
  lat = state.spec.sample(jax.random.key(3), cfg.batch_size)
  fake = games.generate(state, lat)

  def info(d_params):
    (_, q_out), _ = state.discriminator.apply(
        {'params': d_params, 'batch_stats': state.d_stats}, fake, train=True,
        mutable=['batch_stats'])
    from infogan_jax.objectives import losses
    mi = losses.mutual_information(state.spec, state.spec.split_q(q_out), lat)
    return losses.information_loss(mi, 1.0, 1.0)

  grads = jax.jit(jax.grad(info))(state.d_params)
  for layer in ('Conv_0', 'Conv_1', 'Dense_0', 'Dense_1', 'q_head'):
    assert float(jnp.abs(grads[layer]['kernel']).max()) > 0, layer
  assert float(jnp.abs(grads['d_head']['kernel']).max()) == 0  # D's head plays no part


@pytest.mark.slow
def test_same_seed_same_metrics(step_fn):
  runs = []
  for _ in range(2):
    _, state, batch = _setup()
    for step in range(3):
      state, metrics = step_fn(state, batch, games.step_rng(0, step))
    runs.append(jax.device_get(metrics))
  assert runs[0] == runs[1]
  _, state, batch = _setup()
  _, other = step_fn(state, batch, games.step_rng(1, 0))
  _, first = step_fn(state, batch, games.step_rng(0, 0))
  assert float(other['g_loss']) != float(first['g_loss'])


def test_step_rng_is_a_function_of_seed_and_step():
  np.testing.assert_array_equal(jax.random.key_data(games.step_rng(3, 7)),
                                jax.random.key_data(games.step_rng(3, 7)))
  assert not np.array_equal(jax.random.key_data(games.step_rng(3, 7)),
                            jax.random.key_data(games.step_rng(3, 8)))


def test_parallel_step_compiles_once():
  _, state, batch = _setup()
  mesh = parallel.make_mesh()
  fn = parallel.make_train_step(mesh)
  state = parallel.replicate(state, mesh)
  for step in range(3):
    state, _ = fn(state, parallel.global_batch(jax.device_get(batch), mesh),
                  games.step_rng(0, step))
  assert fn._cache_size() == 1


@pytest.mark.slow
def test_gan_baseline_trains_only_q_on_the_information_term(step_fn):
  """config.gan_baseline: G and the trunk move as with lambda=0; Q's layers still learn."""
  _, baseline, batch = _setup(gan_baseline=True)
  _, plain, _ = _setup(lambda_cat=0.0, lambda_cont=0.0)
  a, metrics = jax.jit(games.train_step)(baseline, batch, games.step_rng(0, 0))
  b, _ = jax.jit(games.train_step)(plain, batch, games.step_rng(0, 0))
  for layer in ('Conv_0', 'Conv_1', 'Dense_0', 'd_head'):
    np.testing.assert_allclose(a.d_params[layer]['kernel'], b.d_params[layer]['kernel'],
                               rtol=1e-6, atol=1e-7)
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7),
               a.g_params, b.g_params)
  for layer in ('Dense_1', 'q_head'):  # Q's own layers
    assert np.abs(a.d_params[layer]['kernel'] - b.d_params[layer]['kernel']).max() > 0
  assert np.isfinite(float(metrics['mi/cat0']))


@pytest.mark.slow
def test_mixed_precision_keeps_float32_state():
  """compute_dtype='bfloat16': matmuls/convs in bf16, parameters and Adam state in fp32."""
  cfg = tiny.get_config()
  cfg.model.compute_dtype = 'bfloat16'
  state = games.create_train_state(cfg, jax.random.key(0))
  batch = {'image': jax.random.uniform(jax.random.key(1), (cfg.batch_size, 28, 28, 1),
                                       minval=-1)}
  new, metrics = jax.jit(games.train_step)(state, batch, games.step_rng(0, 0))
  for tree in (new.g_params, new.d_params, new.g_opt_state, new.d_opt_state):
    for leaf in jax.tree.leaves(tree):
      assert leaf.dtype in (jnp.float32, jnp.int32), leaf.dtype
  assert all(np.isfinite(float(v)) for v in metrics.values())
  images = games.generate(new, new.spec.sample(jax.random.key(2), 2))
  assert images.dtype == jnp.float32
