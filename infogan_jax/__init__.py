"""InfoGAN in JAX/Flax (Chen et al. 2016, arXiv 1606.03657).

Importable pieces for your own JAX code:

    from infogan_jax import LatentSpec, TrainState, create_train_state, train_step
    model = infogan_jax.load('runs/mnist')   # a trained workdir: generate() / infer()
"""
from infogan_jax.latents import LatentSpec, Latents, QOutput
from infogan_jax.step import (TrainState, create_train_state, generate, infer, step_rng,
                              train_step)
from infogan_jax.api import InfoGAN, load

__all__ = ['InfoGAN', 'LatentSpec', 'Latents', 'QOutput', 'TrainState', 'create_train_state',
           'generate', 'infer', 'load', 'step_rng', 'train_step']
