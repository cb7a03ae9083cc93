"""Train InfoGAN.

    python train.py --config=configs/mnist.py --workdir=runs/mnist [--config.num_train_steps=N]

Re-running the same command on the same workdir resumes from its last checkpoint.
"""
from absl import app, flags, logging
from ml_collections import config_flags

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Path to a config file (configs/*.py).',
                                lock_config=True)
flags.DEFINE_string('workdir', None, 'Where checkpoints, logs and samples go.')
flags.mark_flags_as_required(['config', 'workdir'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it renames at INFO
  from infogan_jax import trainer  # after flag parsing: keeps --help fast
  from infogan_jax.config_validation import ConfigError
  from infogan_jax.input_pipeline import DatasetUnavailableError
  try:
    trainer.train_and_evaluate(FLAGS.config, FLAGS.workdir)
  except (ConfigError, DatasetUnavailableError) as e:
    raise app.UsageError(str(e), exitcode=2) from None


if __name__ == '__main__':
  app.run(main)
