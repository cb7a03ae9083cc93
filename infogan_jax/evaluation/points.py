"""The figures of a run on 2-D points (the ring of eight Gaussians): pictures of the plane,
since there are no digits to classify and no factors to recover.

Generated points coloured by category over the real ones; D's decision surface at every
checkpoint the run kept (less those a live trainer deletes meanwhile), with the real points
and that checkpoint's generated points on it (where D pushes G, and how that changed); and
the training's sample plots side by side.
"""
from __future__ import annotations

import os

import jax

from infogan_jax import api
from infogan_jax.data import input_pipeline
from infogan_jax.errors import EvaluationError
from infogan_jax.evaluation import figures as figures_lib
from infogan_jax.evaluation import inspection
from infogan_jax.evaluation import plotting
from infogan_jax.training import checkpointing
from infogan_jax.training import workdir as workdir_lib

# The decision surfaces' square: the ring has radius input_pipeline.RING_RADIUS = 1.
PLANE = (-1.5, 1.5)


class PointFigures:
  """Samples by category, decision surfaces over training, and the sample evolution."""

  def __init__(self, config, workdir: str, out_dir: str):
    """config: the run's (api.load's), for reloading earlier checkpoints; its seed draws
    the real points."""
    self.config, self.workdir, self.out_dir = config, workdir, out_dir

  def run(self, model) -> dict:
    real = next(input_pipeline.ring8_batches(1000, seed=self.config.seed))['image']

    def generate(m):
      return lambda latents: m.generate(latents=latents)

    figures = {'samples': plotting.scatter_samples(
        generate(model), model.spec, jax.random.key(1234),
        os.path.join(self.out_dir, 'samples.png'), real=real,
        title=f'step {model.step}: colour = categorical code')}
    panels = []
    checkpoints = workdir_lib.checkpoint_dir(self.workdir)
    for step in checkpointing.complete_steps(checkpoints):
      try:
        at_step = model if step == model.step else api.load(self.workdir, self.config, step)
      except EvaluationError:
        if not os.path.isdir(os.path.join(checkpoints, str(step))):
          continue   # a live trainer rotated it away (keep_checkpoints) since it was listed
        raise
      axis, probs = inspection.decision_surface(at_step.state, *PLANE)
      panels.append((step, axis, probs, real, at_step.generate(jax.random.key(5), n=1000)))
    if panels:
      figures['decision_surfaces'] = plotting.decision_surfaces(
          panels, os.path.join(self.out_dir, 'decision_surfaces.png'))
    figures.update(figures_lib.sample_evolution(self.workdir, self.out_dir))
    return {'figures': figures}
