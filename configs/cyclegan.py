"""CycleGAN (Zhu et al. 2017): unpaired translation between MNIST's handwritten digits (X)
and printed digits the project renders from matplotlib's DejaVu fonts (Y,
infogan_jax/data/printed_digits.py). The two domains' images are never paired: each has its
own order (streams.DATA, DATA_Y); the labels are only for measuring.

    python train.py --config=configs/cyclegan.py --workdir=runs/cyclegan
    python eval.py --config=configs/cyclegan.py --workdir=runs/cyclegan

As the paper and its reference code, scaled from 256x256 to 28x28 (networks/translation.py):
ResNet generators G: X->Y, F: Y->X (c7s1-16, d32, d64, 3 residual blocks, u32, u16, c7s1-1;
the reference's resnet_9blocks at base width 64 is for 256x256 images), 7x7 PatchGAN
discriminators (each output sees a 22x22 patch), instance normalisation, the least-squares
adversarial loss, cycle weight lambda = 10, a history pool of 50 generated images per
discriminator, Adam 2e-4 with beta1 0.5, constant for the first half of the steps, then
down linearly to 0.
- No identity loss: the paper adds it for paintings <-> photos only (its section 5.2); the
  reference code's default is 0.5 lambda (--config.cyclegan.identity_weight=0.5). Measured
  at 2,000 steps, seed 0: with it, translations kept the digit 64% (x2y) and 74% (y2x) of
  the time, without it 68% and 82% (docs/results.md, "CycleGAN").
- Batch 16 for 2,500 steps (0.7 epochs of MNIST's 60,000 images); the reference trains with
  batch 1 for 200 epochs of datasets of ~1,000 images.
Measured over seeds 0-2: docs/results.md, "CycleGAN".
"""
from configs import default


def get_config():
  config = default.get_config()
  config.dataset = 'mnist'
  config.cyclegan.enabled = True
  config.cyclegan.domain_y = 'printed'
  config.data_placement = 'device'
  config.batch_size = 16
  config.num_train_steps = 2_500
  config.cyclegan.identity_weight = 0.0
  config.g_learning_rate = 2e-4
  config.d_learning_rate = 2e-4
  config.beta1 = 0.5
  config.log_every_steps = 100
  config.sample_every_steps = 500
  config.checkpoint_every_steps = 500
  return config
