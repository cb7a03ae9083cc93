"""Looking inside a trained GAN: D's decision surface on 2-D data, and activation
maximisation (the generator input whose image drives one of D's units highest).

Both use the networks in inference mode (BatchNorm's running averages), so an image's
scores do not depend on the rest of its batch.
"""
from __future__ import annotations

from typing import Tuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from infogan_jax.networks.latents import Latents
from infogan_jax.games.infogan import TrainState


def _d_apply(state: TrainState, images, capture: bool = False):
  variables = {'params': state.d_params, 'batch_stats': state.d_stats}
  if capture:
    return state.discriminator.apply(variables, images, train=False,
                                     capture_intermediates=True, mutable=['intermediates'])
  return state.discriminator.apply(variables, images, train=False)


def decision_surface(state: TrainState, lo: float, hi: float,
                     resolution: int = 100) -> Tuple[np.ndarray, np.ndarray]:
  """D's probability that a point is real, on a resolution x resolution grid over
  [lo, hi]^2 (2-D data only): (coordinates [resolution], probabilities [res, res],
  rows = y)."""
  if state.discriminator.arch != 'mlp':
    raise ValueError('a decision surface needs 2-D data (config.model.arch=mlp)')
  axis = np.linspace(lo, hi, resolution, dtype=np.float32)
  xs, ys = np.meshgrid(axis, axis)
  points = jnp.asarray(np.stack([xs.ravel(), ys.ravel()], axis=1))
  logits, _ = jax.jit(_d_apply)(state, points)
  return axis, np.asarray(jax.nn.sigmoid(logits)).reshape(resolution, resolution)


def _layer_output(state: TrainState, images, layer: str) -> jax.Array:
  """D's layer `layer` output per image [N, units]; a convolution's maps averaged."""
  _, captured = _d_apply(state, images, capture=True)
  layers = captured['intermediates']
  if layer not in layers or '__call__' not in layers[layer]:
    raise ValueError(f'D has no layer {layer!r}; its layers: '
                     f'{sorted(k for k in layers if k != "__call__")}')
  out = layers[layer]['__call__'][0].astype(jnp.float32)
  return out.reshape(out.shape[0], -1, out.shape[-1]).mean(1) if out.ndim > 2 else out


def unit_activation(state: TrainState, images, layer: str, units) -> jax.Array:
  """The activation of units[i] in D's layer `layer` (its output, before the nonlinearity;
  for a convolution, the mean of that channel's map) for image i."""
  out = _layer_output(state, images, layer)
  return jnp.take_along_axis(out, jnp.asarray(units, jnp.int32)[:, None], axis=1)[:, 0]


def maximise(state: TrainState, layer: str, units, rng, n: int = 6, steps: int = 200,
             learning_rate: float = 0.05):
  """Activation maximisation through the generator, for each of `units` of D's layer
  `layer`: from n draws of the prior, gradient ascent (Adam: the gradient's scale differs by
  orders of magnitude between layers and training stages) on the unit's activation in
  G(z, c) over the noise and the continuous codes (the categorical codes stay as drawn),
  kept inside the prior's box ([-1, 1] for uniform noise and codes, [-3, 3] for normal
  noise). All units in one compiled program. Returns (images [U, n, ...], activation before
  [U, n], after [U, n])."""
  spec = state.spec
  units = [int(u) for u in units]
  probe = _layer_output(state, jnp.zeros((1,) + state.generator.image_shape), layer)
  if any(not 0 <= u < probe.shape[-1] for u in units):
    raise ValueError(f'layer {layer!r} has {probe.shape[-1]} units, got units {units}')
  row_units = np.repeat(units, n)
  latents = spec.sample(rng, len(row_units))
  noise_bound = 1.0 if spec.noise_prior == 'uniform' else 3.0
  tx = optax.adam(learning_rate)

  # The state and the draws are arguments, not constants of the program: XLA would
  # otherwise fold the networks' products with them at compile time (seconds each).
  def images_of(state, cat, noise, cont):
    z = spec.generator_input(Latents(noise, cat, cont))
    return state.generator.apply({'params': state.g_params, 'batch_stats': state.g_stats},
                                 z, train=False)

  def activation(state, cat, params):
    return unit_activation(state, images_of(state, cat, *params), layer, row_units)

  @jax.jit
  def run(state, cat, start):
    def ascend(carry, _):
      params, opt_state = carry
      grads = jax.grad(lambda p: -jnp.sum(activation(state, cat, p)))(params)
      updates, opt_state = tx.update(grads, opt_state)
      noise, cont = optax.apply_updates(params, updates)
      return ((jnp.clip(noise, -noise_bound, noise_bound), jnp.clip(cont, -1.0, 1.0)),
              opt_state), None
    (final, _), _ = jax.lax.scan(ascend, (start, tx.init(start)), None, length=steps)
    return (activation(state, cat, start), images_of(state, cat, *final),
            activation(state, cat, final))

  before, images, after = run(state, latents.cat, (latents.noise, latents.cont))
  shape = (len(units), n)
  return (np.asarray(images).reshape(shape + images.shape[1:]),
          np.asarray(before).reshape(shape), np.asarray(after).reshape(shape))
