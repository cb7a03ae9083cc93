"""The information term: both players' losses subtract lambda * L_I, the variational lower
bound of I(c; G(z, c)) per code group (losses.mutual_information), in nats.

Which networks it trains: all of them. The paper adds -lambda * L_I to both players'
objectives and the original code subtracts the MI estimate from the discriminator loss
(whose variables include the shared trunk and Q's head) and from the generator loss.
Several ports stop the gradient at the trunk; we do not.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, Optional

import jax

from infogan_jax.objectives import losses


@dataclasses.dataclass(frozen=True)
class Weights:
  """One player's weights of L_I: lambda_cat, lambda_cont, and weights of single groups
  ('cat0': ...) in place of those."""
  cat: float = 1.0
  cont: float = 1.0
  codes: Optional[Dict[str, float]] = None

  def loss(self, mi: Dict[str, jax.Array]) -> jax.Array:
    return losses.information_loss(mi, self.cat, self.cont, code_weights=self.codes)


@dataclasses.dataclass(frozen=True)
class Information:
  """The term's settings (config.lambda_cat, lambda_cont; ss-InfoGAN's weights).

  `q_fits_only`: the plain-GAN baseline (config.gan_baseline): G gets no information term
  (lambdas 0) and Q still fits its posterior with weight 1, on detached features.
  `guided`: ss-InfoGAN's guided code (-1: none). On batches with labels, as in the original
  code (spurra/ss-infogan), G learns to make images the guided head classifies as their
  code with weight `guided_weight` (config.semi_supervised.weight) in place of lambda_cat,
  and that head learns from G's images with `guided_generated_weight`
  (config.semi_supervised.generated_weight; 0 in the original code, whose head learns
  from labelled real images only: supervised.GuidedCode).
  """
  lambda_cat: float = 1.0
  lambda_cont: float = 1.0
  q_fits_only: bool = False
  guided: int = -1
  guided_weight: float = 0.0
  guided_generated_weight: float = 0.0

  def weights(self, labelled: bool):
    """(D/Q's Weights, G's Weights) for a batch with labels (`labelled`) or without."""
    d = (1.0, 1.0) if self.q_fits_only else (self.lambda_cat, self.lambda_cont)
    g = (self.lambda_cat, self.lambda_cont)
    if not labelled:
      return Weights(*d), Weights(*g)
    if not (self.guided >= 0 and self.guided_weight):
      raise ValueError("a batch with 'label' needs a guided code (config.latent.guided_code) "
                       'and config.semi_supervised.labels_per_class > 0')
    guided = f'cat{self.guided}'
    return (Weights(*d, codes={guided: self.guided_generated_weight}),
            Weights(*g, codes={guided: self.guided_weight}))
