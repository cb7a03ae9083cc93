"""Evaluate a trained InfoGAN workdir.

    python eval.py --config=configs/mnist.py --workdir=runs/mnist [--step=N] [--samples_only]

Frechet distance, classifier score and purity need an MNIST classifier, trained once:

    python eval.py --config=configs/mnist.py --train_classifier
"""
from absl import app, flags, logging
from ml_collections import config_flags

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'The config the run was trained with.',
                                lock_config=True)
flags.DEFINE_string('workdir', None, 'The training workdir (holds checkpoints/).')
flags.DEFINE_integer('step', None, 'Checkpoint step to evaluate (default: the latest).')
flags.DEFINE_bool('samples_only', False, 'Only restore the checkpoint and save sample grids.')
flags.DEFINE_bool('train_classifier', False,
                  'Train the MNIST classifier into config.eval.classifier_dir and exit.')
flags.mark_flags_as_required(['config'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.set_verbosity(logging.WARNING)
  from infogan_jax import classifier, evaluation
  if FLAGS.train_classifier:
    meta = classifier.train(FLAGS.config)
    if meta['test_accuracy'] < 0.99:
      raise app.UsageError(f'classifier reached only {meta["test_accuracy"]:.4f} test '
                           'accuracy (< 0.99); train again with more epochs', exitcode=1)
    return
  if not FLAGS.workdir:
    raise app.UsageError('--workdir is required (the training run to evaluate)')
  try:
    evaluation.run(FLAGS.config, FLAGS.workdir, step=FLAGS.step,
                   samples_only=FLAGS.samples_only)
  except evaluation.EvaluationError as e:
    raise app.UsageError(str(e), exitcode=2) from None


if __name__ == '__main__':
  app.run(main)
