"""The adversarial games of the family (objectives.py): their losses on hand-made cases,
WGAN-GP's critic steps, and each one learning the 8-mode ring on CPU."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import cgan, dcgan, infogan_wgan_gp, ring8, tiny, wgan_gp
from infogan_jax import api
from infogan_jax.settings import config_validation
from infogan_jax import errors
from infogan_jax.data import input_pipeline
from infogan_jax.objectives import losses, penalties
from infogan_jax.training import loop
from infogan_jax.objectives import adversarial as objectives
from infogan_jax import games


def test_one_sided_label_smoothing_is_a_soft_target_for_real_images_only():
  real = jnp.array([3.0, -1.0, 0.5])
  fake = jnp.array([-2.0, 0.0, 1.0])
  s = 0.1
  p = jax.nn.sigmoid(real)
  expected = (np.mean(-(1 - s) * np.log(p) - s * np.log(1 - p))
              + np.mean(-np.log(1 - jax.nn.sigmoid(fake))))
  np.testing.assert_allclose(losses.discriminator_loss(real, fake, s), expected, rtol=1e-5)
  np.testing.assert_allclose(losses.discriminator_loss(real, fake, 0.0),
                             losses.discriminator_loss(real, fake), rtol=0)


def test_wgan_losses_and_the_gradient_penalty_of_a_linear_critic():
  o = objectives.Objective('wgan_gp')
  np.testing.assert_allclose(o.d_loss(jnp.array([2.0, 4.0]), jnp.array([1.0, -1.0])), -3.0)
  np.testing.assert_allclose(o.g_loss(jnp.array([1.0, -1.0, 3.0])), -1.0)
  # critic(x) = a . x has gradient a everywhere: the penalty is (|a| - 1)^2 exactly.
  for a, expected in [((3.0, 4.0), 16.0), ((0.6, 0.8), 0.0)]:
    critic = lambda x: x @ jnp.array(a)
    real = jnp.ones((5, 2))
    penalty = penalties.gradient_penalty(critic, real, -real, jax.random.key(0))
    np.testing.assert_allclose(penalty, expected, atol=1e-5)


def _refused(config, match):
  with pytest.raises(errors.ConfigError, match=match):
    config_validation.validate(config, num_devices=1, num_processes=1)


def test_config_mistakes_of_the_game_are_named():
  config = wgan_gp.get_config()
  config.model.d_norm = 'batch'
  _refused(config, "set config.model.d_norm='layer' or 'none'")
  config = wgan_gp.get_config()
  config.objective.label_smoothing = 0.1
  _refused(config, 'label_smoothing is for the non-saturating')
  config = wgan_gp.get_config()
  config.model.minibatch_kernels = 4
  _refused(config, 'set config.model.minibatch_kernels=0')
  config = cgan.get_config()
  config.semi_supervised.share_end = 0.5   # some batches without labels: D could not read them
  _refused(config, 'gives D every real image.s label')
  config = cgan.get_config()
  config.latent.guided_code = -1
  _refused(config, 'set config.latent.guided_code to its index')
  for module in (dcgan, wgan_gp, infogan_wgan_gp, cgan):
    config_validation.validate(module.get_config(), num_devices=1, num_processes=1)


@pytest.mark.slow   # ~12 s of WGAN-GP steps
def test_the_generator_learns_on_every_critic_steps_th_step_only():
  config = tiny.get_config()
  config.objective.adversarial, config.objective.critic_steps = 'wgan_gp', 3
  config.model.d_norm = 'layer'
  state = games.create_train_state(config, jax.random.key(0))
  batch = {'image': np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)}
  step = jax.jit(games.train_step)
  changed = []
  for i in range(6):
    new, metrics = step(state, batch, games.step_rng(0, i))
    changed.append(not np.allclose(new.g_params['Dense_0']['kernel'],
                                   state.g_params['Dense_0']['kernel']))
    assert not np.allclose(new.d_params['Dense_0']['kernel'],
                           state.d_params['Dense_0']['kernel'])   # the critic, every step
    assert np.isfinite(float(metrics['g_loss'])) and float(metrics['gp']) >= 0
    state = new
  assert changed == [False, False, True, False, False, True]


def _ring8(variant):
  config = ring8.get_config()
  if variant in ('dcgan', 'wgan_gp', 'dcgan_minibatch'):   # no codes
    config.latent.categorical = ()
  if variant in ('wgan_gp', 'infogan_wgan_gp'):
    # gan_toy.py of the WGAN-GP paper's code uses lambda 0.1 on its 2-D toys; 1 learns the
    # ring here within 3,000 critic steps, as does the default learning rate of ring8.
    config.objective.adversarial, config.objective.critic_steps = 'wgan_gp', 5
    config.objective.gp_weight = 1.0
    config.beta1, config.beta2 = 0.5, 0.9
    config.num_train_steps = 3000
  if variant == 'dcgan_minibatch':
    config.model.minibatch_kernels, config.model.minibatch_kernel_dim = 4, 3
    config.batch_size = 128   # its cost grows with the batch squared
  if variant == 'acgan':   # configs/acgan.py's settings on the ring: every point's mode
    config.latent.guided_code = 0
    ss = config.semi_supervised
    ss.labels_per_class, ss.share_start, ss.share_end = -1, 1.0, 1.0
    ss.weight, ss.generated_weight = 1.0, 1.0
  if variant == 'cgan':   # configs/cgan.py's settings on the ring: D reads each point's mode
    config.latent.guided_code, config.latent.condition_d = 0, True
    ss = config.semi_supervised
    ss.labels_per_class, ss.share_start, ss.share_end, ss.weight = -1, 1.0, 1.0, 0.0
  return config


def _modes_hit(model, n=2000):
  """Samples per mode among those within 4 standard deviations of one."""
  modes = input_pipeline.ring8_modes()
  points = model.generate(jax.random.key(1), n=n)
  distance = ((points[:, None] - modes[None]) ** 2).sum(-1)
  near = distance.min(1) < (4 * input_pipeline.RING_STD) ** 2
  return np.bincount(distance.argmin(1)[near], minlength=len(modes)), near.mean()


# InfoGAN + WGAN-GP is left out: on this toy at these settings it covers the ring on some
# seeds only (measured: 17%, 77% and 76% of samples near a mode for seeds 0-2 at XLA's
# optimisation level 0, 98% at the default level for seed 0).
@pytest.mark.slow
@pytest.mark.parametrize('variant', ['dcgan', 'wgan_gp', 'acgan', 'cgan', 'dcgan_minibatch'])
def test_every_game_covers_the_eight_modes(tmp_path, variant):
  workdir = str(tmp_path / variant)
  loop.train(_ring8(variant), workdir)
  model = api.load(workdir)
  counts, near = _modes_hit(model)
  print(variant, counts, near)
  assert np.all(counts >= 0.05 * counts.sum()), counts   # every mode, none starved
  assert near > 0.6
  if variant == 'dcgan':   # eval.py on 2-D data: the plane's figures (no codes to colour)
    from infogan_jax.evaluation import report as evaluation
    figures = evaluation.run(_ring8(variant), workdir)['figures']
    assert set(figures) == {'samples', 'decision_surfaces'}
  if variant in ('acgan', 'cgan'):   # the class code k draws mode k
    modes = input_pipeline.ring8_modes()
    for k in range(len(modes)):
      points = model.generate(jax.random.key(2), cat=[k] * 200)
      nearest = ((points[:, None] - modes[None]) ** 2).sum(-1).argmin(1)
      assert np.mean(nearest == k) > 0.9, (k, np.bincount(nearest, minlength=8))
  if variant == 'acgan':   # and D's classifier knows them
    np.testing.assert_array_equal(model.infer(modes)['cat_probs'][0].argmax(1), np.arange(8))
  if variant == 'cgan':   # Q predicts nothing of the label; D's score depends on it
    assert model.infer(modes)['cat_probs'] == [None]
    state = model.state
    logits = [state.discriminator.apply(
        {'params': state.d_params, 'batch_stats': state.d_stats}, modes, train=False,
        condition=jax.nn.one_hot((np.arange(8) + shift) % 8, 8))[0] for shift in (0, 4)]
    assert np.mean(logits[0] > logits[1]) >= 0.75, logits   # own label: more real
  if variant == 'wgan_gp':   # WGAN-GP's critic: gradient norm near 1 between real and fake
    real = next(input_pipeline.ring8_batches(512, seed=5))['image']
    fake = model.generate(jax.random.key(3), n=512)
    eps = np.random.default_rng(0).uniform(size=(512, 1)).astype(np.float32)
    state = model.state

    def critic(x):
      return state.discriminator.apply({'params': state.d_params,
                                        'batch_stats': state.d_stats}, x[None],
                                       train=False)[0][0]
    norms = np.linalg.norm(jax.vmap(jax.grad(critic))(eps * real + (1 - eps) * fake), axis=1)
    print('gradient norms: median', np.median(norms))
    assert 0.8 < np.median(norms) < 1.2


def test_the_r1_penalty_of_known_critics():
  # critic(x) = a . x: the gradient is a for every image, so R1 = |a|^2.
  np.testing.assert_allclose(penalties.r1(lambda x: x @ jnp.array((3.0, 4.0)), jnp.ones((5, 2))),
                             25.0, rtol=1e-6)
  # critic(x) = |x|^2: the gradient is 2x, so R1 is the mean of |2x|^2 over the images.
  real = jnp.array([[1.0, 0.0], [0.0, 2.0]])
  np.testing.assert_allclose(penalties.r1(lambda x: jnp.sum(x ** 2, axis=1), real), (4 + 16) / 2,
                             rtol=1e-6)


@pytest.mark.slow
def test_r1_adds_half_gamma_times_the_penalty_to_d_loss_only():
  config = tiny.get_config()
  config.model.d_norm = 'layer'
  batch = {'image': np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)}
  results = {}
  for gamma in (0.0, 10.0):
    config.objective.r1_weight = gamma
    state = games.create_train_state(config, jax.random.key(0))
    results[gamma] = jax.jit(games.train_step)(state, batch, games.step_rng(0, 0))
  (_, without), (_, with_r1) = results[0.0], results[10.0]
  assert 'r1' not in without and float(with_r1['r1']) > 0
  np.testing.assert_allclose(with_r1['d_total'] - without['d_total'], 5.0 * with_r1['r1'],
                             rtol=1e-4)
  np.testing.assert_allclose(with_r1['d_loss'], without['d_loss'], rtol=1e-6)
  # D's update differs, so G (trained through the updated D) does too.
  assert not np.allclose(results[10.0][0].d_params['Dense_0']['kernel'],
                         results[0.0][0].d_params['Dense_0']['kernel'])
  assert not np.allclose(results[10.0][0].g_params['Dense_0']['kernel'],
                         results[0.0][0].g_params['Dense_0']['kernel'])


@pytest.mark.parametrize('module, weight, match', [
    (tiny, 1.0, "r1_weight > 0 penalises each image's gradient"),   # BatchNorm in D
    (wgan_gp, 1.0, 'r1_weight is for the non-saturating GAN'),
    (tiny, -1.0, 'config.objective.r1_weight must be')])
def test_r1_mistakes_are_named(module, weight, match):
  config = module.get_config()
  config.objective.r1_weight = weight
  _refused(config, match)
