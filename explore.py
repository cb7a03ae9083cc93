"""Explore a trained run's codes in the browser.

    python explore.py --workdir=runs/mnist [--port=8050] [--step=N]

then open http://127.0.0.1:8050/. Buttons pick each categorical code's value, sliders
move the continuous codes over [-2, 2] and interpolate the noise between two seeds; an
upload shows Q's inferred codes and D's probability for a real digit. The server answers
on 127.0.0.1 only unless --host names another interface and --allow_remote is given.
"""
from absl import app, flags, logging
from ml_collections import config_flags

from infogan_jax import cli

FLAGS = flags.FLAGS
flags.DEFINE_string('workdir', None, 'The training workdir (holds checkpoints/).')
flags.DEFINE_integer('port', 8050, 'Port to serve on (0: any free port).')
flags.DEFINE_string('host', '127.0.0.1', 'Interface to serve on.')
flags.DEFINE_bool('allow_remote', False,
                  'Serve on a --host other than this machine (no authentication).')
config_flags.DEFINE_config_file(
    'config', None, 'Only for a workdir without config.json: the config it was trained with.',
    lock_config=True)
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  from infogan_jax.explorer import server as explorer

  def serve():
    try:
      warning = explorer.check_host(FLAGS.host, FLAGS.allow_remote)
    except explorer.RequestError as e:
      cli.fail('explore.py', str(e))
    if warning:
      print(warning, flush=True)
    try:
      server = explorer.make_server(explorer.Explorer(FLAGS.workdir, FLAGS.config),
                                    FLAGS.host, FLAGS.port)
    except OSError as e:   # the port is taken, say
      cli.fail('explore.py', f'cannot serve on {FLAGS.host}:{FLAGS.port}: {e.strerror or e}')
    host, port = server.server_address[:2]
    host = f'[{host}]' if ':' in host else host   # an IPv6 address in a URL
    print(f'Explorer for {FLAGS.workdir} on http://{host}:{port}/ (Ctrl-C stops it)',
          flush=True)
    try:
      server.serve_forever()
    except KeyboardInterrupt:
      pass
    finally:
      server.server_close()

  cli.run('explore.py', None, serve)


if __name__ == '__main__':
  app.run(main, flags_parser=cli.flags_parser('explore.py'))
