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
adversarial loss, cycle weight lambda = 10, the identity loss at 0.5 lambda (the reference
code's default), a history pool of 50 generated images per discriminator, Adam 2e-4 with
beta1 0.5, constant for the first half of the steps, then down linearly to 0. The
reference trains with batch 1 for 200 epochs of its datasets (~1,000 images each); here
batch 32 for 3,000 steps (1.6 epochs of MNIST's 60,000), which our 2-core CPU runs in
about 20 minutes per seed. Measured over seeds 0-2: docs/results.md, "CycleGAN".
"""
from configs import default


def get_config():
  config = default.get_config()
  config.dataset = 'mnist'
  config.cyclegan.enabled = True
  config.cyclegan.domain_y = 'printed'
  config.data_placement = 'device'
  config.batch_size = 32
  config.num_train_steps = 3_000
  config.g_learning_rate = 2e-4
  config.d_learning_rate = 2e-4
  config.beta1 = 0.5
  config.log_every_steps = 100
  config.sample_every_steps = 500
  config.checkpoint_every_steps = 500
  return config
