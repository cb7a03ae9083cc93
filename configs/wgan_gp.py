"""WGAN-GP on MNIST (Gulrajani et al. 2017, "Improved training of Wasserstein GANs"), on
InfoGAN's networks without codes.

The paper's Algorithm 1: lambda 10, 5 critic updates per generator update, Adam 1e-4 with
betas (0, 0.9). Its released MNIST script (igul222/improved_wgan_training, gan_mnist.py)
uses betas (0.5, 0.9) and no normalisation in the critic; we follow that script. One
training step here is one critic update (G learns on every 5th), so 5,000 steps are 1,000
generator updates.

    python train.py --config=configs/wgan_gp.py --workdir=runs/wgan_gp
"""
from configs import dcgan


def get_config():
  config = dcgan.get_config()
  config.objective.adversarial = 'wgan_gp'
  config.objective.gp_weight = 10.0
  config.objective.critic_steps = 5
  config.model.d_norm = 'none'
  config.d_learning_rate = config.g_learning_rate = 1e-4
  config.beta1, config.beta2 = 0.5, 0.9
  config.num_train_steps = 25_000   # 5,000 generator updates
  return config
