#!/bin/sh
# sqlmap and wapiti against the test server through the production nginx
# server block, with form tokens reusable (test build); fails on any
# finding. The short profile here; `make check-security` runs the full one.
# (script/check-security says what it does.)
exec "${top_srcdir:-$(dirname "$0")/../..}/script/check-security"
