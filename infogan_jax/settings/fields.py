"""Every config field, declared once: its default, its rule, and what a config lacking it means.

Defaults: InfoGAN on MNIST (Chen et al. 2016, Appendix C). `FIELDS` is the one list of the
fields a run reads, each with the comment that documents it. From it:

* configs/default.py builds its ConfigDict (`default_config`), which every other
  configs/*.py starts from; ConfigDict is locked by the command line's config flags, so a
  `--config.<field>=value` override is checked against these names (a typo fails);
* config_validation checks a config field by field against each `rule`
  (infogan_jax/settings/rules.py), then the combinations;
* `config_validation.with_defaults` fills in a field that a config or a run's recorded
  config.json older than the field lacks, with its `old_default`: the value such runs used.

A new field is one `Field(...)` entry below, with its comment; its rule asks the module
that uses the field for the allowed values (`_one_of('networks.models', 'ARCHS')`, ...).
"""
from __future__ import annotations

import copy
import dataclasses
import importlib
from typing import Any

import ml_collections

from infogan_jax.settings import rules
from infogan_jax.settings.rules import (BETA, NON_NEGATIVE, POSITIVE, RATE, SHARE, WEIGHT,
                                        WIDTHS, boolean, integer, number, string)


def _owned(module: str, build) -> rules.Rule:
  """A rule on values that infogan_jax.<module> owns, `build(that module)`, built when first
  used: configs/*.py import this table while train.py parses its flags, before JAX and the
  networks are imported (and the owners never import this table back)."""
  return rules.deferred(lambda: build(importlib.import_module(f'infogan_jax.{module}')))


def _one_of(module: str, name: str) -> rules.Rule:
  """One of the values infogan_jax.<module>.<name> allows."""
  return _owned(module, lambda owner: rules.choice(*getattr(owner, name)))


class _Marker:

  def __init__(self, name):
    self.name = name

  def __repr__(self):
    return self.name


# `Field.old_default` when there is no value for older runs:
REQUIRED = _Marker('REQUIRED')    # every config defines the field; one without it is refused
LEFT_OUT = _Marker('LEFT_OUT')    # a config may lack it, and it stays left out (eval.py's)


@dataclasses.dataclass(frozen=True)
class Field:
  """One config field.

  name: its dotted path in the config ('model.arch').
  default: its value in configs/default.py.
  rule: the values allowed (a rules.Rule).
  old_default: what a config without the field means: REQUIRED (there is none: every
    config defines it), LEFT_OUT (it may be missing and stays missing), or the value runs
    older than the field used, which `with_defaults` fills in. Written out, not "the
    default": the default may change later, what those runs used does not.
  """
  name: str
  default: Any
  rule: rules.Rule
  old_default: Any = REQUIRED

  @property
  def optional(self) -> bool:
    """A config may lack it."""
    return self.old_default is not REQUIRED

  @property
  def fills_in(self) -> bool:
    """A config that lacks it gets `old_default` (config_validation.with_defaults)."""
    return self.old_default is not REQUIRED and self.old_default is not LEFT_OUT


FIELDS = (
    # --- data ---------------------------------------------------------------
    # 'mnist'; 'shapes' (made here, known factors); 'svhn', 'celeba' (tfds); 'ring8' (2-D toy)
    Field('dataset', 'mnist', _one_of('data.input_pipeline', 'DATASETS')),
    # TFDS data_dir; '' = TFDS default (~/tensorflow_datasets)
    Field('data_dir', '', string()),
    # folder with the MNIST archives for offline use
    Field('manual_dir', '', string()),
    # How MNIST is read: 'tfds' (tensorflow-datasets), 'archives' (the four original files
    # in manual_dir, or <data_dir>/downloads/manual, read with numpy: no TensorFlow), or
    # 'auto' (tfds where it is installed).
    Field('data_reader', 'auto', _one_of('data.input_pipeline', 'DATA_READERS'),
          old_default='tfds'),
    # Where batches come from: 'host' (a tf.data stream: shuffle_buffer, prefetch), 'device'
    # (the whole split kept on the accelerator, each batch gathered inside the jitted step
    # from (seed, step): no input pipeline, no host->device copy), or 'auto' (host where
    # TensorFlow is installed and data_reader is tfds, else device). The two give different
    # (equally random) orders. On GPU/TPU, 'device' with steps_per_dispatch > 1.
    Field('data_placement', 'auto', _one_of('data.input_pipeline', 'DATA_PLACEMENTS'),
          old_default='host'),
    Field('shuffle_buffer', 10_000, POSITIVE),    # host only
    Field('prefetch', 2, NON_NEGATIVE),           # host only

    # --- latent codes -------------------------------------------------------
    # The original code (openai/InfoGAN) draws noise from U(-1, 1); the paper's text
    # says nothing more specific. Measured here with a PyTorch port, U(-1,1) gave far
    # purer categories than N(0,1) (87% vs 47%), so it is the default.
    Field('latent.noise_dim', 62, NON_NEGATIVE),
    # 'uniform' U(-1,1) | 'normal' N(0,1)
    Field('latent.noise_prior', 'uniform', _one_of('networks.latents', 'NOISE_PRIORS')),
    # one entry per categorical code: its number of categories
    Field('latent.categorical', (10,), _owned('networks.latents', lambda latents: rules.int_tuple(
        latents.MIN_CATEGORIES, f'a tuple of integers >= {latents.MIN_CATEGORIES} '
        '(categories per code), possibly empty', True))),
    # number of U(-1,1) continuous codes
    Field('latent.continuous', 2, NON_NEGATIVE),
    # The original code fixes the std of Q's Gaussian at 1 (fix_std=True); the paper
    # describes a factored Gaussian. Fixed is the default; True learns a log-std per code.
    Field('latent.learn_cont_std', False, boolean()),
    # ss-InfoGAN: the categorical code Q predicts with a head of its own (one dense layer on
    # the trunk, as in the original code), which labels can guide (semi_supervised below);
    # -1: none, plain InfoGAN.
    Field('latent.guided_code', -1, integer(-1, None, 'an integer >= -1 (-1: no guided code)'),
          old_default=-1),
    # CGAN (configs/cgan.py): True makes the guided code D's condition, read with each image
    # (a real image's label, a generated image's code), instead of a code Q predicts.
    Field('latent.condition_d', False, boolean(), old_default=False),

    # --- networks -----------------------------------------------------------
    # 'conv' (the paper's MNIST nets), 'deep_conv' (its SVHN/CelebA nets), 'mlp' (2-D toy data)
    Field('model.arch', 'conv', _one_of('networks.models', 'ARCHS')),
    # conv: FC, 7x7xC, up-conv; deep_conv: the FC map's channels, then each up-conv's;
    # mlp: hidden sizes
    Field('model.g_widths', (1024, 128, 64), WIDTHS),
    # conv: conv, conv, FC; deep_conv: each stride-2 conv's channels; mlp: hidden sizes
    Field('model.d_widths', (64, 128, 1024), WIDTHS),
    Field('model.q_width', 128, POSITIVE),
    # Paper: leaky ReLU slope 0.1; original code: 0.01. We follow the paper (the PyTorch
    # reference in ../shared/bench uses 0.1 as well).
    Field('model.leaky_slope', 0.1, number(lo=0, hi=1, text='a number in [0, 1]')),
    # The paper does not name the output activation; the original code uses a sigmoid
    # over [0,1] data. tanh over [-1,1] is the common GAN choice and what the reference
    # step uses; both are supported and the data is scaled to match.
    # 'tanh' -> data in [-1,1] | 'sigmoid' -> [0,1]
    Field('model.output_activation', 'tanh', _one_of('networks.models', 'OUTPUT_ACTIVATIONS')),
    # Flax's default initialisation, or the original code's N(0, 0.02) kernels with
    # BatchNorm scales N(1, 0.02) ('normal_0.02').
    # 'lecun_normal' | 'normal_0.02'
    Field('model.weight_init', 'lecun_normal', _one_of('networks.models', 'WEIGHT_INITS'),
          old_default='lecun_normal'),
    # 'bfloat16': mixed precision (params stay fp32)
    Field('model.compute_dtype', 'float32', _one_of('networks.models', 'COMPUTE_DTYPES')),
    # Normalisation in D's trunk: 'batch' (paper), 'layer' or 'none' (WGAN-GP needs one of
    # the last two: its gradient penalty is per image). Q's head keeps its BatchNorm.
    Field('model.d_norm', 'batch', _one_of('networks.models', 'D_NORMS'), old_default='batch'),
    # Minibatch discrimination in D (Salimans et al. 2016): D's score also reads how close each
    # image's features are to the others' in the batch, per kernel (T: features x kernels x
    # kernel_dim); it counters a generator that collapses to few modes. 0 kernels: off (paper).
    Field('model.minibatch_kernels', 0, NON_NEGATIVE, old_default=0),
    Field('model.minibatch_kernel_dim', 5, POSITIVE, old_default=5),

    # --- losses -------------------------------------------------------------
    # Paper: lambda = 1 for discrete codes, "smaller" for continuous ones. The original
    # code uses 1 for both with std fixed at 1, and so do we: measured here
    # (docs/results.md), lambda_cont = 0.1 gave 79% and 86% test accuracy at batch 128 (seeds 0
    # and 1) against 95% with 1, and 2 gave 78% (seed 0); at batch 64 neither was reliable.
    Field('lambda_cat', 1.0, WEIGHT),
    Field('lambda_cont', 1.0, WEIGHT),
    # Plain-GAN baseline (paper, Fig. 1): no information term for G or the trunk; Q is
    # still trained on detached trunk features so that L_I can be measured.
    Field('gan_baseline', False, boolean(), old_default=False),

    # --- the adversarial game (infogan_jax/objectives/adversarial.py) ------------------
    # InfoGAN's GAN | 'wgan_gp' | 'none' (no game: the plain VAE of configs/vae.py)
    Field('objective.adversarial', 'nonsaturating',
          _one_of('objectives.adversarial', 'ADVERSARIAL'), old_default='nonsaturating'),
    # WGAN-GP's lambda
    Field('objective.gp_weight', 10.0, WEIGHT, old_default=10.0),
    # D updates per G update (WGAN-GP: 5)
    Field('objective.critic_steps', 1, POSITIVE, old_default=1),
    # one-sided: D's target for real images is 1 - s
    Field('objective.label_smoothing', 0.0,
          number(lo=0, hi=0.5, hi_open=True, text='a number in [0, 0.5)'), old_default=0.0),
    # R1 penalty's gamma on real images; 0: off
    Field('objective.r1_weight', 0.0, WEIGHT, old_default=0.0),

    # --- ss-InfoGAN (Spurr, Aksan, Hilliges 2017): a few labels guide one code ----------
    # labels_per_class = n > 0: n labelled training images per class, drawn class-balanced
    # from the training split by the seed (every other image is used without its label);
    # config.latent.guided_code names the code they guide. A step trains on a labelled batch
    # (drawn from those images) with probability `share`, which falls linearly from
    # share_start to share_end over share_steps steps and stays there. The original code
    # starts at 1 and lowers it by 0.1 per "epoch" of 100 updates to 0.01 (unlabelled_percentage
    # 0.99): 1000 steps. weight: the supervised terms' weight (original: 2, for D/Q and G).
    Field('semi_supervised.labels_per_class', 0, _owned('data.semi_supervised', lambda ss: integer(
        ss.ALL_LABELS, 2**31 - 1,
        text=f'an integer >= 0, or {ss.ALL_LABELS} for every training label')), old_default=0),
    Field('semi_supervised.weight', 2.0, WEIGHT, old_default=2.0),
    Field('semi_supervised.share_start', 1.0, SHARE, old_default=1.0),
    Field('semi_supervised.share_end', 0.01, SHARE, old_default=0.01),
    Field('semi_supervised.share_steps', 1_000, NON_NEGATIVE, old_default=1_000),
    # The guided head's weight on G's images, learning c_ss from G(z, c_ss) as Q learns an
    # InfoGAN code. 0 (the original code and paper): it learns from labelled real images only.
    Field('semi_supervised.generated_weight', 0.0, WEIGHT, old_default=0.0),

    # --- consistency under deformations (infogan_jax/objectives/consistency.py) --------
    # weight > 0: D/Q also maximise IIC's I(y; y') between Q's categorical posteriors for a
    # real image and for a copy rotated by up to `rotation` degrees, scaled by 1 +- `scale`
    # and shifted by up to `shift` pixels (a label-free remedy for seeds whose categories
    # mix digits; configs/mnist_consistency.py: measured, it did not help). 0: the paper's
    # InfoGAN.
    # Runs before the consistency term had none: weight 0, no deformation (old_default).
    Field('consistency.weight', 0.0, WEIGHT, old_default=0.0),
    Field('consistency.rotation', 15.0,
          number(lo=0, hi=180, text='a number of degrees in [0, 180]'), old_default=0.0),
    Field('consistency.scale', 0.1, number(lo=0, hi=1, hi_open=True, text='a number in [0, 1)'),
          old_default=0.0),
    Field('consistency.shift', 2.0, number(lo=0, text='a number of pixels >= 0'),
          old_default=0.0),

    # --- VAE-GAN (Larsen et al. 2016; infogan_jax/objectives/vae.py) ----------------------
    # encoder=True: an encoder E(x) -> q(z | x) over G's noise (N(0, I) prior, no codes), G
    # as its decoder. E minimises KL + the reconstruction error, G gamma * that error + its
    # GAN loss. reconstruction: 'features' (D's last convolution, VAE-GAN) or 'pixels'
    # (with objective.adversarial='none': the plain VAE). configs/vaegan.py, configs/vae.py.
    Field('vae.encoder', False, boolean(), old_default=False),
    Field('vae.gamma', 1.0, WEIGHT, old_default=1.0),
    Field('vae.reconstruction', 'features', _one_of('objectives.vae', 'RECONSTRUCTIONS'),
          old_default='features'),
    # E's Adam (beta1, beta2 as below)
    Field('vae.learning_rate', 2e-4, RATE, old_default=2e-4),

    # --- CycleGAN (Zhu et al. 2017; infogan_jax/games/cyclegan.py, configs/cyclegan.py) ----
    # enabled=True: the CycleGAN game, unpaired translation between config.dataset (X) and
    # domain_y (Y) with generators G: X->Y, F: Y->X and PatchGAN discriminators D_X, D_Y
    # (networks/translation.py; the latent, model, objective and InfoGAN fields are not
    # read). Adam at g_learning_rate / d_learning_rate (beta1, beta2 below), constant, then
    # down linearly to 0 over the last decay_share of num_train_steps.
    Field('cyclegan.enabled', False, boolean(), old_default=False),
    Field('cyclegan.domain_y', 'printed', _one_of('data.input_pipeline', 'DEVICE_DATASETS'),
          old_default='printed'),
    Field('cyclegan.filters', 16, POSITIVE, old_default=16),   # k: G's c7s1-k, D's C k
    Field('cyclegan.residual_blocks', 3, NON_NEGATIVE, old_default=3),
    Field('cyclegan.cycle_weight', 10.0, WEIGHT, old_default=10.0),      # lambda
    Field('cyclegan.identity_weight', 0.5, WEIGHT, old_default=0.5),    # of lambda; 0: none
    Field('cyclegan.pool_size', 50, NON_NEGATIVE, old_default=50),      # 0: no history
    Field('cyclegan.decay_share', 0.5, SHARE, old_default=0.5),

    # --- optimisation (paper: Adam, 2e-4 for D/Q, 1e-3 for G, beta1 0.5) ------
    Field('d_learning_rate', 2e-4, RATE),
    Field('g_learning_rate', 1e-3, RATE),
    Field('beta1', 0.5, BETA),
    Field('beta2', 0.999, BETA),
    # global batch (all devices, all processes)
    Field('batch_size', 128, POSITIVE),
    Field('num_train_steps', 5_000, POSITIVE),
    # Training steps per jitted call (lax.scan), with the metrics of each step returned;
    # needs data_placement='device'. Logging, samples, checkpoints and stop signals stay at
    # the same steps. More steps per call saves the per-call host work on accelerators.
    Field('steps_per_dispatch', 1, POSITIVE, old_default=1),
    Field('seed', 0, integer(0, 2**31 - 1)),
    # Seeds seed .. seed + num_seeds - 1 trained together in one program (jax.vmap over their
    # stacked states; needs data_placement='device'), each in <workdir>/seed_<n>/, a run of
    # its own that eval.py and infogan_jax.load read like any other. `python eval.py
    # --workdir=<workdir>` then tabulates every seed with median, min and max.
    Field('num_seeds', 1, POSITIVE, old_default=1),
    # A NaN/Inf in a loss or gradient: 'stop' ends the run with a message naming the step
    # and the quantity, without saving that state (the last checkpoint stays the last good
    # one); 'skip' drops that step's update and goes on (and stops after 100 in a row).
    Field('on_nonfinite', 'stop', _one_of('training.reliability', 'NONFINITE_POLICIES'),
          old_default='stop'),

    # --- bookkeeping --------------------------------------------------------
    Field('log_every_steps', 50, NON_NEGATIVE),
    Field('sample_every_steps', 1_000, NON_NEGATIVE),
    Field('checkpoint_every_steps', 1_000, NON_NEGATIVE),
    Field('keep_checkpoints', 3, POSITIVE),

    # --- evaluation (eval.py) -------------------------------------------------
    # Only eval.py reads these: a config without them is not filled in (LEFT_OUT).
    # The MNIST classifier behind Frechet distance, classifier score and purity; trained
    # once by `python eval.py --config=configs/mnist.py --train_classifier`.
    Field('eval.classifier_dir', '~/.cache/infogan_jax/mnist_classifier', string(),
          old_default=LEFT_OUT),
    # generated images for L_I, FD, score and purity
    Field('eval.num_samples', 10_000, POSITIVE, old_default=LEFT_OUT),
    # noise draws per category in continuous-code sweeps
    Field('eval.num_sweep_noise', 100, POSITIVE, old_default=LEFT_OUT),
    # pytorch-fid's FID Inception weights (pt_inception-2015-12-05-6726825d.pth, or an .npz of
    # its state_dict): eval.py then adds Inception FID, KID and IS; empty: those are skipped.
    Field('eval.inception_weights', '', _owned('networks.state_dict_files', lambda files:
                                                rules.file_path(files.SUFFIXES, 'a weights file')),
          old_default=LEFT_OUT),
    # a gan_baseline run to plot beside this one
    Field('eval.baseline_workdir', '', string(), old_default=LEFT_OUT),
    # R > 1, for a config.num_seeds run: of each R consecutive seeds, eval.py also reports the
    # run whose Q is most confident and balanced on unlabelled training images (Q's I(x; c0);
    # no labels), the seed-robust recipe of configs/mnist_robust.py.
    Field('eval.restarts', 1, POSITIVE, old_default=LEFT_OUT),
)


def _check_table(fields) -> None:
  names = [f.name for f in fields]
  repeated = sorted({n for n in names if names.count(n) > 1})
  if repeated:
    raise ValueError(f'config fields declared more than once in FIELDS: {repeated}')
  leaves = set(names)
  groups = {'.'.join(n.split('.')[:i]) for n in names for i in range(1, n.count('.') + 1)}
  if leaves & groups:
    raise ValueError(f'config fields that are also groups: {sorted(leaves & groups)}')


_check_table(FIELDS)
BY_NAME = {f.name: f for f in FIELDS}
MISSING = _Marker('MISSING')   # `lookup` of a field a config lacks


def lookup(config, name: str):
  """config.<name> for a dotted name, or MISSING."""
  value = config
  for part in name.split('.'):
    try:
      value = value[part]
    except (KeyError, TypeError, AttributeError):
      return MISSING
  return value


def assign(config, name: str, value) -> None:
  """Sets config.<name> for a dotted name, making the groups it lacks."""
  *groups, leaf = name.split('.')
  target = config
  for group in groups:
    if group not in target:
      target[group] = ml_collections.ConfigDict()
    target = target[group]
  target[leaf] = value


def default_config() -> ml_collections.ConfigDict:
  """The ConfigDict of configs/default.py: every field at its default, in FIELDS' order."""
  config = ml_collections.ConfigDict()
  for field in FIELDS:
    assign(config, field.name, copy.deepcopy(field.default))
  return config
