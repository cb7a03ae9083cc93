"""ss-InfoGAN: the labelled subset, the schedule, the supervised terms, and a toy run in
which one label per mode decides which category goes to which mode."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import mnist_ss, ring8, tiny
from infogan_jax import api
from infogan_jax.settings import config_validation
from infogan_jax import errors
from infogan_jax.data import input_pipeline
from infogan_jax.networks import latents
from infogan_jax.training import loop
from infogan_jax.objectives import losses
from infogan_jax.data import semi_supervised
from infogan_jax import games
from infogan_jax.objectives.supervised import GuidedCode


def _ring8_ss(**overrides):
  config = ring8.get_config()
  config.latent.guided_code = 0
  config.semi_supervised.labels_per_class = 1
  for key, value in overrides.items():
    *groups, name = key.split('.')
    target = config
    for group in groups:
      target = target[group]
    target[name] = value
  return config


def test_labelled_subset_is_class_balanced_and_fixed_by_the_seed():
  labels = np.random.default_rng(0).integers(0, 10, 5000)
  a = semi_supervised.labelled_subset(labels, 7, 10, seed=3)
  assert len(a) == 70 and len(set(a)) == 70
  assert np.all(np.bincount(labels[a], minlength=10) == 7)
  np.testing.assert_array_equal(a, semi_supervised.labelled_subset(labels, 7, 10, seed=3))
  assert not np.array_equal(a, semi_supervised.labelled_subset(labels, 7, 10, seed=4))
  with pytest.raises(errors.ConfigError, match='class 3 has only 2 training examples'):
    semi_supervised.labelled_subset(np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3]), 3, 4,
                                    seed=0)


def test_labelled_share_falls_linearly_then_stays():
  ss = semi_supervised.SemiSupervisedSettings(labels_per_class=1, share_start=1.0,
                                              share_end=0.01, share_steps=1000, batch_size=4)
  assert semi_supervised.share(0, ss) == 1.0
  assert semi_supervised.share(500, ss) == pytest.approx(0.505)
  assert semi_supervised.share(1000, ss) == semi_supervised.share(10**6, ss) == 0.01
  flags = [semi_supervised.draw(0, s, 0.25, 10, 4)[0] for s in range(4000)]
  assert 0.22 < np.mean(flags) < 0.28
  assert semi_supervised.draw(5, 17, 0.5, 10, 4)[1].tolist() == \
      semi_supervised.draw(5, 17, 0.5, 10, 4)[1].tolist()   # a function of (seed, step)


def test_the_guided_code_gets_a_head_of_its_own_first_in_qs_output():
  spec = latents.LatentSpec(noise_dim=2, categorical=(3, 4), continuous=1, guided=1)
  assert spec.q_guided_dim == 4 and spec.q_output_dim == 8
  q = spec.split_q(jnp.arange(2 * 8, dtype=jnp.float32).reshape(2, 8))
  np.testing.assert_array_equal(q.cat_logits[1][0], [0, 1, 2, 3])   # the guided head's
  np.testing.assert_array_equal(q.cat_logits[0][0], [4, 5, 6])
  np.testing.assert_array_equal(q.cont_mean[0], [7])
  with pytest.raises(ValueError, match='guided_code must be -1'):
    latents.LatentSpec(noise_dim=2, categorical=(3,), guided=1)


def _state_and_batch(labelled: float, guided_labels=10, generated_weight=0.0):
  config = tiny.get_config()
  config.semi_supervised.generated_weight = generated_weight
  config.latent.categorical = (10, 2)
  config.latent.guided_code = 0
  config.semi_supervised.labels_per_class = guided_labels
  state = games.create_train_state(config, jax.random.key(0))
  rng = np.random.default_rng(0)
  batch = {'image': rng.uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32),
           'label': rng.integers(0, 10, 8).astype(np.int32),
           'labelled': np.full((8,), labelled, np.float32)}
  return state, batch


@pytest.mark.slow
def test_the_supervised_term_trains_the_guided_head_and_the_trunk():
  state, batch = _state_and_batch(1.0)

  def supervised(d_params):
    (_, q_out), _ = state.discriminator.apply(
        {'params': d_params, 'batch_stats': state.d_stats}, batch['image'], train=True,
        mutable=['batch_stats'])
    logits = state.spec.split_q(q_out).cat_logits[0]
    return losses.supervised_cross_entropy(logits, batch['label'], batch['labelled'])

  grads = jax.grad(supervised)(state.d_params)
  norm = lambda tree: float(sum(jnp.sum(jnp.abs(x)) for x in jax.tree.leaves(tree)))
  assert norm(grads['q_guided_head']) > 0
  assert norm(grads['Conv_0']) > 0 and norm(grads['Dense_0']) > 0   # the shared trunk
  assert norm(grads['d_head']) == 0 and norm(grads['q_head']) == 0

  # In the step: a labelled batch moves the guided head; an unlabelled one leaves it (it
  # learns from labelled real images only, as in the original code), while Q's own head
  # still learns the other code from G's images.
  step = jax.jit(games.train_step)
  for labelled, moves in ((1.0, True), (0.0, False)):
    state, batch = _state_and_batch(labelled)
    new, metrics = step(state, batch, games.step_rng(0, 0))
    changed = not np.allclose(new.d_params['q_guided_head']['kernel'],
                              state.d_params['q_guided_head']['kernel'])
    assert changed == moves, labelled
    assert not np.allclose(new.d_params['q_head']['kernel'],
                           state.d_params['q_head']['kernel'])
    assert float(metrics['ss/labelled']) == labelled
    assert (float(metrics['ss/ce']) > 0) == moves


@pytest.mark.slow
def test_generated_weight_also_trains_the_guided_head_on_gs_images():
  # An unlabelled batch: with generated_weight the guided head learns c_ss from G's images
  # (it moves), without it the head stays (test above); the supervised term is 0 either way.
  step = jax.jit(games.train_step)
  moved = {}
  for weight in (0.0, 1.0):
    state, batch = _state_and_batch(0.0, generated_weight=weight)
    new, metrics = step(state, batch, games.step_rng(0, 0))
    moved[weight] = float(jnp.abs(new.d_params['q_guided_head']['kernel']
                                  - state.d_params['q_guided_head']['kernel']).max())
    assert float(metrics['ss/ce']) == 0.0
  assert moved[0.0] == 0.0 and moved[1.0] > 0.0


@pytest.mark.slow
def test_without_labels_the_guided_code_is_an_infogan_code():
  # labels_per_class = 0: batches carry no labels and the guided head learns L_I from G's
  # images in both players, with lambda_cat, as InfoGAN's Q does.
  state, batch = _state_and_batch(0.0, guided_labels=0)
  assert state.game.information.guided_weight == 0.0
  assert not any(isinstance(t, GuidedCode) for t in state.game.d_terms)
  new, metrics = jax.jit(games.train_step)(state, {'image': batch['image']},
                                              games.step_rng(0, 0))
  assert not np.allclose(new.d_params['q_guided_head']['kernel'],
                         state.d_params['q_guided_head']['kernel'])
  assert 'ss/ce' not in metrics and 'mi/cat0' in metrics
  with pytest.raises(ValueError, match="a batch with 'label' needs a guided code"):
    games.train_step(state, batch, games.step_rng(0, 0))


def test_ss_config_mistakes_are_named():
  config = mnist_ss.get_config()
  config.latent.guided_code = -1
  with pytest.raises(errors.ConfigError, match='set config.latent.guided_code'):
    config_validation.validate(config, num_devices=1, num_processes=1)
  config = mnist_ss.get_config()
  config.latent.categorical = (10, 4)
  config.latent.guided_code = 1
  with pytest.raises(errors.ConfigError, match='names a code of 4 categories'):
    config_validation.validate(config, num_devices=1, num_processes=1)
  config = mnist_ss.get_config()
  config.semi_supervised.share_end = 1.5
  with pytest.raises(errors.ConfigError, match=r'semi_supervised.share_end must be a number'):
    config_validation.validate(config, num_devices=1, num_processes=1)
  config = mnist_ss.get_config()
  config.semi_supervised.labels_per_class = -2
  with pytest.raises(errors.ConfigError, match=r'or -1 for every training label'):
    config_validation.validate(config, num_devices=1, num_processes=1)


def test_every_label_keeps_the_whole_split_labelled():
  from configs import acgan
  config_validation.validate(acgan.get_config(), num_devices=1, num_processes=1)
  labels = np.random.default_rng(0).integers(0, 10, 500)
  everything = semi_supervised.labelled_subset(labels, semi_supervised.ALL_LABELS, 10, seed=3)
  np.testing.assert_array_equal(everything, np.arange(500))


def test_host_and_device_routes_build_the_same_labelled_batches(mock_mnist_archives,
                                                                monkeypatch):
  from infogan_jax.data import mnist_files
  folder, sums = mock_mnist_archives
  monkeypatch.setattr(mnist_files, 'SHA256', sums)
  config = mnist_ss.get_config()
  config.manual_dir, config.data_reader = folder, 'archives'
  config.semi_supervised.labels_per_class = 1
  config.batch_size = 8
  data = semi_supervised.LabelledData(input_pipeline.DataSettings.from_config(config),
                                      semi_supervised.SemiSupervisedSettings.from_config(config),
                                      [0])
  usual = np.zeros((8, 28, 28, 1), np.float32)
  draws = data.draws(5, 30, stacked=False)
  arrays = data.device_arrays(stacked=False)
  assert 20 < draws['labelled'].sum() < 30   # share(5..34) is 0.97..0.995
  for i, step in enumerate(range(5, 35)):
    host = data.host_batch({'image': usual[4:]}, step, rows=slice(4, 8))   # rows 4..7
    device = semi_supervised.device_batch(jnp.asarray(usual[4:]), arrays, draws, i, 4, 4,
                                          config.model.output_activation)
    for key in ('image', 'label', 'labelled'):
      np.testing.assert_allclose(host[key], device[key], err_msg=f'{key}, step {step}')


@pytest.mark.slow
def test_one_label_per_mode_puts_category_k_on_mode_k(tmp_path):
  workdir = str(tmp_path / 'run')
  loop.train(_ring8_ss(), workdir)
  model = api.load(workdir)
  modes = input_pipeline.ring8_modes()
  for k in range(len(modes)):
    points = model.generate(jax.random.key(1), cat=[k] * 200)
    nearest = ((points[:, None] - modes[None]) ** 2).sum(-1).argmin(1)
    assert np.mean(nearest == k) > 0.9, (k, np.bincount(nearest, minlength=8))
  np.testing.assert_array_equal(model.infer(modes)['cat_probs'][0].argmax(1), np.arange(8))


@pytest.mark.slow
def test_an_ss_run_on_the_device_route_logs_its_labelled_steps(mock_mnist_archives, tmp_path,
                                                               monkeypatch):
  from configs import tiny
  from infogan_jax.data import mnist_files
  from infogan_jax.training.metric_logging import read_metrics
  folder, sums = mock_mnist_archives
  monkeypatch.setattr(mnist_files, 'SHA256', sums)
  config = tiny.get_config()
  config.manual_dir, config.data_reader, config.data_placement = folder, 'archives', 'device'
  config.latent.categorical, config.latent.guided_code = (10, 2), 0
  config.semi_supervised.labels_per_class = 1
  config.log_every_steps = 2
  workdir = str(tmp_path / 'run')
  loop.train(config, workdir)
  records = read_metrics(workdir)
  assert [r['step'] for r in records] == [2, 4]
  assert all(r['ss/labelled'] == 1.0 for r in records)   # share(0..3) >= 0.996
  assert records[0]['ss/ce'] > 0
