#!/usr/bin/env node
'use strict';
// The `dlm` command. Runs the bundled CLI; builds it first when running from a source checkout.
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  require('node:child_process').execFileSync(
    process.execPath,
    [path.join(__dirname, '..', 'esbuild.mjs')],
    {
      cwd: path.join(__dirname, '..'),
      stdio: 'inherit',
    },
  );
}
require(bundle);
