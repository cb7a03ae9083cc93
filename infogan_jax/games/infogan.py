"""Training state and the InfoGAN train step: pure, jittable, per-device.

    state = create_train_state(config, jax.random.key(config.seed))
    step = jax.jit(train_step, donate_argnums=0)
    state, metrics = step(state, batch, step_rng(config.seed, int(state.step)))

`train_step` updates D+Q, then G, in one call. Under `jax.pmap(..., axis_name='batch')`
(or shard_map over a one-axis mesh) pass `axis_name='batch'`: gradients, BatchNorm
statistics and metrics are then averaged over devices with `lax.pmean`, and BatchNorm
normalises with global-batch statistics.

Which networks the information term trains: all of them. The paper adds -lambda*L_I to
both players' objectives and the original code subtracts the MI estimate from the
discriminator loss (whose variables include the shared trunk and Q's head) and from the
generator loss. Several ports stop the gradient at the trunk; we do not.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import flax
import jax
import jax.numpy as jnp
import optax
from jax import lax

from infogan_jax.settings import config_validation
from infogan_jax.data import input_pipeline
from infogan_jax.objectives import losses
from infogan_jax.networks import models
from infogan_jax.data import semi_supervised
from infogan_jax.objectives import vae as vaegan
from infogan_jax.objectives.consistency import Consistency
from infogan_jax.networks.latents import Latents, LatentSpec
from infogan_jax.objectives.adversarial import Objective
from infogan_jax.networks.models import Discriminator, Encoder, Generator, build_encoder, build_models
from infogan_jax.objectives.vae import VAE


@flax.struct.dataclass
class TrainState:
  step: jax.Array
  g_params: Any
  g_stats: Any          # generator BatchNorm running statistics
  d_params: Any         # shared trunk, D head and Q head
  d_stats: Any
  g_opt_state: Any
  d_opt_state: Any
  generator: Generator = flax.struct.field(pytree_node=False)
  discriminator: Discriminator = flax.struct.field(pytree_node=False)
  g_tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)
  d_tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)
  spec: LatentSpec = flax.struct.field(pytree_node=False)
  lambda_cat: float = flax.struct.field(pytree_node=False, default=1.0)
  lambda_cont: float = flax.struct.field(pytree_node=False, default=1.0)
  # ss-InfoGAN (config.semi_supervised.weight): the weight of the guided code's terms on
  # batches that carry labels.
  lambda_ss: float = flax.struct.field(pytree_node=False, default=0.0)
  # config.semi_supervised.generated_weight: the guided head's weight on G's images (as an
  # InfoGAN code) on labelled batches too; 0 in the original code.
  lambda_ss_generated: float = flax.struct.field(pytree_node=False, default=0.0)
  # The adversarial game (config.objective): InfoGAN's non-saturating GAN or WGAN-GP.
  objective: Objective = flax.struct.field(pytree_node=False, default=Objective())
  # config.consistency: Q's categories for real images and their deformed copies should
  # agree (consistency.py); weight 0 (the default) is the paper's InfoGAN.
  consistency: Consistency = flax.struct.field(pytree_node=False, default=Consistency())
  # config.on_nonfinite == 'skip': a step with a NaN/Inf loss or gradient keeps the old
  # parameters, statistics and optimizer states (the step counter still advances).
  skip_nonfinite: bool = flax.struct.field(pytree_node=False, default=False)
  # VAE-GAN (config.vae.encoder; vaegan.py): the encoder E and its arrays; None without.
  e_params: Any = None
  e_stats: Any = None
  e_opt_state: Any = None
  encoder: Optional[Encoder] = flax.struct.field(pytree_node=False, default=None)
  e_tx: Optional[optax.GradientTransformation] = flax.struct.field(pytree_node=False,
                                                                   default=None)
  vae: VAE = flax.struct.field(pytree_node=False, default=VAE())

  def variables(self):
    """The arrays a checkpoint holds (everything but the static configuration)."""
    arrays = {'step': self.step, 'g_params': self.g_params, 'g_stats': self.g_stats,
              'd_params': self.d_params, 'd_stats': self.d_stats,
              'g_opt_state': self.g_opt_state, 'd_opt_state': self.d_opt_state}
    if self.encoder is not None:
      arrays.update(e_params=self.e_params, e_stats=self.e_stats,
                    e_opt_state=self.e_opt_state)
    return arrays


def step_rng(seed: int, step) -> jax.Array:
  """The RNG of one step: a pure function of (seed, step), so a resumed run repeats it."""
  return jax.random.fold_in(jax.random.key(seed), step)


def _split_variables(variables):
  return variables['params'], variables.get('batch_stats', {})


def create_train_state(config, rng) -> TrainState:
  """Initialises networks and optimizers from a config (see configs/default.py).

  Raises errors.ConfigError naming the first field that cannot work.
  """
  config = config_validation.validate(config, num_devices=1, num_processes=1)
  spec = LatentSpec.from_config(config.latent)
  generator, discriminator = build_models(config, spec,
                                          input_pipeline.image_shape(config.dataset))
  encoder = build_encoder(config, spec)
  g_tx = optax.adam(config.g_learning_rate, b1=config.beta1, b2=config.beta2)
  d_tx = optax.adam(config.d_learning_rate, b1=config.beta1, b2=config.beta2)
  e_tx = optax.adam(config.vae.learning_rate, b1=config.beta1, b2=config.beta2)

  def init_arrays(rng):
    g_rng, d_rng, e_rng = jax.random.split(rng, 3)
    z = jnp.zeros((2, spec.input_dim), jnp.float32)
    g_params, g_stats = _split_variables(generator.init(g_rng, z, train=False))
    image = generator.apply({'params': g_params, 'batch_stats': g_stats}, z, train=False)
    d_params, d_stats = _split_variables(discriminator.init(d_rng, image, train=False))
    arrays = g_params, g_stats, d_params, d_stats, g_tx.init(g_params), d_tx.init(d_params)
    if encoder is None:
      return arrays + (None, None, None)
    e_params, e_stats = _split_variables(encoder.init(e_rng, image, train=False))
    return arrays + (e_params, e_stats, e_tx.init(e_params))

  # One compiled program: op by op, initialisation dispatches and compiles every
  # operation on its own, several times slower.
  (g_params, g_stats, d_params, d_stats, g_opt_state, d_opt_state, e_params, e_stats,
   e_opt_state) = jax.jit(init_arrays)(rng)
  return TrainState(step=jnp.zeros((), jnp.int32), g_params=g_params, g_stats=g_stats,
                    d_params=d_params, d_stats=d_stats, g_opt_state=g_opt_state,
                    d_opt_state=d_opt_state, generator=generator,
                    discriminator=discriminator, g_tx=g_tx, d_tx=d_tx, spec=spec,
                    # The baseline's G gets no information term at all.
                    lambda_cat=0.0 if config.gan_baseline else float(config.lambda_cat),
                    lambda_cont=0.0 if config.gan_baseline else float(config.lambda_cont),
                    objective=Objective.from_config(config),
                    consistency=Consistency.from_config(
                        config, models.output_range(config.model.output_activation)[0]),
                    lambda_ss_generated=float(config.semi_supervised.generated_weight),
                    lambda_ss=(float(config.semi_supervised.weight)
                               if semi_supervised.enabled(config) else 0.0),
                    skip_nonfinite=config.on_nonfinite == 'skip',
                    e_params=e_params, e_stats=e_stats, e_opt_state=e_opt_state,
                    encoder=encoder, e_tx=None if encoder is None else e_tx,
                    vae=VAE.from_config(config))


def _apply_train(module, params, stats, x, **kwargs):
  """Training-mode forward; returns (output, new batch statistics)."""
  out, new = module.apply({'params': params, 'batch_stats': stats}, x, train=True,
                          mutable=['batch_stats'], **kwargs)
  return out, new.get('batch_stats', {})


def _apply_with_features(module, params, stats, x):
  """_apply_train that also returns D's sown features (models._trunk), flattened."""
  out, new = module.apply({'params': params, 'batch_stats': stats}, x, train=True,
                          mutable=['batch_stats', 'intermediates'])
  return out, new.get('batch_stats', {}), _sown_features(new)


def _sown_features(collections) -> jax.Array:
  """The features models._trunk sows, from an apply's mutable collections: [N, F]."""
  features = collections['intermediates']['features'][0]
  return features.reshape(features.shape[0], -1)


def _pmean(tree, axis_name):
  return tree if axis_name is None else lax.pmean(tree, axis_name)


def _per_device(params, axis_name):
  """`params` cast to device-varying, so that gradients taken w.r.t. them stay per-device.

  Under shard_map with check_vma=True (parallel.py), a replicated (device-invariant)
  input differentiated against this device's loss gets a gradient already *summed* over
  devices (the transpose of the implicit invariant->varying cast is a psum); `_pmean`
  on that would give num_devices times the gradient. Differentiating w.r.t. a varying
  copy keeps each device's own gradient, which `_pmean` then averages, exactly as under
  `jax.pmap` (check_vma=False), where this cast is a no-op.
  """
  if axis_name is None:
    return params
  if hasattr(lax, 'pcast'):
    return lax.pcast(params, axis_name, to='varying')
  return lax.pvary(params, axis_name)  # JAX before lax.pcast


def train_step(state: TrainState, batch: Dict[str, jax.Array], rng: jax.Array,
               latents: Optional[Latents] = None,
               axis_name: Optional[str] = None):
  """One InfoGAN update: D and Q on (real, fake), then G. Returns (state, metrics).

  batch['image'] holds this device's real images in the generator's output range.
  `latents` may be given (e.g. to compare device layouts); by default they are drawn
  from `rng`. Metrics: GAN losses, L_I per code group in nats (mi/cat0, ..., mi/cont),
  and D's mean probability on real and on fake images.

  ss-InfoGAN (semi_supervised.py): a batch that also holds 'label' [B] (int) and
  'labelled' [B] (1.0 where the label is known, else 0.0) trains the guided code
  (spec.guided) on them; metrics then add ss/labelled (the share of labelled images) and
  ss/ce (the supervised cross-entropy, times that share). With config.consistency.weight
  > 0, metrics add consistency/cat0, ...: I(y; y') in nats between Q's categories for the
  real images and their deformed copies (consistency.py). CGAN (spec.conditional): the
  labels are D's condition instead. VAE-GAN (state.vae): E is updated too, and metrics add
  vae/kl and vae/reconstruction (vaegan.py).
  """
  spec, objective, consistency = state.spec, state.objective, state.consistency
  generator, discriminator = state.generator, state.discriminator
  if axis_name is not None:
    generator = generator.clone(axis_name=axis_name)
    discriminator = discriminator.clone(axis_name=axis_name)
  real = batch['image']
  if latents is None:
    latents = spec.sample(rng, real.shape[0])
  z = spec.generator_input(latents)
  vae = state.vae
  if vae.enabled:
    # VAE-GAN (vaegan.py): G also decodes E's posterior draws for the real images; these
    # reconstructions follow G's samples in one batch of fakes.
    encoder = state.encoder if axis_name is None else state.encoder.clone(axis_name=axis_name)

    def encoder_forward(e_params):
      out, stats = _apply_train(encoder, e_params, state.e_stats, real)
      mean, log_var = vaegan.split_posterior(out)
      return (vaegan.sample_posterior(mean, log_var, rng, axis_name),
              vaegan.kl_to_prior(mean, log_var)), stats

    (z_encoded, kl), e_pullback, e_stats = jax.vjp(
        encoder_forward, _per_device(state.e_params, axis_name), has_aux=True)
    z = jnp.concatenate([z, z_encoded])

  # One generator forward serves both updates: D sees it detached, G pulls back through it.
  def generator_forward(g_params, z):
    return _apply_train(generator, g_params, state.g_stats, z)

  fake, g_pullback, g_stats = jax.vjp(generator_forward,
                                      _per_device(state.g_params, axis_name), z, has_aux=True)

  def info_terms(q_out, weights=(state.lambda_cat, state.lambda_cont), code_weights=None):
    mi = losses.mutual_information(spec, spec.split_q(q_out), latents)
    return mi, losses.information_loss(mi, *weights, code_weights=code_weights)

  # Baseline (config.gan_baseline): Q still fits its posterior, on detached features.
  q_weights = (1.0, 1.0) if discriminator.detach_q else (state.lambda_cat, state.lambda_cont)

  # ss-InfoGAN, as in the original code (spurra/ss-infogan): when labels exist, the guided
  # code's head learns from labelled real images only, not from G's images (weight 0
  # below), and G learns to make images that head classifies as their code (weight
  # lambda_ss in place of lambda_cat). The paper's D/Q and G losses are the same terms.
  semi_supervised = 'label' in batch and not spec.conditional
  if semi_supervised and not (spec.guided >= 0 and state.lambda_ss):
    raise ValueError("a batch with 'label' needs a guided code (config.latent.guided_code) "
                     'and config.semi_supervised.labels_per_class > 0')
  # CGAN (spec.conditional): D reads the guided code with each image, a real image's label
  # and a generated image's code (models.Discriminator); None: D reads images alone.
  real_condition = fake_condition = None
  if spec.conditional:
    real_condition = jax.nn.one_hot(batch['label'], spec.condition_dim)
    fake_condition = jax.nn.one_hot(latents.cat[:, spec.guided], spec.condition_dim)
  guided = f'cat{spec.guided}'
  # config.semi_supervised.generated_weight > 0 (our option, not the original's): the guided
  # head also learns c_ss from G(z, c_ss), as Q learns InfoGAN's codes and ACGAN's D its
  # classes; G's images then serve as labelled examples beyond the few real ones.
  d_code_weights = {guided: state.lambda_ss_generated} if semi_supervised else None
  g_code_weights = {guided: state.lambda_ss} if semi_supervised else None

  # --- discriminator + Q (shared trunk) -----------------------------------------
  def d_objective(d_params):
    (real_logits, real_q), stats = _apply_train(discriminator, d_params, state.d_stats, real,
                                                condition=real_condition)
    (fake_logits, q_out), stats = _apply_train(discriminator, d_params, stats,
                                               lax.stop_gradient(fake),
                                               condition=fake_condition)
    gan = objective.d_loss(real_logits, fake_logits)
    mi, info = info_terms(q_out, q_weights, d_code_weights)
    aux = {'stats': stats, 'gan': gan, 'mi': mi,
           'd_real': objective.scores(real_logits), 'd_fake': objective.scores(fake_logits)}
    total = gan + info
    # D's score of each image, for the penalties on its input gradient (objectives.py);
    # a condition only with CGAN, whose labels are the real images' (no WGAN-GP there).
    critic = lambda x: _apply_train(discriminator, d_params, stats, x,
                                    condition=real_condition)[0][0]
    if objective.wasserstein:   # WGAN-GP's gradient penalty
      aux['gp'] = objective.penalty(critic, real, lax.stop_gradient(fake), rng, axis_name)
      total = total + objective.gp_weight * aux['gp']
    if objective.r1_weight:     # R1 on real images
      aux['r1'] = objective.r1(critic, real)
      total = total + 0.5 * objective.r1_weight * aux['r1']
    if semi_supervised:
      aux['ss_ce'] = losses.supervised_cross_entropy(
          spec.split_q(real_q).cat_logits[spec.guided], batch['label'], batch['labelled'])
      total = total + state.lambda_ss * aux['ss_ce']
    if consistency.weight:
      # The copies' BatchNorm statistics are not kept: the running averages describe
      # real and generated images, as without the term.
      (_, view_q), _ = _apply_train(discriminator, d_params, stats,
                                    consistency.view(real, rng, axis_name))
      aux['agreement'] = consistency.agreement(spec.split_q(real_q).cat_logits,
                                               spec.split_q(view_q).cat_logits, axis_name)
      total = total - consistency.weight * sum(aux['agreement'].values())
    return total, aux

  (d_total, d_aux), d_grads = jax.value_and_grad(d_objective, has_aux=True)(
      _per_device(state.d_params, axis_name))
  d_grads = _pmean(d_grads, axis_name)
  d_updates, d_opt_state = state.d_tx.update(d_grads, state.d_opt_state, state.d_params)
  d_params = optax.apply_updates(state.d_params, d_updates)

  # --- generator, through the updated D and Q -------------------------------------
  def g_objective(fake_images):
    (fake_logits, q_out), stats = _apply_train(discriminator, d_params, d_aux['stats'],
                                               fake_images, condition=fake_condition)
    gan = objective.g_loss(fake_logits)
    _, info = info_terms(q_out, code_weights=g_code_weights)
    return gan + info, (stats, gan)

  def g_update():
    (g_total, (d_stats, g_gan)), fake_grad = jax.value_and_grad(
        g_objective, has_aux=True)(fake)
    g_grads, _ = g_pullback(fake_grad)
    g_grads = _pmean(g_grads, axis_name)
    g_updates, g_opt_state = state.g_tx.update(g_grads, state.g_opt_state, state.g_params)
    return (optax.apply_updates(state.g_params, g_updates), g_opt_state, d_stats, g_total,
            g_gan, g_grads)

  def vae_g_objective(fake_images):
    """VAE-GAN's (G's loss, L_llike): gamma * L_llike + G's GAN loss, and E's term."""
    stats = d_aux['stats']
    if vae.in_features:   # the target D_l(x), through the updated D
      _, stats, real_features = _apply_with_features(discriminator, d_params, stats, real)
    (fake_logits, _), stats, fake_features = _apply_with_features(discriminator, d_params,
                                                                  stats, fake_images)
    n = real.shape[0]   # the reconstructions are the last n fakes
    llike = (vaegan.reconstruction_error(real_features, fake_features[n:]) if vae.in_features
             else vaegan.reconstruction_error(real, fake_images[n:]))
    gan = objective.g_loss(fake_logits)
    return (gan + vae.gamma * llike, llike), (stats, gan)

  def vae_update():
    """G on its loss; E on KL + L_llike, pulled back through G's reconstructions only."""
    (g_total, llike), objective_vjp, (d_stats, g_gan) = jax.vjp(vae_g_objective, fake,
                                                                has_aux=True)
    one, zero = jnp.ones_like(llike), jnp.zeros_like(llike)
    g_grads, _ = g_pullback(objective_vjp((one, zero))[0])
    _, z_grad = g_pullback(objective_vjp((zero, one))[0])
    (e_grads,) = e_pullback((z_grad[real.shape[0]:], one))
    g_grads, e_grads = _pmean((g_grads, e_grads), axis_name)
    g_updates, g_opt_state = state.g_tx.update(g_grads, state.g_opt_state, state.g_params)
    e_updates, e_opt_state = state.e_tx.update(e_grads, state.e_opt_state, state.e_params)
    e_arrays = {'e_params': optax.apply_updates(state.e_params, e_updates),
                'e_stats': _pmean(e_stats, axis_name), 'e_opt_state': e_opt_state}
    return ((optax.apply_updates(state.g_params, g_updates), g_opt_state, d_stats, g_total,
             g_gan, (g_grads, e_grads)), e_arrays, llike)

  if vae.enabled:   # (critic_steps is 1: validated)
    (g_params, g_opt_state, d_stats, g_total, g_gan, g_grads), e_arrays, llike = vae_update()
  elif objective.critic_steps == 1:
    g_params, g_opt_state, d_stats, g_total, g_gan, g_grads = g_update()
  else:
    # G learns on every critic_steps-th step only; on the others its loss is measured.
    def g_unchanged():
      g_total, (_, g_gan) = g_objective(fake)
      return (state.g_params, state.g_opt_state, d_aux['stats'], g_total, g_gan,
              jax.tree.map(jnp.zeros_like, state.g_params))
    g_params, g_opt_state, d_stats, g_total, g_gan, g_grads = lax.cond(
        state.step % objective.critic_steps == objective.critic_steps - 1,
        g_update, g_unchanged)

  new_state = state.replace(
      step=state.step + 1, g_params=g_params, d_params=d_params,
      g_stats=_pmean(g_stats, axis_name), d_stats=_pmean(d_stats, axis_name),
      g_opt_state=g_opt_state, d_opt_state=d_opt_state)
  if vae.enabled:   # the guard's bit 2 below covers G's and E's gradients
    new_state = new_state.replace(**e_arrays)
  metrics = {'d_loss': d_aux['gan'], 'g_loss': g_gan, 'd_total': d_total,
             'g_total': g_total, 'd_real': d_aux['d_real'], 'd_fake': d_aux['d_fake']}
  metrics.update({f'mi/{k}': v for k, v in d_aux['mi'].items()})
  if objective.wasserstein:
    metrics['gp'] = d_aux['gp']
  if objective.r1_weight:
    metrics['r1'] = d_aux['r1']
  if consistency.weight:
    metrics.update({f'consistency/{k}': v for k, v in d_aux['agreement'].items()})
  if semi_supervised:
    metrics.update({'ss/labelled': jnp.mean(batch['labelled']), 'ss/ce': d_aux['ss_ce']})
  if vae.enabled:   # in nats per image: KL(q(z|x) || p(z)) and L_llike
    metrics.update({'vae/kl': kl, 'vae/reconstruction': llike})
  metrics = _pmean(metrics, axis_name)
  # Non-finite guard, on the all-reduced values (the same on every device): bit 0 any
  # loss or metric, bit 1 D/Q's gradients, bit 2 G's (and E's) gradients; 0 = all finite.
  # reliability.NonFiniteGuard reads it on the host.
  nonfinite = (_any_nonfinite(metrics).astype(jnp.int32)
               + 2 * _any_nonfinite(d_grads).astype(jnp.int32)
               + 4 * _any_nonfinite(g_grads).astype(jnp.int32))
  if state.skip_nonfinite:
    keep_old = nonfinite > 0
    new_state = jax.tree.map(lambda old, new: jnp.where(keep_old, old, new),
                             state.replace(step=new_state.step), new_state)
  metrics['nonfinite'] = nonfinite
  return new_state, metrics


def _any_nonfinite(tree) -> jax.Array:
  leaves = jax.tree.leaves(tree)
  return jnp.logical_not(jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves])))


@jax.jit  # op by op, every call would dispatch (and first compile) each operation alone
def generate(state: TrainState, latents: Latents) -> jax.Array:
  """Images for given latents, with BatchNorm in inference mode (running averages)."""
  z = state.spec.generator_input(latents)
  return state.generator.apply({'params': state.g_params, 'batch_stats': state.g_stats}, z,
                               train=False)


@jax.jit
def infer(state: TrainState, images: jax.Array):
  """(D's logits, Q's split output) for images, BatchNorm in inference mode."""
  logits, q_out = state.discriminator.apply(
      {'params': state.d_params, 'batch_stats': state.d_stats}, images, train=False)
  return logits, state.spec.split_q(q_out)


def encode(state: TrainState, images: jax.Array):
  """VAE-GAN's posterior q(z | x) for images: (mean, log_var) [N, noise_dim] each,
  BatchNorm in inference mode. Needs a run with an encoder (config.vae.encoder)."""
  out = state.encoder.apply({'params': state.e_params, 'batch_stats': state.e_stats},
                            images, train=False)
  return vaegan.split_posterior(out)


def discriminator_features(state: TrainState, images: jax.Array) -> jax.Array:
  """D_l(x), where VAE-GAN measures reconstructions (models._trunk), flattened: [N, F]."""
  _, sown = state.discriminator.apply(
      {'params': state.d_params, 'batch_stats': state.d_stats}, images, train=False,
      mutable=['intermediates'])
  return _sown_features(sown)
