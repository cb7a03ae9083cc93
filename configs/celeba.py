"""InfoGAN on CelebA (the paper's Section 5.3 and Appendix C, Table 4): faces at 32x32
(the central 178x178 square of each image, shrunk), ten ten-way categorical codes and 128
noise variables; the networks are those of configs/svhn.py.

    python train.py --config=configs/celeba.py --workdir=runs/celeba
    python eval.py --config=configs/celeba.py --workdir=runs/celeba --samples_only

Needs tensorflow-datasets' `celeb_a` prepared (TFDS downloads it on first use, about
1.4 GB; or `tfds build celeb_a` on a machine with internet, then config.data_dir). Tested
here end to end on tfds.testing.mock_data only (tests/test_datasets.py): no CelebA result
has been measured with this project.
"""
from configs import svhn


def get_config():
  config = svhn.get_config()
  config.dataset = 'celeba'
  config.latent.noise_dim = 128
  config.latent.categorical = (10,) * 10
  config.latent.continuous = 0
  return config
