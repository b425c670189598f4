"""The web process compiles its templates and loads its date formats before it serves."""

import subprocess
import sys
from pathlib import Path

import aiohttp_jinja2
import jinja2
import pytest
from aiohttp import web

from services.web.rendering import TEMPLATES, setup_jinja, warm_up_pages


def test_every_template_is_compiled_before_the_first_page(monkeypatch):
    app = web.Application()
    setup_jinja(app)
    env = aiohttp_jinja2.get_env(app)
    compiled: list[str | None] = []
    compile_template = env.compile

    def counting_compile(source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_template(source, name, filename, raw, defer_init)

    monkeypatch.setattr(env, "compile", counting_compile)
    pages = sorted(str(p.relative_to(TEMPLATES)) for p in Path(TEMPLATES).rglob("*.html"))

    assert warm_up_pages(app) == len(pages) > 40
    assert sorted(name for name in compiled if name) == pages

    compiled.clear()
    for name in pages:
        env.get_template(name)
    assert compiled == [], "a page compiled again after the warm-up"


# In a process of its own: babel keeps each locale it has read for the life of the process, and
# other tests of this one have written dates already.
_FIRST_DATES_AFTER_WARM_UP = """
from datetime import date
from aiohttp import web
from babel import localedata
from services.web import formatting, i18n
from services.web.rendering import setup_jinja, warm_up_pages

app = web.Application()
setup_jinja(app)
warm_up_pages(app)
read = []
real_load = localedata.load


def counting_load(name, merge_inherited=True):
    read.append(name)
    return real_load(name, merge_inherited)


localedata.load = counting_load
for lang in i18n.LANGUAGES:
    formatting.long_date(date(2026, 12, 8), lang)
print("read after warm-up:", read)
assert read == [], read
"""


def test_the_date_formats_of_every_language_are_loaded_before_the_first_page():
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_DATES_AFTER_WARM_UP], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_template_with_an_error_stops_the_warm_up(tmp_path):
    # A broken template fails the process at start, not the first member who opens the page.
    (tmp_path / "broken.html").write_text("{% if %}")
    app = web.Application()
    setup_jinja(app)
    aiohttp_jinja2.get_env(app).loader = jinja2.FileSystemLoader(tmp_path)

    with pytest.raises(jinja2.TemplateSyntaxError) as error:
        warm_up_pages(app)
    assert error.value.name == "broken.html"
