"""How the optional terms of D/Q's loss plug into a game's step.

A term is a small frozen dataclass holding its settings (its weight first) and called on
the step's `DiscriminatorView`: `term(view) -> (loss, metrics)`, where `loss` is already
weighted and is added to D/Q's loss, and `metrics` are its logged values. A game keeps its
terms in a tuple and adds them in order (`add_terms`), so an option is an entry in that
tuple, not a branch in the step. The terms: WGAN-GP's gradient penalty and R1
(penalties.py), ss-InfoGAN's supervised cross-entropy (supervised.py), the consistency of
Q's categories (consistency.py).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple

import jax

from infogan_jax.networks.latents import LatentSpec


class DiscriminatorView(NamedTuple):
  """What D/Q's terms read, in D's training pass of one step (this device's part)."""
  real: jax.Array            # the real images
  fake: jax.Array            # G's images, detached from G
  real_q: jax.Array          # Q's raw output for the real images (spec.split_q splits it)
  # images, condition -> ((D's logits, Q's raw output), batch statistics): D in training
  # mode with the parameters being differentiated and the statistics of this pass.
  discriminate: Callable
  real_condition: Any        # CGAN's condition for the real images (None: none)
  spec: LatentSpec           # the latent layout (to split Q's raw output)
  batch: Dict[str, jax.Array]
  rng: jax.Array             # the step's key (terms draw from their own streams of it)
  axis_name: Optional[str]

  def critic(self, images: jax.Array) -> jax.Array:
    """D's score of each image (one per image), for the penalties on its input gradient."""
    return self.discriminate(images, self.real_condition)[0][0]


def add_terms(total: jax.Array, terms: Sequence[Callable],
              view: DiscriminatorView) -> Tuple[jax.Array, Dict[str, jax.Array]]:
  """`total` plus each term's loss, in order, and the terms' metrics."""
  metrics = {}
  for term in terms:
    loss, term_metrics = term(view)
    total = total + loss
    metrics.update(term_metrics)
  return total, metrics
