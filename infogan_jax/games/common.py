"""What every game's step shares: training-mode forwards, the all-reduce over devices, the
per-device gradient cast, WGAN's critic schedule and the non-finite guard."""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax

# The bits of a step's metrics['nonfinite'] (0: all finite), computed on the all-reduced
# values, so the same on every device; training.reliability reads them on the host.
NONFINITE_BITS = ('losses or metrics', 'D/Q gradients', "G/E gradients (E: VAE-GAN's encoder)")


def apply_train(module, params, stats, x, **kwargs):
  """Training-mode forward; returns (output, new batch statistics)."""
  out, new = module.apply({'params': params, 'batch_stats': stats}, x, train=True,
                          mutable=['batch_stats'], **kwargs)
  return out, new.get('batch_stats', {})


def apply_with_features(module, params, stats, x):
  """apply_train that also returns D's sown features (networks.models), flattened."""
  out, new = module.apply({'params': params, 'batch_stats': stats}, x, train=True,
                          mutable=['batch_stats', 'intermediates'])
  return out, new.get('batch_stats', {}), sown_features(new)


def sown_features(collections) -> jax.Array:
  """The features D's trunk sows, from an apply's mutable collections: [N, F]."""
  features = collections['intermediates']['features'][0]
  return features.reshape(features.shape[0], -1)


def pmean(tree, axis_name):
  """The mean over devices (`axis_name`), or `tree` itself on one device."""
  return tree if axis_name is None else lax.pmean(tree, axis_name)


def per_device(params, axis_name):
  """`params` cast to device-varying, so that gradients taken w.r.t. them stay per-device.

  Under shard_map with check_vma=True (training.parallel), a replicated (device-invariant)
  input differentiated against this device's loss gets a gradient already *summed* over
  devices (the transpose of the implicit invariant->varying cast is a psum); `pmean`
  on that would give num_devices times the gradient. Differentiating w.r.t. a varying
  copy keeps each device's own gradient, which `pmean` then averages, exactly as under
  `jax.pmap` (check_vma=False), where this cast is a no-op.
  """
  if axis_name is None:
    return params
  if hasattr(lax, 'pcast'):
    return lax.pcast(params, axis_name, to='varying')
  return lax.pvary(params, axis_name)  # JAX before lax.pcast


def apply_gradients(tx: optax.GradientTransformation, grads, opt_state, params, axis_name):
  """One optimizer update with the devices' mean of `grads`: (new params, new optimizer
  state, the mean gradients)."""
  grads = pmean(grads, axis_name)
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state, grads


def descend(objective: Callable, tx: optax.GradientTransformation, params, opt_state,
            axis_name):
  """A player's gradient step: jax.value_and_grad of `objective(params) -> (loss, aux)` on
  this device, then one update with the devices' mean gradient. Returns
  ((loss, aux), new params, new optimizer state, the mean gradients)."""
  value, grads = jax.value_and_grad(objective, has_aux=True)(per_device(params, axis_name))
  return (value,) + apply_gradients(tx, grads, opt_state, params, axis_name)


class PlayerUpdate(NamedTuple):
  """A player's new parameters and optimizer state, and what its update reports."""
  params: Any
  opt_state: Any
  d_stats: Any         # D's batch statistics after the passes of this update
  total: jax.Array     # the player's whole loss
  gan: jax.Array       # its adversarial part
  grads: Any           # the (all-reduced) gradients, for the non-finite guard


def on_critic_schedule(step, critic_steps: int, update: Callable[[], PlayerUpdate],
                       measure: Callable[[], PlayerUpdate]) -> PlayerUpdate:
  """`update()` on every critic_steps-th step (WGAN's n_critic; every step for 1),
  `measure()` (the player unchanged, its loss measured) on the others."""
  if critic_steps == 1:
    return update()
  return lax.cond(step % critic_steps == critic_steps - 1, update, measure)


def unchanged(params, opt_state, d_stats, total, gan) -> PlayerUpdate:
  """The PlayerUpdate of a step that leaves a player as it is (zero gradients)."""
  return PlayerUpdate(params, opt_state, d_stats, total, gan,
                      jax.tree.map(jnp.zeros_like, params))


def any_nonfinite(tree) -> jax.Array:
  leaves = jax.tree.leaves(tree)
  return jnp.logical_not(jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves])))


def nonfinite_mask(metrics, d_grads, g_grads) -> jax.Array:
  """The NONFINITE_BITS of a step: bit 0 any metric, bit 1 D/Q's gradients, bit 2 G's
  (and E's) gradients."""
  return (any_nonfinite(metrics).astype(jnp.int32)
          + 2 * any_nonfinite(d_grads).astype(jnp.int32)
          + 4 * any_nonfinite(g_grads).astype(jnp.int32))


def guard(old_state, new_state, nonfinite, skip: bool):
  """`new_state`, or with `skip` (config.on_nonfinite='skip') the old arrays where the
  step had a NaN/Inf (the step counter still advances)."""
  if not skip:
    return new_state
  keep_old = nonfinite > 0
  return jax.tree.map(lambda old, new: jnp.where(keep_old, old, new),
                      old_state.replace(step=new_state.step), new_state)
