"""The explorer in a headless browser: the latency of slider moves, and a screenshot.

    python scripts/explorer_screenshot.py --workdir=runs/mnist --out=docs/explorer.png

Starts the explorer on a free port, opens the page in headless Chromium (selenium with
Debian's chromium and chromium-driver), moves a continuous-code slider `--moves` times
(waiting for each new image) and prints the time from the move to the new image on screen
as the page measures it (median, 90th percentile, max), then saves a screenshot.
"""
import argparse
import os
import sys
import threading

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--workdir', required=True)
  parser.add_argument('--out', default='docs/explorer.png')
  parser.add_argument('--moves', type=int, default=30)
  parser.add_argument('--category', type=int, default=3, help='code 0 value to select')
  args = parser.parse_args()

  from selenium import webdriver
  from selenium.webdriver.chrome.service import Service
  from selenium.webdriver.common.by import By
  from selenium.webdriver.support.ui import WebDriverWait

  from infogan_jax.explorer import server as explorer
  server = explorer.make_server(explorer.Explorer(args.workdir), '127.0.0.1', 0)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  options = webdriver.ChromeOptions()
  for flag in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
               '--window-size=1180,860'):
    options.add_argument(flag)
  browser = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
  try:
    browser.get(f'http://127.0.0.1:{server.server_address[1]}/')
    wait = WebDriverWait(browser, 120)
    wait.until(lambda b: b.find_element(By.ID, 'latency').get_attribute('data-ms'))
    buttons = browser.find_elements(By.CSS_SELECTOR, '.cat button[data-code="0"]')
    if buttons:
      buttons[min(args.category, len(buttons) - 1)].click()
    slider = browser.find_element(By.CSS_SELECTOR, 'input.cont')
    times = []
    for i in range(args.moves + 1):
      before = browser.find_element(By.ID, 'grid').get_attribute('src')
      value = -2 + 4 * (i % 9) / 8
      browser.execute_script(
          "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
          slider, value)
      wait.until(lambda b: b.find_element(By.ID, 'grid').get_attribute('src') != before
                 or i % 9 == (i - 1) % 9)
      wait.until(lambda b: not b.execute_script('return inFlight'))
      if i:   # the first move after the page's own first request may still compile
        times.append(float(browser.find_element(By.ID, 'latency').get_attribute('data-ms')))
    browser.execute_script(
        "arguments[0].value = 1.0; arguments[0].dispatchEvent(new Event('input'));", slider)
    wait.until(lambda b: not b.execute_script('return inFlight'))
    times = np.asarray(times)
    print(f'{len(times)} slider moves, move -> new image on screen: median '
          f'{np.median(times):.0f} ms, 90th percentile {np.percentile(times, 90):.0f} ms, '
          f'max {times.max():.0f} ms ({browser.find_element(By.ID, "latency").text})')
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    browser.save_screenshot(args.out)
    print(f'screenshot: {args.out}')
  finally:
    browser.quit()
    server.shutdown()


if __name__ == '__main__':
  main()
