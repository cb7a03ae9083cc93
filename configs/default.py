"""Default hyperparameters: InfoGAN on MNIST (Chen et al. 2016, Appendix C).

Every field a run reads is declared once, with its default, its rule and the comment that
documents it, in infogan_jax/settings/fields.py (`FIELDS`); this config is built from that
table, so `--config.<field>=value` overrides are checked against this schema (ConfigDict is
locked: a typo fails). The other configs/*.py start from it.
"""
from infogan_jax.settings import fields


def get_config():
  return fields.default_config()
