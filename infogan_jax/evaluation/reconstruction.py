"""How well real digits come back through a VAE-GAN's (or VAE's) encoder and generator.

Real test images go through E's posterior mean and G. Measured: the pixel error (mean
squared, on [0, 1]); the error in D's features, where VAE-GAN measures reconstructions
(vae.reconstruction_error, nats per image; in the run's own D, so not comparable across
runs); whether the MNIST classifier still reads the input's label; and the reconstructions'
Frechet distance to the test images. Drawn: real digits above their reconstructions, and G
along the line between the encodings of two real digits. Only for runs with an encoder.
"""
from __future__ import annotations

import functools
import os

import numpy as np

from infogan_jax.evaluation import metrics as metrics_lib
from infogan_jax.evaluation import plotting
from infogan_jax.networks import models
from infogan_jax.objectives import vae

FEATURE_BATCH = 500   # images per batch of D's features


class ReconstructionEvaluator:
  """Reconstruction errors and label accuracy of the first `num_images` test images, and
  the reconstruction and encoding-interpolation figures."""

  def __init__(self, classify, test_images, test_labels, num_images: int, out_dir: str):
    """classify(images) -> (class probabilities, features), as SampleQualityEvaluator's."""
    self.classify, self.out_dir = classify, out_dir
    self.images, self.labels, self.num_images = test_images, test_labels, num_images

  def run(self, model) -> dict:
    out = self.measure(model, self.images[:self.num_images], self.labels[:self.num_images])
    out['figures'] = {**self.reconstructions(model), **self.interpolation(model)}
    return out

  def measure(self, model, images, labels) -> dict:
    act = model.config.model.output_activation
    recon = model.reconstruct(images)
    pixel = np.mean((models.to_unit(recon, act) - models.to_unit(images, act)) ** 2)
    features = functools.partial(model.discriminator_features, batch_size=FEATURE_BATCH)
    feature_error = np.mean([
        float(vae.reconstruction_error(features(images[i:i + FEATURE_BATCH]),
                                       features(recon[i:i + FEATURE_BATCH])))
        for i in range(0, len(images), FEATURE_BATCH)])
    probs, feats = self.classify(recon)
    _, test_feats = self.classify(images)
    return {'reconstruction_pixel_mse': float(pixel),
            'reconstruction_feature_error': float(feature_error),
            'reconstruction_label_accuracy': float(np.mean(probs.argmax(1) == labels)),
            'frechet_distance_reconstructions': metrics_lib.frechet_distance(feats,
                                                                             test_feats)}

  def reconstructions(self, model) -> dict:
    """reconstructions.png: rows of real test digits, each above its reconstruction."""
    real = self.images[:40]
    recon = model.reconstruct(real)
    rows = np.concatenate([np.stack([real[i:i + 10], recon[i:i + 10]])
                           for i in range(0, 40, 10)])
    return {'reconstructions': plotting.image_grid(
        rows.reshape((-1,) + real.shape[1:]), 8, 10,
        os.path.join(self.out_dir, 'reconstructions.png'),
        title='real test images (odd rows) and their reconstructions',
        value_range=models.output_range(model.config.model.output_activation),
        row_labels=['real', 'reconstructed'] * 4)}

  def interpolation(self, model, steps: int = 10) -> dict:
    """encoding_interpolation.png: G along the line between the encodings of two real
    digits (one pair of different digits per row, the real pair at the ends)."""
    images, labels = self.images, self.labels
    pairs, i = [], 0   # consecutive test images, each with the next one of another label
    while len(pairs) < 5:
      j = next(j for j in range(i + 1, len(labels)) if labels[j] != labels[i])
      pairs.append((i, j))
      i = j + 1
    ends = model.encode(np.stack([images[i] for pair in pairs for i in pair]))
    t = np.linspace(0.0, 1.0, steps)[None, :, None]
    path = ends[0::2, None] * (1 - t) + ends[1::2, None] * t     # [pairs, steps, d]
    between = model.generate(noise=path.reshape(-1, path.shape[-1]))
    line = []
    for row, (i, j) in enumerate(pairs):
      line += [images[i], *between[row * steps:(row + 1) * steps], images[j]]
    return {'encoding_interpolation': plotting.image_grid(
        np.stack(line), len(pairs), steps + 2,
        os.path.join(self.out_dir, 'encoding_interpolation.png'),
        title='between the encodings of two real digits (the real pair at the ends)',
        value_range=models.output_range(model.config.model.output_activation),
        col_labels=['real'] + [f'{x:.1f}' for x in np.linspace(0, 1, steps)] + ['real'])}
