"""InfoGAN in JAX/Flax (Chen et al. 2016, arXiv 1606.03657).

Importable pieces for your own JAX code:

    from infogan_jax import create_train_state, step_rng, train_step   # InfoGAN's step
    model = infogan_jax.load('runs/mnist')   # a trained workdir: generate() / infer()

The names below are imported on first use, so that `from infogan_jax import errors`
(train.py and eval.py, while parsing flags) does not start JAX.
"""
import importlib

_EXPORTS = {
    'LatentSpec': 'networks.latents', 'Latents': 'networks.latents', 'QOutput': 'networks.latents',
    # InfoGAN's state and step (games/infogan.py); create_train_state, generate and
    # infer serve every game's config or state (games/__init__.py).
    'TrainState': 'games.infogan', 'train_step': 'games.infogan', 'step_rng': 'games',
    'create_train_state': 'games', 'generate': 'games', 'infer': 'games',
    'InfoGAN': 'api', 'load': 'api',
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
  if name in _EXPORTS:
    value = getattr(importlib.import_module(f'{__name__}.{_EXPORTS[name]}'), name)
    globals()[name] = value
    return value
  raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
  return sorted(list(globals()) + __all__)
