"""The browser tests' own checks must look at the page a click led to, whole, however slowly it arrives."""

import http.server
import threading
import time

import pytest

from testing.fixtures import axe_check

pytestmark = pytest.mark.browser

SLOW_SECONDS = 1.0


class _SlowPages(http.server.BaseHTTPRequestHandler):
    """`/` links to `/slow`, whose headers come at once and whose body (an image with no text) comes a second later:
    a click on the link returns with the new page committed but still empty, as a busy live server can leave it."""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        if self.path == "/slow":
            self.wfile.flush()
            time.sleep(SLOW_SECONDS)
            body = '<img src="/chart.png">'
        else:
            body = '<a href="/slow">The next page</a>'
        self.wfile.write(f'<!doctype html><html lang="en"><title>Page</title><main>{body}</main></html>'.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowPages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_axe_checks_the_page_a_click_led_to_once_it_has_loaded(browser, slow_site):
    page = browser.new_page()
    page.goto(slow_site + "/")
    page.get_by_role("link", name="The next page").click()

    with pytest.raises(pytest.fail.Exception, match="image-alt") as failure:
        axe_check(page)
    assert f"axe-core on {slow_site}/slow" in str(failure.value)
    page.close()
