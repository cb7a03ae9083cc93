"""The figures of an image run, drawn next to its metrics; nothing is measured here.

What the codes do (a grid per categorical code, a traversal of each continuous code over
continuous_codes.SWEEP_VALUES, a noise interpolation, and the training's samples side by
side), what drives D (activation maximisation of its trunk's units), how training went
(L_I per code group against H(c), and the GAN losses, from the run's logs), and how D
scores real test images against generated ones. One evaluator a figure family, each
returning {'figures': {name: path}}.
"""
from __future__ import annotations

import os
from typing import Dict

import jax

from infogan_jax.evaluation import inspection
from infogan_jax.evaluation import plotting
from infogan_jax.evaluation.continuous_codes import SWEEP_VALUES
from infogan_jax.networks import models
from infogan_jax.training import workdir as workdir_lib

# Activation maximisation's figure: these units of D's fully connected trunk layer (the
# conv architecture's 'Dense_0'; the mlp's first hidden layer), MAXIMISED_IMAGES each.
MAXIMISED_LAYER, MAXIMISED_UNITS, MAXIMISED_IMAGES = 'Dense_0', tuple(range(8)), 6


def value_range(model):
  """The generator's output range, which the figures map to black..white."""
  return models.output_range(model.config.model.output_activation)


def sample_evolution(workdir: str, out_dir: str) -> Dict[str, str]:
  """{'sample_evolution': path} when training drew samples at two steps or more."""
  samples = workdir_lib.sample_paths(workdir)
  if len(samples) < 2:
    return {}
  return {'sample_evolution': plotting.sample_evolution(
      samples, os.path.join(out_dir, 'sample_evolution.png'))}


class SampleFigures:
  """Category grids for each categorical code, a traversal of each continuous code over
  SWEEP_VALUES, a noise interpolation, and the samples training drew over its steps."""

  def __init__(self, workdir: str, out_dir: str, num_noise: int = 10):
    self.workdir, self.out_dir, self.num_noise = workdir, out_dir, num_noise

  def run(self, model) -> dict:
    spec, out_dir, values = model.spec, self.out_dir, value_range(model)

    def generate(latents):
      return model.generate(latents=latents)

    figures = {}
    rng = jax.random.key(1234)
    for c in range(len(spec.categorical)):
      figures[f'categories_{c}'] = plotting.category_samples(
          generate, spec, rng, os.path.join(out_dir, f'categories_{c}.png'), values,
          code=c, num_noise=self.num_noise,
          title=f'categorical code {c}: rows = category, columns = noise')
    for j in range(spec.continuous):
      figures[f'traversal_cont{j}'] = plotting.code_traversal(
          generate, spec, jax.random.fold_in(rng, j), j, SWEEP_VALUES,
          os.path.join(out_dir, f'traversal_cont{j}.png'), values,
          title=f'continuous code {j} from {SWEEP_VALUES[0]:g} to {SWEEP_VALUES[-1]:g} '
                '(rows = category)')
    figures['interpolation'] = plotting.noise_interpolation(
        generate, spec, jax.random.fold_in(rng, 99), os.path.join(out_dir, 'interpolation.png'),
        values, title='noise interpolated left to right (rows = category)')
    figures.update(sample_evolution(self.workdir, out_dir))
    return {'figures': figures}


class ActivationFigure:
  """What drives D: for each of MAXIMISED_UNITS, the images G makes from generator inputs
  optimised to raise that unit (inspection.maximise), one row per unit."""

  def __init__(self, out_dir: str):
    self.out_dir = out_dir

  def run(self, model) -> dict:
    images, before, after = inspection.maximise(model.state, MAXIMISED_LAYER,
                                                MAXIMISED_UNITS, jax.random.key(4321),
                                                n=MAXIMISED_IMAGES)
    labels = [f'unit {u}: {b:.2f}->{a:.2f}' for u, b, a in
              zip(MAXIMISED_UNITS, before.mean(1), after.mean(1))]
    return {'figures': {'activation_maximisation': plotting.image_grid(
        images.reshape((-1,) + images.shape[2:]), len(MAXIMISED_UNITS), MAXIMISED_IMAGES,
        os.path.join(self.out_dir, 'activation_maximisation.png'),
        title=f"D's {MAXIMISED_LAYER} units:\nG's input optimised\n(activation before->after)",
        value_range=value_range(model), row_labels=labels)}}


class TrainingCurves:
  """L_I per code group against H(c), and the GAN losses, from metrics.jsonl records (and
  a plain-GAN baseline run's)."""

  def __init__(self, records, out_dir: str, baseline=None):
    self.records, self.out_dir, self.baseline = records, out_dir, baseline

  def run(self, model) -> dict:
    spec = model.spec
    entropies = {f'cat{i}': h for i, h in enumerate(spec.cat_entropies())}
    if spec.continuous:
      entropies['cont'] = spec.cont_entropy()
    return {'figures': {'training_curves': plotting.training_curves(
        self.records, entropies, os.path.join(self.out_dir, 'training_curves.png'),
        baseline=self.baseline, ceilings={'cont': spec.cont_ceiling()})}}


class DiscriminatorHistogram:
  """D's probability of 'real' for real test images and for generated samples."""

  def __init__(self, test_posterior, generated, out_dir: str):
    """test_posterior: common.PerModel of model.infer(test images); generated: of
    (latents, images)."""
    self.test_posterior, self.generated, self.out_dir = test_posterior, generated, out_dir

  def run(self, model) -> dict:
    _, fake = self.generated(model)
    return {'figures': {'d_histogram': plotting.probability_histograms(
        self.test_posterior(model)['d_prob'], model.infer(fake)['d_prob'],
        os.path.join(self.out_dir, 'd_probs.png'))}}
