// Puppeteer (used by @mermaid-js/mermaid-cli in the tests) must never
// download a browser: the tests drive Debian's /usr/bin/chromium.
module.exports = { skipDownload: true, executablePath: '/usr/bin/chromium' };
