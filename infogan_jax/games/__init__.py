"""The games: each a training state and a step built from the parts (networks/,
objectives/). `infogan` plays InfoGAN and the family members that are InfoGAN with other
terms; `vaegan` adds an encoder; `cyclegan` translates between two image domains.
`create_train_state` and `train_step` here pick the game a config or a state belongs to
(what the training loop calls)."""
import importlib


def _game(name):   # imported on use: games.common is imported by modules games import
  return importlib.import_module(f'{__name__}.{name}')


def name(config) -> str:
  """The game a config plays: 'cyclegan' with config.cyclegan.enabled, 'vaegan' with
  config.vae.encoder, else 'infogan'."""
  if config.cyclegan.enabled:
    return 'cyclegan'
  return 'vaegan' if config.vae.encoder else 'infogan'


def _for_config(config):
  return _game(name(config))


def _of(game_or_state):
  """The game module a Game or TrainState belongs to."""
  for module in (_game('cyclegan'), _game('vaegan')):
    if isinstance(game_or_state, (module.Game, module.TrainState)):
      return module
  return _game('infogan')


def plays(game_or_state) -> str:
  """The name of the game a Game or TrainState belongs to ('infogan', 'vaegan', ...)."""
  return _of(game_or_state).__name__.rsplit('.', 1)[-1]


def create_train_state(config, rng):
  """The state of the game `config` plays; validates the config first."""
  return _for_config(config).create_train_state(config, rng)


def game_from_config(config):
  """The Game a validated config plays: where a run's config becomes the parts' settings."""
  return _for_config(config).game_from_config(config)


def init_state(game, rng):
  """A fresh state of `game` (from game_from_config), its networks initialised from `rng`."""
  return _of(game).init_state(game, rng)


def train_step(state, batch, rng, latents=None, axis_name=None):
  """The step of the game `state` belongs to."""
  return _of(state).train_step(state, batch, rng, latents=latents, axis_name=axis_name)


def step_rng(seed: int, step):
  """The key of one step (streams.step_key): a pure function of (seed, step)."""
  return _game('infogan').step_rng(seed, step)


def generate(state, latents):
  """Images for given latents, BatchNorm in inference mode (any game's state)."""
  return _game('infogan').generate(state, latents)


def infer(state, images):
  """(D's logits, Q's split output) for images, BatchNorm in inference mode."""
  return _game('infogan').infer(state, images)


def translate(state, images, direction: str):
  """CycleGAN's translation of images: G(x) for direction 'x2y', F(y) for 'y2x'."""
  cyclegan = _game('cyclegan')
  return cyclegan.translate(state.game, state.g_params, images, direction)


def encode(state, images):
  """VAE-GAN's posterior (mean, log_var) for images."""
  return _game('vaegan').encode(state, images)


def discriminator_features(state, images):
  """D_l(x), D's features where VAE-GAN measures reconstructions: [N, F]."""
  return _game('infogan').discriminator_features(state, images)
