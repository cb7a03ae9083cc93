"""A latent-code explorer in the browser: `python explore.py --workdir=runs/mnist`.

One page (page.html, a static file beside this module) with a control per code: a button
row per categorical code, a slider per continuous code over [-2, 2], a reseed button and a
slider that interpolates the noise between two seeds; a grid (one row per value of the
first categorical code, ten noise draws) and one large sample follow every move. An
upload box shows Q's inferred codes and D's probability for a real image. For 2-D toy
runs (ring8) the grid is the plane, points coloured by category.

The server is the standard library's `http.server` (ThreadingHTTPServer): a page and
three JSON endpoints need nothing more, and it adds no dependency. Pillow (installed with
matplotlib) encodes the PNGs. Everything is served from here: the page works offline.

`Explorer.handle(method, path, body)` answers a request without a network (the tests call
it directly); every problem becomes a JSON {"error": message} with status 400 (404 for an
unknown path, 413 for too much), and the server keeps running. On the network
(`make_server`) a request must also name this server in its Host and, if it has one, its
Origin (403 otherwise: no other web page can drive it, or read it by DNS rebinding), and
its body is read up to its Content-Length within MAX_UPLOAD_BYTES; IPv6 loopback too.

    GET  /                the page
    GET  /api/info        the run: latent layout, checkpoints, labels of a guided code
    POST /api/generate    {"seed", "seed2", "mix", "cat": [...], "cont": [...], "step"}
                          -> {"grid": PNG data URL, "single": PNG data URL, "ms"}
    POST /api/infer       image file bytes (PNG, JPEG, ...) -> Q's posterior, D's probability

A CycleGAN run (configs/cyclegan.py) gets its own page (translation.html): a test image of
either domain, or an upload, with its translations both ways and their cycles.

    GET  /api/info        the run: its two domains, checkpoints, test images per domain
    POST /api/translate   {"domain": "x"|"y", "index": test image, "step"} -> the image,
                          G(image), F(G(image)), F(image), G(F(image)) as PNG data URLs
    POST /api/translate?step=N   image file bytes: the same for an uploaded image
"""
from __future__ import annotations

import base64
import importlib.resources
import http.server
import io
import ipaddress
import json
import os
import re
import socket
import threading
import time
import urllib.parse
import warnings
from typing import Optional

import numpy as np

from infogan_jax import api
from infogan_jax.training import checkpointing
from infogan_jax.data import input_pipeline
from infogan_jax.networks import models
from infogan_jax.training import workdir as workdir_lib
from infogan_jax.errors import UserError
from infogan_jax.networks.latents import TRAVERSAL_RANGE, Latents

CONT_RANGE = TRAVERSAL_RANGE   # the sliders' range, and what /api/generate accepts
GRID_COLUMNS = 10          # noise draws per row of the grid
POINTS_PER_CATEGORY = 60   # 2-D runs: points drawn per category in the plane
# What one request may make the server hold. The body is read from the socket up to these
# sizes, whatever its Content-Length says: an upload (an image file), or a JSON request
# (the page's are a few hundred bytes, nested two deep).
MAX_UPLOAD_BYTES = 10 * 2**20
MAX_JSON_BYTES = 64 * 2**10
MAX_JSON_DEPTH = 8
# An upload's pixels, checked from its header before it is decoded: a small file can
# state any size (a 389 KB PNG of 20000x20000). 4096x4096 holds any photo of a digit;
# decoding it takes at most 64 MB, and at most MAX_DECODING uploads are decoded at once.
MAX_UPLOAD_PIXELS = 4096 * 4096
MAX_DECODING = 2
# Connections the kernel queues while every thread is busy (a page's burst of requests).
LISTEN_BACKLOG = 128
# The page: a static file of the package (HTML, CSS and JavaScript, no external assets).
PAGE = importlib.resources.files(__package__).joinpath('page.html').read_bytes()
TRANSLATION_PAGE = importlib.resources.files(__package__).joinpath(
    'translation.html').read_bytes()
LOOPBACK_HOSTS = ('127.0.0.1', 'localhost', '::1')


class RequestError(ValueError):
  """A request the page (or a user of the API) can fix: answered with `status` (400
  unless said)."""

  def __init__(self, message: str, status: int = 400):
    super().__init__(message)
    self.status = status


class Explorer:
  """A trained run, loaded lazily (latest checkpoint or a chosen step), and the answers
  to the page's requests."""

  def __init__(self, workdir: str, config=None):
    self.workdir, self.config = workdir, config
    self._models = {}
    self._noise = {}
    self._test_sets = {}   # CycleGAN's test images, by dataset
    self._lock = threading.Lock()

  # --- the run ------------------------------------------------------------------------
  def steps(self):
    return checkpointing.complete_steps(workdir_lib.checkpoint_dir(self.workdir))

  def model(self, step: Optional[int] = None) -> api.InfoGAN:
    """The model at `step` (default: the latest checkpoint), cached; raises UserError."""
    if step is None:
      steps = self.steps()
      step = steps[-1] if steps else None
    with self._lock:
      key = self._checkpoint(step)
      if key is not None and key in self._models:
        return self._models[key]
      model = api.load(self.workdir, self.config, step)   # names what is missing
      key = self._checkpoint(model.step)
      if key is None:   # deleted meanwhile (a trainer rotating its checkpoints)
        return model
      self._models[key] = model
      while len(self._models) > 3:   # two checkpoints to compare, and the latest
        self._models.pop(next(iter(self._models)))
      return model

  def _checkpoint(self, step: Optional[int]):
    """What a cached model is the model of: the step's checkpoint folder itself, not its
    number (a --restart of the workdir writes another model's checkpoints at the same
    steps); None if there is none."""
    try:
      folder = os.stat(os.path.join(workdir_lib.checkpoint_dir(self.workdir), str(step)))
    except (OSError, ValueError):
      return None
    return step, folder.st_dev, folder.st_ino, folder.st_mtime_ns

  def info(self) -> dict:
    try:
      model = self.model()
    except UserError as e:   # e.g. no checkpoint yet: the page says so and can retry
      return {'error': str(e), 'workdir': self.workdir}
    if _is_cyclegan(model):
      return {'workdir': self.workdir, 'step': model.step, 'steps': self.steps(),
              'game': 'cyclegan', 'dataset': model.config.dataset,
              'domain_y': model.config.cyclegan.domain_y,
              'image_shape': list(model.image_shape),
              'test_images': {d: len(self._test_images(model, d)[0]) for d in ('x', 'y')}}
    spec, config = model.spec, model.config
    guided = spec.guided
    labels = None
    if guided >= 0:   # ss-InfoGAN: the guided code's value is the label
      labels = input_pipeline.class_names(config.dataset)
    return {'workdir': self.workdir, 'step': model.step, 'steps': self.steps(),
            'dataset': config.dataset, 'points': _is_points(model),
            'categorical': list(spec.categorical), 'continuous': spec.continuous,
            'noise_dim': spec.noise_dim, 'guided_code': guided, 'guided_labels': labels,
            'cont_range': list(CONT_RANGE), 'image_shape': list(model.image_shape),
            'grid_columns': GRID_COLUMNS}

  # --- generation -----------------------------------------------------------------------
  def generate(self, request: dict) -> dict:
    model = self.model(_optional_int(request, 'step'))
    _no_codes_in(model)
    spec = model.spec
    seed, seed2 = _int(request, 'seed', 0), _int(request, 'seed2', 1)
    mix = _number(request, 'mix', 0.0, (0.0, 1.0))
    cat = request.get('cat', [0] * len(spec.categorical))
    cont = request.get('cont', [0.0] * spec.continuous)
    if not isinstance(cat, list) or len(cat) != len(spec.categorical):
      raise RequestError(f'cat must list one value per categorical code '
                         f'({len(spec.categorical)}), got {cat!r}')
    for j, (value, k) in enumerate(zip(cat, spec.categorical)):
      if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < k:
        raise RequestError(f'categorical code {j} has {k} categories (0..{k - 1}), got '
                           f'{value!r}')
    if not isinstance(cont, list) or len(cont) != spec.continuous:
      raise RequestError(f'cont must list one value per continuous code ({spec.continuous}),'
                         f' got {cont!r}')
    for j, value in enumerate(cont):
      if (isinstance(value, bool) or not isinstance(value, (int, float))
          or not CONT_RANGE[0] <= value <= CONT_RANGE[1]):
        raise RequestError(f'continuous code {j} must be a number in [{CONT_RANGE[0]:g}, '
                           f'{CONT_RANGE[1]:g}], got {value!r}')

    points = _is_points(model)
    columns = POINTS_PER_CATEGORY if points else GRID_COLUMNS
    rows = spec.categorical[0] if spec.categorical else GRID_COLUMNS
    n = rows * columns
    # With a first categorical code, its rows share the same noise draws; without one,
    # every cell has a draw of its own.
    draws = columns if spec.categorical else n
    noise = ((1 - mix) * self._noise_draws(model, seed, draws)
             + mix * self._noise_draws(model, seed2, draws))
    codes = np.tile(np.asarray(cat, np.int32), (n, 1))
    if spec.categorical:
      codes[:, 0] = np.repeat(np.arange(rows), columns)
      noise = np.tile(noise, (rows, 1))
    latents = Latents(noise.astype(np.float32), codes,
                      np.tile(np.asarray(cont, np.float32), (n, 1)))
    start = time.perf_counter()
    samples = model.generate(latents=latents)
    selected = cat[0] if spec.categorical else 0
    if points:
      grid = _plane_png(samples, np.repeat(np.arange(rows), columns), rows, selected)
      single = None
    else:
      unit = np.clip(models.to_unit(samples, model.config.model.output_activation), 0, 1)
      grid = _png(_tile(unit, rows, columns))
      single = _png(unit[selected * columns])
    return {'grid': grid, 'single': single, 'step': model.step,
            'ms': round(1000 * (time.perf_counter() - start), 1)}

  def _noise_draws(self, model, seed: int, count: int) -> np.ndarray:
    import jax
    key = (model.spec.noise_dim, model.spec.noise_prior, seed, count)
    if key not in self._noise:
      if len(self._noise) > 64:
        self._noise.clear()
      self._noise[key] = np.asarray(model.spec.sample_noise(jax.random.key(seed), count))
    return self._noise[key]

  # --- CycleGAN's translations -----------------------------------------------------------
  def _test_images(self, model, domain: str):
    """(uint8 images, labels) of a domain's test split, read once."""
    data = input_pipeline.DataSettings.from_config(model.config)
    data = data if domain == 'x' else data.second_domain()
    if data.dataset not in self._test_sets:   # by dataset: a restarted run may change it
      self._test_sets[data.dataset] = input_pipeline.load_split_uint8(data, 'test')
    return self._test_sets[data.dataset]

  def translate(self, request: dict, body: Optional[bytes] = None,
                step: Optional[int] = None) -> dict:
    """A test image ({"domain", "index"}) or an uploaded one (`body`) and its translations."""
    model = self.model(step if body is not None else _optional_int(request, 'step'))
    if not _is_cyclegan(model):
      raise RequestError('this run is not a CycleGAN run: translations need one '
                         '(configs/cyclegan.py)')
    notes, label = [], None
    if body is not None:
      image, notes = decode_image(body, model.image_shape)
    else:
      domain = request.get('domain', 'x')
      if domain not in ('x', 'y'):
        raise RequestError(f'domain must be "x" or "y", got {domain!r}')
      images, labels = self._test_images(model, domain)
      index = _int(request, 'index', 0)
      if index >= len(images):
        raise RequestError(f'index must be below the {len(images)} test images of domain '
                           f'{domain}, got {index}')
      image, label = images[index], int(labels[index])
    x = image[None]
    to_y, to_x = model.translate(x, 'x2y'), model.translate(x, 'y2x')
    unit = lambda a: np.clip(models.to_unit(a[0], model.config.model.output_activation), 0, 1)
    return {'step': model.step, 'notes': notes, 'label': label,
            'image': _png(image.astype(np.float32) / 255.0),
            'x2y': _png(unit(to_y)), 'x2y_back': _png(unit(model.translate(to_y, 'y2x'))),
            'y2x': _png(unit(to_x)), 'y2x_back': _png(unit(model.translate(to_x, 'x2y')))}

  # --- inference ----------------------------------------------------------------------
  def infer(self, body: bytes, step: Optional[int] = None) -> dict:
    model = self.model(step)
    _no_codes_in(model)
    if _is_points(model):
      raise RequestError(f'this run ({model.config.dataset}) learns 2-D points, not images: '
                         'uploads are for image runs')
    image, notes = decode_image(body, model.image_shape)
    posterior = model.infer(image[None])
    spec = model.spec
    return {'step': model.step, 'notes': notes,
            'cat_probs': [None if p is None else p[0].round(4).tolist()
                          for p in posterior['cat_probs']],
            'cont_mean': posterior['cont_mean'][0].round(3).tolist(),
            'd_prob': round(float(posterior['d_prob'][0]), 4),
            'guided_code': spec.guided,
            'image': _png(image.astype(np.float32) / 255.0)}

  # --- requests -------------------------------------------------------------------------
  def page(self) -> bytes:
    """The page of the run's game: CycleGAN's translations, or the latent-code explorer
    (also while there is no checkpoint yet: it says so and retries)."""
    try:
      cyclegan = _is_cyclegan(self.model())
    except UserError:
      cyclegan = False
    return TRANSLATION_PAGE if cyclegan else PAGE

  def handle(self, method: str, path: str, body: bytes = b''):
    """(status, content type, body bytes) for one request; never raises for bad input."""
    route, _, query = path.partition('?')
    try:
      if method == 'GET' and route == '/':
        return 200, 'text/html; charset=utf-8', self.page()
      if method == 'GET' and route == '/api/info':
        return _json(200, self.info())
      if method == 'POST' and route == '/api/generate':
        return _json(200, self.generate(_json_body(body)))
      if method == 'POST' and route == '/api/translate':
        step = query.split('step=')[1] if 'step=' in query else ''
        if body[:1] == b'{' or not body:   # a test image, by JSON; else an image file
          return _json(200, self.translate(_json_body(body)))
        return _json(200, self.translate({}, body, int(step) if step.isdigit() else None))
      if method == 'POST' and route == '/api/infer':
        step = query.split('step=')[1] if 'step=' in query else ''
        return _json(200, self.infer(body, int(step) if step.isdigit() else None))
      return _json(404, {'error': f'no such page: {method} {route}'})
    except RequestError as e:
      return _json(e.status, {'error': str(e)})
    except UserError as e:
      return _json(400, {'error': str(e)})
    except Exception as e:   # a bug: say so on the page, keep serving
      return _json(500, {'error': f'internal error ({type(e).__name__}: {e}); the '
                                  'server keeps running'})


# --- helpers ----------------------------------------------------------------------------
def _is_points(model) -> bool:
  return len(model.image_shape) == 1


def _is_cyclegan(model) -> bool:
  return isinstance(model, api.CycleGAN)


def _no_codes_in(model) -> None:
  if _is_cyclegan(model):
    raise RequestError('this CycleGAN run has no latent codes to set or infer: its page '
                       'translates images (POST /api/translate)')


def _json(status, payload):
  return status, 'application/json', json.dumps(payload).encode()


def _json_body(body: bytes) -> dict:
  if len(body) > MAX_JSON_BYTES:
    raise RequestError(f'the request is {len(body)} bytes; a JSON request is at most '
                       f'{MAX_JSON_BYTES}', status=413)
  try:
    text = body.decode() or '{}'
  except UnicodeDecodeError:
    raise RequestError('the request body must be JSON') from None
  if _nesting(text) > MAX_JSON_DEPTH:   # json.loads recurses: bounded before it runs
    raise RequestError(f'the request is nested more than {MAX_JSON_DEPTH} deep')
  try:
    request = json.loads(text)
  except ValueError:
    raise RequestError('the request body must be JSON') from None
  if not isinstance(request, dict):
    raise RequestError('the request body must be a JSON object')
  return request


def _nesting(text: str) -> int:
  """How deep JSON text's brackets nest (outside strings)."""
  depth = deepest = 0
  for bracket in re.findall(r'[\[\]{}]', re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)):
    depth += 1 if bracket in '[{' else -1
    deepest = max(deepest, depth)
  return deepest


def _int(request, name, default):
  value = request.get(name, default)
  if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
    raise RequestError(f'{name} must be an integer in [0, 2^31), got {value!r}')
  return value


def _optional_int(request, name):
  return None if request.get(name) is None else _int(request, name, None)


def _number(request, name, default, bounds):
  value = request.get(name, default)
  if (isinstance(value, bool) or not isinstance(value, (int, float))
      or not bounds[0] <= value <= bounds[1]):
    raise RequestError(f'{name} must be a number in [{bounds[0]:g}, {bounds[1]:g}], got '
                       f'{value!r}')
  return float(value)


def decode_image(body: bytes, shape) -> tuple:
  """An uploaded image file -> (uint8 [H, W, C] in the run's shape, notes on what was
  changed): converted to grey, resized, and inverted when the digit is dark on light (MNIST
  digits are light on dark)."""
  from PIL import Image, UnidentifiedImageError
  if not body:
    raise RequestError('the upload is empty: choose an image file (PNG, JPEG, ...)')
  if len(body) > MAX_UPLOAD_BYTES:
    raise RequestError(f'the upload is {len(body)} bytes; at most {MAX_UPLOAD_BYTES} are '
                       'read', status=413)
  unreadable = RequestError('the upload is not an image this server can read (PNG, JPEG, '
                            f'GIF, BMP, ...); expected a digit, ideally {shape[1]}x{shape[0]} '
                            'grey')
  with warnings.catch_warnings():   # PIL warns of large images: they are refused below
    warnings.simplefilter('ignore', Image.DecompressionBombWarning)
    try:
      image = Image.open(io.BytesIO(body))   # reads the header only
      size = '{}x{}'.format(*image.size)
    except Image.DecompressionBombError as e:   # PIL's own refusal, at a larger size
      image, size = None, (re.findall(r'(\d+) pixels', str(e)) or ['too many'])[0]
    except (UnidentifiedImageError, OSError, ValueError):
      raise unreadable from None
  if image is None or image.size[0] * image.size[1] > MAX_UPLOAD_PIXELS:
    raise RequestError(f'the upload is {size} pixels; at most {MAX_UPLOAD_PIXELS} pixels are '
                       f'decoded (a digit needs {shape[1]}x{shape[0]}): scale it down',
                       status=413)
  with _DECODING:
    try:
      image.load()
    except (OSError, ValueError):
      raise unreadable from None
    return _to_run_shape(image, shape)


_DECODING = threading.BoundedSemaphore(MAX_DECODING)


def _to_run_shape(image, shape) -> tuple:
  """A decoded PIL image as the run's uint8 [H, W, C], and notes on what was changed."""
  from PIL import Image
  notes = []
  height, width, channels = shape
  if channels == 1 and image.mode != 'L':
    notes.append(f'converted from {image.mode} to grey')
    image = image.convert('L')
  elif channels == 3 and image.mode != 'RGB':
    image = image.convert('RGB')
  if image.size != (width, height):
    notes.append(f'resized from {image.size[0]}x{image.size[1]} to {width}x{height}')
    image = image.resize((width, height), Image.BILINEAR)
  array = np.asarray(image, np.uint8).reshape(height, width, channels)
  if array.mean() > 127:
    notes.append('inverted (dark on light; MNIST digits are light on dark)')
    array = 255 - array
  return array, notes


def _tile(images: np.ndarray, rows: int, columns: int) -> np.ndarray:
  n, h, w, c = images.shape
  return images.reshape(rows, columns, h, w, c).transpose(0, 2, 1, 3, 4).reshape(
      rows * h, columns * w, c)


def _png(image01: np.ndarray) -> str:
  """[H, W, C] in [0, 1] -> a PNG data URL."""
  from PIL import Image
  pixels = np.round(np.clip(image01, 0, 1) * 255).astype(np.uint8)
  pixels = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
  return _data_url(Image.fromarray(pixels))


def _data_url(image) -> str:
  """A PIL image as a PNG data URL (fast compression: it is sent once)."""
  buffer = io.BytesIO()
  image.save(buffer, format='PNG', compress_level=1)
  return 'data:image/png;base64,' + base64.b64encode(buffer.getvalue()).decode()


_PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _plane_png(points: np.ndarray, categories: np.ndarray, rows: int, selected: int,
               size: int = 320, extent: float = 1.6) -> str:
  """2-D samples as dots in the plane, coloured by category; the selected one larger."""
  from PIL import Image, ImageDraw
  image = Image.new('RGB', (size, size), (255, 255, 255))
  draw = ImageDraw.Draw(image)
  draw.line([(0, size / 2), (size, size / 2)], fill=(220, 220, 220))
  draw.line([(size / 2, 0), (size / 2, size)], fill=(220, 220, 220))
  scale = size / (2 * extent)
  for (x, y), k in sorted(zip(points.tolist(), categories.tolist()),
                          key=lambda p: p[1] == selected):
    r = 4 if k == selected else 2
    cx, cy = (x + extent) * scale, (extent - y) * scale
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_PALETTE[k % len(_PALETTE)])
  return _data_url(image)


# --- the server ---------------------------------------------------------------------------
def check_host(host: str, allow_remote: bool) -> Optional[str]:
  """None for a loopback host; a warning for another one when `allow_remote`; else raises
  RequestError naming the flag."""
  loopback = host in LOOPBACK_HOSTS
  if not loopback:
    try:
      loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
      pass
  if loopback:
    return None
  if not allow_remote:
    raise RequestError(f'--host={host} would serve the explorer beyond this machine; it '
                       'answers anyone who can reach the port. Pass --allow_remote to do so.')
  return (f'warning: serving on {host}: anyone who can reach this port can use the '
          'explorer (it has no authentication)')


def allowed_hosts(host: str) -> Optional[frozenset]:
  """The names a request's Host header may give for a server bound to `host`: the
  loopback names and that address (None: any, for a server on every interface, which
  --allow_remote opens to anyone anyway)."""
  if host in ('', '0.0.0.0', '::'):
    return None
  return frozenset(LOOPBACK_HOSTS) | {host.lower().strip('[]')}


def refusal(headers, hosts: Optional[frozenset], port: int) -> Optional[str]:
  """Why a request's Host and Origin headers are refused (None: they are fine).

  Host must name this server: a web page that points its own name at 127.0.0.1 (DNS
  rebinding) would otherwise read the answers. Origin, which browsers send with a page's
  POST and cross-origin requests, must be this server: any other page the user visits
  (another port of localhost too) could otherwise drive it.
  """
  host = headers.get('Host')
  name = _netloc(host)[0] if host else None
  if name is None or (hosts is not None and name not in hosts):
    return (f'Host {host!r} is not this server: open the explorer at the address '
            'explore.py printed')
  origin = headers.get('Origin')
  if origin is not None:
    scheme, _, netloc = origin.partition('://')
    origin_name, origin_port = _netloc(netloc) if scheme == 'http' else (None, None)
    if (origin_name not in (hosts or {name})) or (origin_port or 80) != port:
      return (f'requests from another page ({origin}) are refused: the Origin is not '
              'this server')
  return None


def _netloc(netloc: str) -> tuple:
  """(host name in lower case, port or None) of 'name[:port]' or '[v6]:port'; (None, None)
  if it is not one."""
  try:
    parts = urllib.parse.urlsplit(f'//{netloc}')
    if parts.path or parts.query or parts.username is not None or not parts.hostname:
      return None, None
    return parts.hostname, parts.port
  except ValueError:   # a port that is not a number
    return None, None


def _content_length(headers) -> int:
  """The body's length, refused (RequestError) unless it is a number we may read."""
  if headers.get('Transfer-Encoding') is not None:
    raise RequestError('send the request with a Content-Length (no Transfer-Encoding)',
                       status=411)
  text = headers.get('Content-Length') or '0'
  if not (text.isascii() and text.isdigit()):
    raise RequestError(f'Content-Length must be a number of bytes, got {text!r}')
  length = int(text)
  if length > MAX_UPLOAD_BYTES:
    raise RequestError(f'the upload is {length} bytes; at most {MAX_UPLOAD_BYTES} are read',
                       status=413)
  return length


def make_server(explorer: Explorer, host: str = '127.0.0.1', port: int = 0):
  """A ThreadingHTTPServer answering with `explorer` (port 0: a free one) on `host`, an
  IPv4 or IPv6 address or a name. Every request's Host and Origin are checked (`refusal`),
  and its body is read up to its Content-Length within MAX_UPLOAD_BYTES, with a timeout."""

  class Handler(http.server.BaseHTTPRequestHandler):
    timeout = 60   # seconds a client may take to send a request

    def _answer(self, method):
      try:
        problem = refusal(self.headers, hosts, self.server.server_address[1])
        if problem:
          raise RequestError(problem, status=403)
        length = _content_length(self.headers)
        body = self.rfile.read(length) if length else b''
        if len(body) < length:
          raise RequestError(f'the body ended after {len(body)} of its {length} bytes')
        status, kind, answer = explorer.handle(method, self.path, body)
      except RequestError as e:
        self.close_connection = True   # what the client still sends is not read
        status, kind, answer = _json(e.status, {'error': str(e)})
      except (TimeoutError, ConnectionError):   # a client too slow, or gone
        self.close_connection = True
        return
      self.send_response(status)
      self.send_header('Content-Type', kind)
      self.send_header('Content-Length', str(len(answer)))
      self.send_header('Cache-Control', 'no-store')
      self.end_headers()
      self.wfile.write(answer)

    def do_GET(self):
      self._answer('GET')

    def do_POST(self):
      self._answer('POST')

    def log_message(self, *args):   # quiet: one line per slider move is noise
      pass

  class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG
    address_family = socket.AF_INET6 if ':' in host else socket.AF_INET

  hosts = allowed_hosts(host)
  return Server((host, port), Handler)
