"""The latent-code explorer: its request handlers without a network, then the page in a
real (headless) browser."""
import base64
import io
import json
import os
import select
import shutil
import socket
import struct
import threading
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from configs import ring8
from infogan_jax import api
from infogan_jax.explorer import server as explorer
from infogan_jax.training import loop


def _call(ex, method, path, payload=None, raw=None):
  body = raw if raw is not None else json.dumps(payload or {}).encode()
  status, kind, answer = ex.handle(method, path, body)
  return status, (json.loads(answer) if kind == 'application/json' else answer)


def _image(data_url):
  assert data_url.startswith('data:image/png;base64,')
  return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(',', 1)[1]))))


def _png_bytes(array, mode=None):
  buffer = io.BytesIO()
  Image.fromarray(array, mode).save(buffer, format='PNG')
  return buffer.getvalue()


def test_the_page_and_the_run_are_served(trained_tiny):
  ex = explorer.Explorer(trained_tiny)
  status, page = _call(ex, 'GET', '/')
  assert status == 200 and b'<title>InfoGAN explorer</title>' in page
  assert b'http://' not in page and b'https://' not in page   # no external assets
  status, info = _call(ex, 'GET', '/api/info')
  assert status == 200 and info['categorical'] == [3, 2] and info['continuous'] == 1
  assert info['step'] == 4 and info['steps'][-1] == 4 and not info['points']


def test_generate_follows_the_codes_and_refuses_out_of_range_values(trained_tiny):
  ex = explorer.Explorer(trained_tiny)
  request = {'seed': 3, 'seed2': 4, 'mix': 0.0, 'cat': [1, 0], 'cont': [0.0]}
  status, first = _call(ex, 'POST', '/api/generate', request)
  assert status == 200, first
  grid = _image(first['grid'])
  assert grid.shape == (3 * 28, 10 * 28)      # rows: code 0's 3 values; 10 noise draws
  np.testing.assert_array_equal(_image(first['single']), grid[28:56, :28])   # row 1, draw 0
  moved = _call(ex, 'POST', '/api/generate', dict(request, cont=[1.5]))[1]
  mixed = _call(ex, 'POST', '/api/generate', dict(request, mix=1.0))[1]
  assert not np.array_equal(_image(moved['grid']), grid)
  assert not np.array_equal(_image(mixed['grid']), grid)
  assert np.array_equal(_image(_call(ex, 'POST', '/api/generate', request)[1]['grid']), grid)
  for change, expected in [
      ({'cat': [3, 0]}, 'categorical code 0 has 3 categories (0..2), got 3'),
      ({'cat': [0, -1]}, 'categorical code 1 has 2 categories (0..1), got -1'),
      ({'cat': [0]}, 'cat must list one value per categorical code (2)'),
      ({'cont': [2.5]}, 'continuous code 0 must be a number in [-2, 2], got 2.5'),
      ({'mix': 1.5}, 'mix must be a number in [0, 1]'),
      ({'seed': -1}, 'seed must be an integer'),
      ({'step': 99}, 'No checkpoint for step 99'),
  ]:
    status, answer = _call(ex, 'POST', '/api/generate', dict(request, **change))
    assert status == 400 and expected in answer['error'], (change, answer)
  assert _call(ex, 'POST', '/api/generate', raw=b'{not json')[1]['error'] == \
      'the request body must be JSON'
  assert _call(ex, 'GET', '/nope')[0] == 404


def test_infer_reads_uploads_and_names_what_it_changed(trained_tiny):
  ex = explorer.Explorer(trained_tiny)
  model = api.load(trained_tiny)
  digit = np.round((model.generate(n=1)[0, ..., 0] + 1) * 127.5).astype(np.uint8)
  status, answer = _call(ex, 'POST', '/api/infer', raw=_png_bytes(digit))
  assert status == 200, answer
  expected = model.infer(digit[None])
  assert answer['d_prob'] == pytest.approx(float(expected['d_prob'][0]), abs=1e-3)
  assert [len(p) for p in answer['cat_probs']] == [3, 2] and len(answer['cont_mean']) == 1
  assert answer['notes'] == [] or answer['notes'] == [
      'inverted (dark on light; MNIST digits are light on dark)']
  # A larger colour photo of a dark digit on white paper: converted, resized, inverted.
  photo = np.full((56, 56, 3), 250, np.uint8)
  photo[10:46, 24:32] = 10
  status, answer = _call(ex, 'POST', '/api/infer', raw=_png_bytes(photo))
  assert status == 200 and answer['notes'] == [
      'converted from RGB to grey', 'resized from 56x56 to 28x28',
      'inverted (dark on light; MNIST digits are light on dark)']
  for raw, expected in [(b'', 'the upload is empty'),
                        (b'GIF89a not really', 'not an image this server can read')]:
    status, answer = _call(ex, 'POST', '/api/infer', raw=raw)
    assert status == 400 and expected in answer['error']


def test_points_runs_show_the_plane_and_refuse_uploads(ring8_run):
  workdir, _ = ring8_run
  ex = explorer.Explorer(workdir)
  info = _call(ex, 'GET', '/api/info')[1]
  assert info['points'] and info['categorical'] == [8] and info['continuous'] == 0
  status, answer = _call(ex, 'POST', '/api/generate', {'cat': [2], 'cont': []})
  assert status == 200 and answer['single'] is None
  assert _image(answer['grid']).shape[2] == 3   # a colour plot of the plane
  status, answer = _call(ex, 'POST', '/api/infer', raw=b'\x89PNG')
  assert status == 400 and '2-D points' in answer['error']


def test_after_a_restart_the_explorer_serves_the_new_run(ring8_run, tmp_path):
  workdir = str(tmp_path / 'run')
  shutil.copytree(ring8_run[0], workdir)
  ex = explorer.Explorer(workdir)
  assert _call(ex, 'GET', '/api/info')[1]['categorical'] == [8]
  config = ring8.get_config()   # another model, its checkpoint at the same step
  config.latent.categorical, config.num_train_steps, config.log_every_steps = (4,), 10, 5
  loop.train(config, workdir, restart=True)
  info = _call(ex, 'GET', '/api/info')[1]
  assert info['categorical'] == [4] and info['step'] == 10
  status, answer = _call(ex, 'POST', '/api/generate', {'cat': [3], 'cont': []})
  assert status == 200, answer


def test_a_guided_code_is_labelled_and_a_run_without_checkpoints_is_named(tmp_path):
  empty = str(tmp_path / 'empty')
  os.makedirs(empty)
  ex = explorer.Explorer(empty)
  assert 'config.json not found' in _call(ex, 'GET', '/api/info')[1]['error']
  status, answer = _call(ex, 'POST', '/api/generate', {})
  assert status == 400 and 'not found' in answer['error']   # and the server goes on

  config = ring8.get_config()
  config.latent.guided_code, config.semi_supervised.labels_per_class = 0, 1
  config.num_train_steps = 2
  loop.train(config, str(tmp_path / 'ss'))
  info = _call(explorer.Explorer(str(tmp_path / 'ss')), 'GET', '/api/info')[1]
  assert info['guided_code'] == 0 and info['guided_labels'][:2] == ['mode 0', 'mode 1']


def test_only_this_machine_unless_told():
  assert explorer.check_host('127.0.0.1', False) is None
  assert explorer.check_host('localhost', False) is None
  with pytest.raises(explorer.RequestError, match='--allow_remote'):
    explorer.check_host('0.0.0.0', False)
  assert 'no authentication' in explorer.check_host('0.0.0.0', True)


# --- on the network ---------------------------------------------------------------------
def _exchange(port, request: bytes, host='127.0.0.1'):
  """(status, JSON answer) for one raw HTTP request."""
  with socket.create_connection((host, port), timeout=20) as s:
    s.sendall(request)
    data = b''
    while True:
      chunk = s.recv(65536)
      if not chunk:
        break
      data += chunk
  head, _, body = data.partition(b'\r\n\r\n')
  return int(head.split()[1]), json.loads(body)


def _request(port, method='POST', path='/api/generate', body=b'{}', **headers):
  headers = {'Host': f'127.0.0.1:{port}', 'Content-Length': str(len(body)),
             **{k.replace('_', '-'): v for k, v in headers.items()}}
  lines = [f'{method} {path} HTTP/1.1'] + [f'{k}: {v}' for k, v in headers.items()
                                          if v is not None]
  return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body


def test_the_server_answers_this_machine_only_and_bounds_what_it_reads(tmp_path):
  server, _ = serve(str(tmp_path))   # no run there: a request that gets through is a 400
  port = server.server_address[1]
  try:
    def send(**kwargs):
      return _exchange(port, _request(port, **kwargs))
    assert send()[0] == 400 and 'not found' in send()[1]['error']
    assert send(Origin=f'http://localhost:{port}')[0] == 400   # the page itself
    nested = b'[' * 200_000 + b']' * 200_000
    for kwargs, status, expected in [
        # a web page the user visits, posting to the explorer, or reading it after
        # pointing its own name at 127.0.0.1 (DNS rebinding)
        ({'Origin': 'http://attacker.example'}, 403, 'Origin'),
        ({'Origin': f'http://localhost:{port + 1}'}, 403, 'Origin'),
        ({'Origin': 'null'}, 403, 'Origin'),
        ({'Host': f'attacker.example:{port}'}, 403, 'Host'),
        ({'Host': f'attacker.example:{port}', 'method': 'GET', 'path': '/api/info'}, 403,
         'Host'),
        ({'Host': None}, 403, 'Host'),
        # the body: bounded from the socket, whatever the header says
        ({'Content_Length': '-1'}, 400, 'Content-Length'),
        ({'Content_Length': 'abc'}, 400, 'Content-Length'),
        ({'Content_Length': str(11 * 2**20)}, 413, 'at most'),
        ({'Transfer_Encoding': 'chunked', 'Content_Length': None}, 411, 'Content-Length'),
        ({'body': nested}, 413, 'at most'),
        ({'body': b'[' * 5000 + b']' * 5000}, 400, 'nested'),
    ]:
      answer = send(**kwargs)
      assert answer[0] == status and expected in answer[1]['error'], (kwargs, answer)
    assert send(method='GET', path='/api/info')[0] == 200   # and it keeps serving
  finally:
    server.shutdown()


def test_a_burst_of_connections_is_queued_not_refused(tmp_path):
  server = explorer.make_server(explorer.Explorer(str(tmp_path)), '127.0.0.1', 0)
  sockets = [socket.socket() for _ in range(40)]
  serving = threading.Thread(target=server.serve_forever, daemon=True)
  try:   # not serving yet: every connection waits in the listen queue
    for s in sockets:
      s.setblocking(False)
      s.connect_ex(server.server_address)
    pending, deadline = set(sockets), time.monotonic() + 2
    while pending and time.monotonic() < deadline:
      _, ready, _ = select.select([], list(pending), [], deadline - time.monotonic())
      pending -= {s for s in ready if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0}
    assert not pending, f'{len(pending)} of 40 connections were not accepted'
    serving.start()
    port = server.server_address[1]
    for s in sockets:
      s.setblocking(True)
      s.settimeout(30)
      s.sendall(_request(port, 'GET', '/api/info', b''))
    for s in sockets:
      assert s.recv(100).startswith(b'HTTP/1.0 200')
  finally:
    for s in sockets:
      s.close()
    if serving.is_alive():
      server.shutdown()
    server.server_close()


def test_ipv6_loopback_is_served(tmp_path):
  try:
    with socket.socket(socket.AF_INET6) as probe:
      probe.bind(('::1', 0))
  except OSError:
    pytest.skip('this machine has no IPv6 loopback')
  assert explorer.check_host('::1', False) is None
  server = explorer.make_server(explorer.Explorer(str(tmp_path)), '::1', 0)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  try:
    port = server.server_address[1]
    status, _ = _exchange(port, _request(port, 'GET', '/api/info', b'', Host=f'[::1]:{port}'),
                          host='::1')
    assert status == 200
  finally:
    server.shutdown()


def _png_header(width, height, color_type):
  """A PNG that states its size without pixels to match: enough for a decoder to refuse
  it, or to start allocating width x height."""
  def chunk(kind, data):
    return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data)))
  header = struct.pack('>IIBBBBB', width, height, 8, color_type, 0, 0, 0)
  return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(b''))
          + chunk(b'IEND', b''))


@pytest.mark.filterwarnings('ignore::PIL.Image.DecompressionBombWarning')
def test_an_image_of_too_many_pixels_is_refused_before_decoding(trained_tiny):
  ex = explorer.Explorer(trained_tiny)
  most = explorer.MAX_UPLOAD_PIXELS
  for width, height, color_type, stated in [(20000, 20000, 0, '400000000 pixels'),   # grey
                                            (13000, 13000, 6, '13000x13000 pixels')]:  # RGBA
    status, answer = _call(ex, 'POST', '/api/infer', raw=_png_header(width, height,
                                                                     color_type))
    assert status == 413, answer
    assert f'{stated}; at most {most} pixels are decoded' in answer['error'], answer


# --- in a browser -----------------------------------------------------------------------
def _browser():
  """A headless Chromium through selenium, or a reason to skip."""
  try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
  except ImportError:
    pytest.skip('selenium is not installed (pip install selenium; .ci/run installs it)')
  chromium = shutil.which('chromium') or shutil.which('chromium-browser')
  driver = shutil.which('chromedriver')
  if not chromium or not driver:
    pytest.skip('no Chromium and chromedriver (Debian: apt-get install chromium '
                'chromium-driver; .ci/run installs them)')
  options = webdriver.ChromeOptions()
  options.binary_location = chromium
  for flag in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
               '--window-size=1200,900'):
    options.add_argument(flag)
  return webdriver.Chrome(service=Service(driver), options=options)


def serve(workdir):
  server = explorer.make_server(explorer.Explorer(workdir), '127.0.0.1', 0)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  return server, f'http://127.0.0.1:{server.server_address[1]}/'


def test_in_a_browser_a_slider_changes_the_image_and_q_reads_an_upload(trained_tiny,
                                                                      tmp_path):
  from selenium.webdriver.common.by import By
  from selenium.webdriver.support.ui import WebDriverWait
  browser = _browser()
  server, url = serve(trained_tiny)
  try:
    browser.get(url)
    wait = WebDriverWait(browser, 60)
    wait.until(lambda b: b.find_element(By.ID, 'grid').get_attribute('src'))
    before = browser.find_element(By.ID, 'grid').get_attribute('src')
    slider = browser.find_element(By.CSS_SELECTOR, 'input.cont')
    browser.execute_script(
        "arguments[0].value = 1.5; arguments[0].dispatchEvent(new Event('input'));", slider)
    wait.until(lambda b: b.find_element(By.ID, 'grid').get_attribute('src') != before)
    assert float(browser.find_element(By.ID, 'latency').get_attribute('data-ms')) > 0

    # Q's answer for an uploaded digit, as the API gives it.
    model = api.load(trained_tiny)
    digit = np.round((model.generate(n=1)[0, ..., 0] + 1) * 127.5).astype(np.uint8)
    path = tmp_path / 'digit.png'
    path.write_bytes(_png_bytes(digit))
    browser.find_element(By.ID, 'upload').send_keys(str(path))
    shown = wait.until(lambda b: b.find_elements(By.ID, 'd_prob'))[0].text
    expected = float(model.infer(digit[None])['d_prob'][0])
    assert float(shown) == pytest.approx(expected, abs=0.006)
    best = browser.find_element(By.CSS_SELECTOR, '.best[data-code="0"]').text
    assert best == str(int(model.infer(digit[None])['cat_probs'][0].argmax()))

    # A bad request: a clear message on the page, and the page keeps working.
    browser.execute_script("state.cat[0] = 7; moved();")
    wait.until(lambda b: 'has 3 categories' in b.find_element(By.ID, 'message').text)
    browser.execute_script("state.cat[0] = 2; moved();")
    wait.until(lambda b: b.find_element(By.ID, 'message').text == '')
  finally:
    browser.quit()
    server.shutdown()
