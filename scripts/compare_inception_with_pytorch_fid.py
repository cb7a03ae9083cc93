"""Checks the Flax FID InceptionV3 (infogan_jax/networks/inception.py) against pytorch-fid's
own network, with the same random weights: a check to run by hand, not a test (it needs
torch, torchvision and pytorch-fid, which the project does not depend on).

    # 1. in an environment with torch, torchvision and pytorch-fid:
    python scripts/compare_inception_with_pytorch_fid.py make /tmp/fidcheck
    # 2. in the project's environment:
    python scripts/compare_inception_with_pytorch_fid.py check /tmp/fidcheck

`make` builds pytorch-fid's FID Inception (its fid_inception_v3 without the download:
torchvision's Inception3 with 1008 classes and pytorch-fid's patched blocks), gives it random
weights and batch-norm statistics, saves its state_dict with torch.save in both formats, and
runs its forward (resize to 299, 2x - 1, the four blocks, fc) on a few images of several
sizes. `check` loads each .pth through the project's reader and compares every block.
"""
import os
import sys

import numpy as np

BLOCK_NAMES = ('block0', 'block1', 'block2', 'pool3', 'logits')
IMAGE_SHAPES = ((3, 28, 28, 1), (2, 64, 64, 3), (2, 320, 300, 3))


def make(out):
  import torch
  import torch.nn.functional as F
  try:
    import torchvision  # noqa: F401
  except RuntimeError:
    # A torchvision built for another torch cannot register its C++ ops; the models are
    # plain Python and do not need them.
    import types
    sys.modules['torchvision._meta_registrations'] = types.ModuleType('stub')
  from pytorch_fid import inception as fid

  net = fid._inception_v3(num_classes=1008, aux_logits=False, weights=None)
  net.Mixed_5b = fid.FIDInceptionA(192, pool_features=32)
  net.Mixed_5c = fid.FIDInceptionA(256, pool_features=64)
  net.Mixed_5d = fid.FIDInceptionA(288, pool_features=64)
  net.Mixed_6b = fid.FIDInceptionC(768, channels_7x7=128)
  net.Mixed_6c = fid.FIDInceptionC(768, channels_7x7=160)
  net.Mixed_6d = fid.FIDInceptionC(768, channels_7x7=160)
  net.Mixed_6e = fid.FIDInceptionC(768, channels_7x7=192)
  net.Mixed_7b = fid.FIDInceptionE_1(1280)
  net.Mixed_7c = fid.FIDInceptionE_2(2048)
  gen = torch.Generator().manual_seed(0)
  with torch.no_grad():
    for name, t in net.state_dict().items():
      if name.endswith('num_batches_tracked'):
        continue
      if name.endswith(('running_var', 'bn.weight')):
        t.copy_(0.5 + torch.rand(t.shape, generator=gen))
      elif t.dim() == 4 or name == 'fc.weight':
        t.copy_(torch.randn(t.shape, generator=gen) * (2 / t[0].numel()) ** 0.5)
      else:
        t.copy_(0.1 * torch.randn(t.shape, generator=gen))
  net.eval()
  os.makedirs(out, exist_ok=True)
  torch.save(net.state_dict(), os.path.join(out, 'zip.pth'))
  torch.save(net.state_dict(), os.path.join(out, 'legacy.pth'),
             _use_new_zipfile_serialization=False)
  blocks = [[net.Conv2d_1a_3x3, net.Conv2d_2a_3x3, net.Conv2d_2b_3x3, net.maxpool1],
            [net.Conv2d_3b_1x1, net.Conv2d_4a_3x3, net.maxpool2],
            [net.Mixed_5b, net.Mixed_5c, net.Mixed_5d, net.Mixed_6a, net.Mixed_6b,
             net.Mixed_6c, net.Mixed_6d, net.Mixed_6e],
            [net.Mixed_7a, net.Mixed_7b, net.Mixed_7c, net.avgpool]]
  rng = np.random.default_rng(0)
  arrays = {}
  for i, shape in enumerate(IMAGE_SHAPES):
    images = rng.uniform(size=shape).astype(np.float32)
    arrays[f'images{i}'] = images
    x = torch.from_numpy(images).permute(0, 3, 1, 2)
    if x.shape[1] == 1:
      x = x.repeat(1, 3, 1, 1)
    # pytorch-fid's InceptionV3.forward: resize, then scale to [-1, 1].
    x = 2 * F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False) - 1
    with torch.no_grad():
      for name, layers in zip(BLOCK_NAMES, blocks):
        for layer in layers:
          x = layer(x)
        arrays[f'{name}{i}'] = (x.flatten(1) if name == 'pool3'
                                else x.permute(0, 2, 3, 1)).numpy()
      arrays[f'logits{i}'] = net.fc(x.flatten(1)).numpy()
  np.savez(os.path.join(out, 'reference.npz'), **arrays)
  print(f'wrote {out}: zip.pth, legacy.pth, reference.npz (torch {torch.__version__})')


def check(out):
  from infogan_jax.networks import inception
  from infogan_jax.networks import state_dict_files
  reference = np.load(os.path.join(out, 'reference.npz'))
  for file in ('zip.pth', 'legacy.pth'):
    path = os.path.join(out, file)
    variables = inception.variables_from_state_dict(state_dict_files.read(path), path)
    for i, _ in enumerate(IMAGE_SHAPES):
      got = inception.features(variables, reference[f'images{i}'])
      for name in BLOCK_NAMES:
        want = reference[f'{name}{i}']
        diff = float(np.max(np.abs(np.asarray(got[name]) - want)))
        scale = float(np.max(np.abs(want)))
        print(f'{file} images{i} {tuple(reference[f"images{i}"].shape)} {name}: max |diff| '
              f'{diff:.2e} (max |value| {scale:.2e})')


if __name__ == '__main__':
  {'make': make, 'check': check}[sys.argv[1]](sys.argv[2])
