#!/usr/bin/env node
'use strict';
// The `dlm` command of the npm package (built by scripts/build-cli-package.mjs).
require('../dist/cli.js');
