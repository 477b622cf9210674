#!/usr/bin/env node
// speedscope_import.js [--totals] FILE.speedscope.json
//
// Loads FILE with speedscope's own importer -- the function its web app calls
// for files whose $schema is speedscope's -- taken from the npm package's
// release bundle, and prints what speedscope made of it as JSON:
//   {"name", "profiles": [{"name", "unit", "totalWeight",
//                          "frames": [{"name", "file", "line", "self", "total"}]}]}
// With --totals, frames are left out (for very large profiles).
//
// The bundle is a browser app wrapped in one closure, so its importer is not
// exported. We find the importer's (minified) name from the code that
// dispatches speedscope files, run the bundle in a VM context with a hook that
// hands that function out, and let the app's own start-up fail for lack of a
// DOM (it runs after every module the importer needs is initialized).
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

function fail(msg) {
  process.stderr.write(`speedscope_import: ${msg}\n`);
  process.exit(2);
}

function findBundle() {
  let pkg;
  try {
    pkg = path.dirname(require.resolve('speedscope/package.json', {paths: [path.join(__dirname, '..', '..')]}));
  } catch (e) {
    fail('the speedscope npm package is not installed (npm install in the repository root)');
  }
  const dir = path.join(pkg, 'dist', 'release');
  const js = fs.readdirSync(dir).filter(n => /^speedscope-.*\.js$/.test(n));
  if (js.length !== 1) fail(`expected one speedscope-*.js bundle in ${dir}, found ${js.length}`);
  return {file: path.join(dir, js[0]), version: require(path.join(pkg, 'package.json')).version};
}

function loadImporter() {
  const {file, version} = findBundle();
  let src = fs.readFileSync(file, 'utf8');
  const m = /"Importing as speedscope json file"\),(\w+)\(/.exec(src);
  if (!m) fail(`cannot find the speedscope-file importer in ${file} (speedscope ${version})`);
  const start = '(()=>{';
  const at = src.indexOf(start);
  if (at < 0) fail(`unexpected bundle layout in ${file}`);
  // Function declarations are hoisted, so the hook can run first of all.
  src = src.slice(0, at + start.length) + `globalThis.__csprofImporter=${m[1]};` +
        src.slice(at + start.length);
  const quiet = {log() {}, warn() {}, error() {}, info() {}, debug() {}};
  const ctx = {console: quiet, setTimeout, clearTimeout, TextDecoder, TextEncoder,
               location: {hash: '', search: '', href: ''}};
  ctx.globalThis = ctx;
  ctx.window = ctx;
  ctx.self = ctx;
  vm.createContext(ctx);
  try {
    vm.runInContext(src, ctx, {filename: file});
  } catch (e) {
    // expected: the UI needs a document
  }
  if (typeof ctx.__csprofImporter !== 'function') fail('the importer hook did not run');
  return {importer: ctx.__csprofImporter, version};
}

// The app's start-up may leave async work that fails without a DOM; that is
// not the importer's doing.
process.on('unhandledRejection', () => {});

const args = process.argv.slice(2);
const totalsOnly = args[0] === '--totals';
if (totalsOnly) args.shift();
const file = args[0];
if (!file) fail('usage: speedscope_import.js [--totals] FILE.speedscope.json');
const {importer, version} = loadImporter();
const json = JSON.parse(fs.readFileSync(file, 'utf8'));
const group = importer(json);
const out = {speedscope: version, name: group.name, indexToView: group.indexToView, profiles: []};
for (const p of group.profiles) {
  const frames = [];
  if (!totalsOnly) p.forEachFrame(f => {
    frames.push({name: f.name, file: f.file === undefined ? null : f.file,
                 line: f.line === undefined ? null : f.line,
                 self: f.getSelfWeight(), total: f.getTotalWeight()});
  });
  out.profiles.push({name: p.getName(), unit: p.getWeightUnit(), totalWeight: p.getTotalWeight(),
                     frames});
}
// writeSync: process.exit would cut an asynchronous write to a pipe short
fs.writeSync(1, JSON.stringify(out) + '\n');
process.exit(0);
