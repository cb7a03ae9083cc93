"""Default hyperparameters: InfoGAN on MNIST (Chen et al. 2016, Appendix C).

Every field a run reads is defined here, so `--config.<field>=value` overrides are
checked against this schema (ConfigDict is locked: a typo fails).
"""
import ml_collections


def get_config():
  config = ml_collections.ConfigDict()

  # --- data ---------------------------------------------------------------
  # 'mnist'; 'shapes' (made here, known factors); 'svhn', 'celeba' (tfds); 'ring8' (2-D toy)
  config.dataset = 'mnist'
  config.data_dir = ''               # TFDS data_dir; '' = TFDS default (~/tensorflow_datasets)
  config.manual_dir = ''             # folder with the MNIST archives for offline use
  # How MNIST is read: 'tfds' (tensorflow-datasets), 'archives' (the four original files
  # in manual_dir, or <data_dir>/downloads/manual, read with numpy: no TensorFlow), or
  # 'auto' (tfds where it is installed).
  config.data_reader = 'auto'
  # Where batches come from: 'host' (a tf.data stream: shuffle_buffer, prefetch), 'device'
  # (the whole split kept on the accelerator, each batch gathered inside the jitted step
  # from (seed, step): no input pipeline, no host->device copy), or 'auto' (host where
  # TensorFlow is installed and data_reader is tfds, else device). The two give different
  # (equally random) orders. On GPU/TPU, 'device' with steps_per_dispatch > 1.
  config.data_placement = 'auto'
  config.shuffle_buffer = 10_000      # host only
  config.prefetch = 2                 # host only

  # --- latent codes -------------------------------------------------------
  # The original code (openai/InfoGAN) draws noise from U(-1, 1); the paper's text
  # says nothing more specific. Measured here with a PyTorch port, U(-1,1) gave far
  # purer categories than N(0,1) (87% vs 47%), so it is the default.
  config.latent = ml_collections.ConfigDict()
  config.latent.noise_dim = 62
  config.latent.noise_prior = 'uniform'   # 'uniform' U(-1,1) | 'normal' N(0,1)
  config.latent.categorical = (10,)       # one entry per categorical code: its number of categories
  config.latent.continuous = 2            # number of U(-1,1) continuous codes
  # The original code fixes the std of Q's Gaussian at 1 (fix_std=True); the paper
  # describes a factored Gaussian. Fixed is the default; True learns a log-std per code.
  config.latent.learn_cont_std = False
  # ss-InfoGAN: the categorical code Q predicts with a head of its own (one dense layer on
  # the trunk, as in the original code), which labels can guide (semi_supervised below);
  # -1: none, plain InfoGAN.
  config.latent.guided_code = -1
  # CGAN (configs/cgan.py): True makes the guided code D's condition, read with each image
  # (a real image's label, a generated image's code), instead of a code Q predicts.
  config.latent.condition_d = False

  # --- networks -----------------------------------------------------------
  config.model = ml_collections.ConfigDict()
  # 'conv' (the paper's MNIST nets), 'deep_conv' (its SVHN/CelebA nets), 'mlp' (2-D toy data)
  config.model.arch = 'conv'
  # conv: FC, 7x7xC, up-conv; deep_conv: the FC map's channels, then each up-conv's;
  # mlp: hidden sizes
  config.model.g_widths = (1024, 128, 64)
  # conv: conv, conv, FC; deep_conv: each stride-2 conv's channels; mlp: hidden sizes
  config.model.d_widths = (64, 128, 1024)
  config.model.q_width = 128
  # Paper: leaky ReLU slope 0.1; original code: 0.01. We follow the paper (the PyTorch
  # reference in ../shared/bench uses 0.1 as well).
  config.model.leaky_slope = 0.1
  # The paper does not name the output activation; the original code uses a sigmoid
  # over [0,1] data. tanh over [-1,1] is the common GAN choice and what the reference
  # step uses; both are supported and the data is scaled to match.
  config.model.output_activation = 'tanh'   # 'tanh' -> data in [-1,1] | 'sigmoid' -> [0,1]
  # Flax's default initialisation, or the original code's N(0, 0.02) kernels with
  # BatchNorm scales N(1, 0.02) ('normal_0.02').
  config.model.weight_init = 'lecun_normal'   # 'lecun_normal' | 'normal_0.02'
  config.model.compute_dtype = 'float32'    # 'bfloat16': mixed precision (params stay fp32)
  # Normalisation in D's trunk: 'batch' (paper), 'layer' or 'none' (WGAN-GP needs one of
  # the last two: its gradient penalty is per image). Q's head keeps its BatchNorm.
  config.model.d_norm = 'batch'
  # Minibatch discrimination in D (Salimans et al. 2016): D's score also reads how close each
  # image's features are to the others' in the batch, per kernel (T: features x kernels x
  # kernel_dim); it counters a generator that collapses to few modes. 0 kernels: off (paper).
  config.model.minibatch_kernels = 0
  config.model.minibatch_kernel_dim = 5

  # --- losses -------------------------------------------------------------
  # Paper: lambda = 1 for discrete codes, "smaller" for continuous ones. The original
  # code uses 1 for both with std fixed at 1, and so do we: measured here
  # (docs/results.md), lambda_cont = 0.1 gave 79% and 86% test accuracy at batch 128 (seeds 0
  # and 1) against 95% with 1, and 2 gave 78% (seed 0); at batch 64 neither was reliable.
  config.lambda_cat = 1.0
  config.lambda_cont = 1.0
  # Plain-GAN baseline (paper, Fig. 1): no information term for G or the trunk; Q is
  # still trained on detached trunk features so that L_I can be measured.
  config.gan_baseline = False

  # --- the adversarial game (infogan_jax/objectives.py) ------------------------------
  config.objective = ml_collections.ConfigDict()
  # InfoGAN's GAN | 'wgan_gp' | 'none' (no game: the plain VAE of configs/vae.py)
  config.objective.adversarial = 'nonsaturating'
  config.objective.gp_weight = 10.0        # WGAN-GP's lambda
  config.objective.critic_steps = 1        # D updates per G update (WGAN-GP: 5)
  config.objective.label_smoothing = 0.0   # one-sided: D's target for real images is 1 - s
  config.objective.r1_weight = 0.0         # R1 penalty's gamma on real images; 0: off

  # --- ss-InfoGAN (Spurr, Aksan, Hilliges 2017): a few labels guide one code ----------
  # labels_per_class = n > 0: n labelled training images per class, drawn class-balanced
  # from the training split by the seed (every other image is used without its label);
  # config.latent.guided_code names the code they guide. A step trains on a labelled batch
  # (drawn from those images) with probability `share`, which falls linearly from
  # share_start to share_end over share_steps steps and stays there. The original code
  # starts at 1 and lowers it by 0.1 per "epoch" of 100 updates to 0.01 (unlabelled_percentage
  # 0.99): 1000 steps. weight: the supervised terms' weight (original: 2, for D/Q and G).
  config.semi_supervised = ml_collections.ConfigDict()
  config.semi_supervised.labels_per_class = 0
  config.semi_supervised.weight = 2.0
  config.semi_supervised.share_start = 1.0
  config.semi_supervised.share_end = 0.01
  config.semi_supervised.share_steps = 1_000
  # The guided head's weight on G's images, learning c_ss from G(z, c_ss) as Q learns an
  # InfoGAN code. 0 (the original code and paper): it learns from labelled real images only.
  config.semi_supervised.generated_weight = 0.0

  # --- consistency under deformations (infogan_jax/consistency.py) -------------------
  # weight > 0: D/Q also maximise IIC's I(y; y') between Q's categorical posteriors for a
  # real image and for a copy rotated by up to `rotation` degrees, scaled by 1 +- `scale`
  # and shifted by up to `shift` pixels (a label-free remedy for seeds whose categories
  # mix digits; configs/mnist_consistency.py: measured, it did not help). 0: the paper's
  # InfoGAN.
  config.consistency = ml_collections.ConfigDict()
  config.consistency.weight = 0.0
  config.consistency.rotation = 15.0
  config.consistency.scale = 0.1
  config.consistency.shift = 2.0

  # --- VAE-GAN (Larsen et al. 2016; infogan_jax/vaegan.py) ------------------------------
  # encoder=True: an encoder E(x) -> q(z | x) over G's noise (N(0, I) prior, no codes), G
  # as its decoder. E minimises KL + the reconstruction error, G gamma * that error + its
  # GAN loss. reconstruction: 'features' (D's last convolution, VAE-GAN) or 'pixels'
  # (with objective.adversarial='none': the plain VAE). configs/vaegan.py, configs/vae.py.
  config.vae = ml_collections.ConfigDict()
  config.vae.encoder = False
  config.vae.gamma = 1.0
  config.vae.reconstruction = 'features'
  config.vae.learning_rate = 2e-4     # E's Adam (beta1, beta2 as below)

  # --- optimisation (paper: Adam, 2e-4 for D/Q, 1e-3 for G, beta1 0.5) ------
  config.d_learning_rate = 2e-4
  config.g_learning_rate = 1e-3
  config.beta1 = 0.5
  config.beta2 = 0.999
  config.batch_size = 128             # global batch (all devices, all processes)
  config.num_train_steps = 5_000
  # Training steps per jitted call (lax.scan), with the metrics of each step returned;
  # needs data_placement='device'. Logging, samples, checkpoints and stop signals stay at
  # the same steps. More steps per call saves the per-call host work on accelerators.
  config.steps_per_dispatch = 1
  config.seed = 0
  # Seeds seed .. seed + num_seeds - 1 trained together in one program (jax.vmap over their
  # stacked states; needs data_placement='device'), each in <workdir>/seed_<n>/, a run of
  # its own that eval.py and infogan_jax.load read like any other. `python eval.py
  # --workdir=<workdir>` then tabulates every seed with median, min and max.
  config.num_seeds = 1
  # A NaN/Inf in a loss or gradient: 'stop' ends the run with a message naming the step
  # and the quantity, without saving that state (the last checkpoint stays the last good
  # one); 'skip' drops that step's update and goes on (and stops after 100 in a row).
  config.on_nonfinite = 'stop'

  # --- bookkeeping --------------------------------------------------------
  config.log_every_steps = 50
  config.sample_every_steps = 1_000
  config.checkpoint_every_steps = 1_000
  config.keep_checkpoints = 3

  # --- evaluation (eval.py) -------------------------------------------------
  config.eval = ml_collections.ConfigDict()
  # The MNIST classifier behind Frechet distance, classifier score and purity; trained
  # once by `python eval.py --config=configs/mnist.py --train_classifier`.
  config.eval.classifier_dir = '~/.cache/infogan_jax/mnist_classifier'
  config.eval.num_samples = 10_000      # generated images for L_I, FD, score and purity
  config.eval.num_sweep_noise = 100     # noise draws per category in continuous-code sweeps
  config.eval.baseline_workdir = ''     # a gan_baseline run to plot beside this one
  # R > 1, for a config.num_seeds run: of each R consecutive seeds, eval.py also reports the
  # run whose Q is most confident and balanced on unlabelled training images (Q's I(x; c0);
  # no labels), the seed-robust recipe of configs/mnist_robust.py.
  config.eval.restarts = 1
  return config
