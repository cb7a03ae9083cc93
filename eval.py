"""Evaluate a trained InfoGAN workdir.

    python eval.py --config=configs/mnist.py --workdir=runs/mnist [--step=N] [--samples_only]

A workdir of several seeds trained together (config.num_seeds) is evaluated seed by seed,
with a table of every seed and the median, min and max of the headline metrics.

Frechet distance, classifier score and purity need an MNIST classifier, trained once:

    python eval.py --config=configs/mnist.py --train_classifier

Samples that any model made, measured the same way against the MNIST test set (a folder of
PNGs, optionally with labels.txt, or an .npz of 'images' and optional 'labels'; --workdir,
if given, receives metrics.json and report.md):

    python eval.py --config=configs/mnist.py --images=PATH [--workdir=OUT]
"""
# Before JAX starts a thread: glibc's malloc keeps freed memory, as in train.py (the
# classifier fits of --generated_data and --train_classifier run 1.5x faster so).
from infogan_jax.training import host_memory
host_memory.keep_freed_memory()

from absl import app, flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

from infogan_jax import cli  # noqa: E402

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'The config the run was trained with.',
                                lock_config=True)
flags.DEFINE_string('workdir', None, 'The training workdir (holds checkpoints/).')
flags.DEFINE_integer('step', None, 'Checkpoint step to evaluate (default: the latest).')
flags.DEFINE_bool('samples_only', False, 'Only restore the checkpoint and save sample grids.')
flags.DEFINE_bool('train_classifier', False,
                  'Train the MNIST classifier into config.eval.classifier_dir and exit.')
flags.DEFINE_bool('generated_data', False, 'Also measure generated digits as training data: '
                  'CAS and the augmentation study (MNIST, a class code; minutes on a CPU; '
                  'with config.num_seeds > 1 the augmentation study on the first seed).')
flags.DEFINE_string('images', None, 'Measure these samples instead of a run: a folder of PNGs '
                    '(labels.txt optional) or an .npz (images, labels optional).')
flags.mark_flags_as_required(['config'])


def main(argv):
  del argv  # cli.flags_parser refused extra arguments
  if not FLAGS.workdir and not FLAGS.train_classifier and FLAGS.images is None:
    cli.fail('eval.py', '--workdir is required (the training run to evaluate)')
  if FLAGS.images is not None and (FLAGS.train_classifier or FLAGS.samples_only
                                   or FLAGS.step is not None or FLAGS.generated_data):
    cli.fail('eval.py', '--images measures files, not a run: it goes without '
                        '--train_classifier, --samples_only, --step and --generated_data')
  logging.set_verbosity(logging.WARNING)
  from infogan_jax.evaluation import report as evaluation
  from infogan_jax.training import workdir  # after flag parsing: keeps --help fast

  def evaluate():
    if FLAGS.train_classifier:
      evaluation.train_classifier(FLAGS.config)
    elif FLAGS.images is not None:
      evaluation.run_images(FLAGS.config, FLAGS.images, FLAGS.workdir)
    elif workdir.seed_workdirs(FLAGS.workdir) and not workdir.has_run(FLAGS.workdir):
      evaluation.run_seeds(FLAGS.config, FLAGS.workdir, step=FLAGS.step,
                           samples_only=FLAGS.samples_only,
                           generated_data=FLAGS.generated_data)
    else:
      evaluation.run(FLAGS.config, FLAGS.workdir, step=FLAGS.step,
                     samples_only=FLAGS.samples_only, generated_data=FLAGS.generated_data)
  run_dir = None if FLAGS.train_classifier or FLAGS.images is not None else FLAGS.workdir
  cli.run('eval.py', run_dir, evaluate)


if __name__ == '__main__':
  app.run(main, flags_parser=cli.flags_parser('eval.py'))
