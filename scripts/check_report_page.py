"""Open the report page (``build/<profile>/index.html``) in a real headless browser (Chromium through
Selenium) and check what a reader meets: every link to a local file resolves, every image loads
(``naturalWidth > 0`` once the page has loaded), the page opens with what was found; write a full-page
screenshot. Not a unit test: it needs Chromium (Debian: ``apt-get install chromium chromium-driver``) and
``pip install -e '.[browser]'``.

    .venv/bin/python scripts/check_report_page.py [--profile quick] [--out build/quick/index.png]

Prints the counts and exits 1 when a link or an image is broken.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--out", help="screenshot path (default build/<profile>/index.png)")
    args = ap.parse_args()
    page = ROOT / "build" / args.profile / "index.html"
    if not page.exists():
        print(f"{page}: no report page (run `make reproduce PROFILE={args.profile}`, or "
              f"`python -c \"from medlib import manifest; manifest.write_index('{args.profile}')\"`)")
        return 1
    out = Path(args.out or page.with_suffix(".png"))
    opts = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,2000"):
        opts.add_argument(flag)
    opts.binary_location = shutil.which("chromium") or shutil.which("google-chrome") or ""
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        driver.get(page.as_uri())
        driver.execute_script("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        for _ in range(60):  # wait for every image to finish (loaded or failed)
            if driver.execute_script("return [...document.images].every(i => i.complete)"):
                break
            time.sleep(0.5)
        images = driver.execute_script("return [...document.images].map(i => [i.getAttribute('src'), i.naturalWidth])")
        links = driver.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
        first = driver.execute_script("return document.querySelector('h1').innerText + ' / ' + "
                                      "document.querySelector('h2').innerText")
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1280, min(int(height) + 100, 16000))
        driver.save_screenshot(str(out))
    finally:
        driver.quit()
    broken_images = [src for src, width in images if not width]
    broken_links = [href for href in links if href.startswith("file:")
                    and not Path(unquote(urlparse(href).path)).exists()]
    print(f"page: {page.relative_to(ROOT)}; opens with: {first}")
    print(f"screenshot: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} ({height} px tall)")
    print(f"links: {len(links)}, broken: {len(broken_links)}; images: {len(images)}, broken: {len(broken_images)}")
    for item in broken_links + broken_images:
        print("  broken:", item)
    return 1 if broken_links or broken_images else 0


if __name__ == "__main__":
    sys.exit(main())
