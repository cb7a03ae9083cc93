"""InfoGAN on MNIST with digit classes on every seed, by selection: the paper's objective
(configs/mnist.py, unchanged), trained as two restarts per model in one program, of which
eval.py keeps the run whose Q is more confident and more balanced on unlabelled training
images (Q's I(x; c0) = H(mean q) - mean H(q); no labels are used).

    python train.py --config=configs/mnist_robust.py --workdir=runs/mnist_robust
    python eval.py --config=configs/mnist_robust.py --workdir=runs/mnist_robust
    # five models: --config.num_seeds=10 on both commands (seed pairs 0-1, 2-3, ...)

Why: the objective's failures are whole solutions (a category holding two digits, a digit
split over two), not noise, and they lower Q's I(x; c0) on real digits. Measured
(docs/results.md, one GPU, 5,000 steps): among runs of the same step the criterion kept the
more accurate run of a pair in every pair tried; label-free remedies inside the objective
(configs/mnist_consistency.py) did not help. Costs two runs per model; on a GPU the seeds
train together (MNIST on the device).
"""
from configs import default


def get_config():
  config = default.get_config()
  config.num_seeds = 2
  config.data_placement = 'device'   # several seeds in one program keep MNIST on the device
  config.eval.restarts = 2
  return config
