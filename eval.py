"""Evaluate a trained InfoGAN workdir.

    python eval.py --config=configs/mnist.py --workdir=runs/mnist [--step=N] [--samples_only]

A workdir of several seeds trained together (config.num_seeds) is evaluated seed by seed,
with a table of every seed and the median, min and max of the headline metrics.

Frechet distance, classifier score and purity need an MNIST classifier, trained once:

    python eval.py --config=configs/mnist.py --train_classifier
"""
from absl import app, flags, logging
from ml_collections import config_flags

from infogan_jax import cli

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
  del argv  # cli.flags_parser refused extra arguments
  if not FLAGS.workdir and not FLAGS.train_classifier:
    cli.fail('eval.py', '--workdir is required (the training run to evaluate)')
  logging.set_verbosity(logging.WARNING)
  from infogan_jax.evaluation import report as evaluation
  from infogan_jax.training import workdir  # after flag parsing: keeps --help fast

  def evaluate():
    if FLAGS.train_classifier:
      evaluation.train_classifier(FLAGS.config)
    elif workdir.seed_workdirs(FLAGS.workdir) and not workdir.has_run(FLAGS.workdir):
      evaluation.run_seeds(FLAGS.config, FLAGS.workdir, step=FLAGS.step,
                           samples_only=FLAGS.samples_only)
    else:
      evaluation.run(FLAGS.config, FLAGS.workdir, step=FLAGS.step,
                     samples_only=FLAGS.samples_only)
  cli.run('eval.py', None if FLAGS.train_classifier else FLAGS.workdir, evaluate)


if __name__ == '__main__':
  app.run(main, flags_parser=cli.flags_parser('eval.py'))
