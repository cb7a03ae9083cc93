"""InfoGAN on SVHN (the paper's Section 5.3 and Appendix C, Table 3): 32x32 colour house
numbers, four ten-way categorical codes, four continuous codes and 124 noise variables.

    python train.py --config=configs/svhn.py --workdir=runs/svhn
    python eval.py --config=configs/svhn.py --workdir=runs/svhn --samples_only

Needs tensorflow-datasets' `svhn_cropped` prepared (downloaded by TFDS on first use, or
`tfds build svhn_cropped` on a machine with internet, then config.data_dir). The paper's
main text says "two uniform continuous variables", its Appendix C table four; we follow
the table. Tested here end to end on tfds.testing.mock_data only (tests/test_datasets.py):
no SVHN result has been measured with this project.
"""
from configs import default


def get_config():
  config = default.get_config()
  config.dataset = 'svhn'
  config.latent.noise_dim = 124
  config.latent.categorical = (10, 10, 10, 10)
  config.latent.continuous = 4
  config.model.arch = 'deep_conv'
  config.model.g_widths = (448, 256, 128, 64)   # FC 2x2x448, then up-convs 256, 128, 64, 3
  config.model.d_widths = (64, 128, 256)
  return config
