"""README's example of using InfoGAN's step from your own JAX code runs as written."""
import contextlib
import io
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = '# README example: runs as written'


def test_the_readme_example_runs_and_trains():
  readme = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
  blocks = [b for b in re.findall(r'```python\n(.*?)```', readme, re.S) if b.startswith(MARK)]
  assert len(blocks) == 1, f'README.md should have one python block starting {MARK!r}'
  out = io.StringIO()
  with contextlib.redirect_stdout(out):
    exec(compile(blocks[0], 'README.md', 'exec'), {'__name__': 'readme_example'})
  lines = out.getvalue().splitlines()
  assert lines[0].startswith('2 {') and lines[1].startswith('3 '), out.getvalue()
