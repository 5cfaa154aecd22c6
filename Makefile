# The two commands a newcomer needs. Both install what is missing first.
.PHONY: run test setup bench demo first-load

## Build and run the portal on http://127.0.0.1:3000 (SQLite in ./data)
run:
	scripts/run.sh

## Like run, with a demo team: 30 days of simulated traffic loaded once, and more while it runs
## (a plan quota of 1,000,000 a month unless KEYPORT_MONTHLY_QUOTA says otherwise, so the
## month card shows room left and a forecast rather than the over-quota warning)
demo:
	KEYPORT_DEMO=1 KEYPORT_MONTHLY_QUOTA=$${KEYPORT_MONTHLY_QUOTA:-1000000} scripts/run.sh

## Run every test: unit, HTTP (SQLite and PostgreSQL) and browser tests
test:
	scripts/test.sh

## Install the toolchain pieces only
setup:
	scripts/setup.sh --browser

## Print performance figures: verify vs the bare route of the release server (driven by wrk in its own
## process, pinned to another core), DB queries per verify, usage ingestion, limiter cost
bench:
	scripts/setup.sh --bench
	cargo bench -p keyport-server --bench verify
	cargo bench -p keyport-server --bench usage

## What a phone's first visit to each page downloads and when it becomes interactive
## (release build, Lighthouse's mobile profile in Chromium)
first-load:
	scripts/first-load.sh
